package httpgate

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// sessions keeps one gate.Conn per client identity, run and target. A
// session is opened by the first request, shared by the concurrent
// requests of the same identity and run, and closed by the janitor once it
// has been idle for the idle timeout (or at Close). With a negative idle
// timeout every request has its own session.
//
// A session whose Conn broke (its output could not be recorded) is dropped
// at once: nothing more is forwarded under it, and the next request of its
// identity and run opens a new session (refused with 503 while the
// recorder cannot record its start).
type sessions struct {
	hub  gate.Hub
	idle time.Duration
	// max bounds the sessions one subject holds open at once (one per run
	// it names); 0 means no bound.
	max int

	mu        sync.Mutex
	m         map[string]*sessionEntry
	bySubject map[string]int
	closed    bool
	stop      chan struct{}
	done      chan struct{}
}

type sessionEntry struct {
	subject  string
	ready    chan struct{} // closed once Open returned
	err      error         // Open's error
	conn     *gate.Conn
	inflight int
	last     time.Time
}

// broken reports whether the entry's session ended under it. It must be
// called after ready is closed.
func (e *sessionEntry) broken() bool { return e.err == nil && e.conn.Err() != nil }

func newSessions(hub gate.Hub, idle time.Duration, max int) *sessions {
	t := &sessions{hub: hub, idle: idle, max: max, bySubject: map[string]int{},
		m: map[string]*sessionEntry{}, stop: make(chan struct{}), done: make(chan struct{})}
	if idle > 0 {
		go t.janitor()
	} else {
		close(t.done)
	}
	return t
}

func sessionKey(s gate.Session) string {
	id := s.Identity
	return s.Target + "\x00" + s.Run + "\x00" + string(id.EffectiveKind()) + "\x00" + id.Subject + "\x00" + id.Name + "\x00" + strings.Join(id.Groups, "\x00")
}

// acquire returns the session handle for s (protocol, target, identity,
// run, client address), opening it when needed, and a release func the
// caller must call when its request is over. An error is Open's: the
// client is refused.
func (t *sessions) acquire(ctx context.Context, s gate.Session) (*gate.Conn, func(), error) {
	if t.idle < 0 {
		conn, err := t.hub.Open(ctx, s)
		if err != nil {
			return nil, nil, err
		}
		return conn, func() { _ = conn.Close(context.WithoutCancel(ctx), "request done") }, nil
	}
	key := sessionKey(s)
	for {
		e, opener, err := t.entry(key, s.Identity.Subject)
		if err != nil {
			return nil, nil, err
		}
		if opener {
			e.conn, e.err = t.hub.Open(context.WithoutCancel(ctx), s)
			close(e.ready)
		} else {
			select {
			case <-e.ready:
			case <-ctx.Done():
				t.release(key, e)
				return nil, nil, ctx.Err()
			}
		}
		if e.err != nil {
			t.mu.Lock()
			t.remove(key, e)
			e.inflight--
			t.mu.Unlock()
			return nil, nil, e.err
		}
		if e.broken() {
			// It broke between the lookup and now: open a new one.
			t.release(key, e)
			continue
		}
		return e.conn, func() { t.release(key, e) }, nil
	}
}

// entry returns the entry for key with one more request in flight, a new
// one (opener true: the caller opens its Conn) when there is none or the
// one there broke.
func (t *sessions) entry(key, subject string) (*sessionEntry, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, false, errClosed
	}
	e, ok := t.m[key]
	if ok {
		select {
		case <-e.ready:
			if e.broken() {
				t.drop(key, e)
				ok = false
			}
		default:
		}
	}
	if !ok {
		if t.max > 0 && t.bySubject[subject] >= t.max {
			return nil, false, errTooManySessions
		}
		e = &sessionEntry{subject: subject, ready: make(chan struct{})}
		t.m[key] = e
		t.bySubject[subject]++
	}
	e.inflight++
	return e, !ok, nil
}

// drop removes a broken entry from the map and, once no request of it is
// in flight, closes its Conn (recording the session's end with the reason
// it broke). t.mu must be held.
func (t *sessions) drop(key string, e *sessionEntry) {
	t.remove(key, e)
	if e.inflight == 0 {
		go func() { _ = e.conn.Close(context.Background(), "broken") }()
	}
}

// remove takes e out of the map, and out of its subject's count. t.mu
// must be held.
func (t *sessions) remove(key string, e *sessionEntry) {
	if t.m[key] != e {
		return
	}
	delete(t.m, key)
	if t.bySubject[e.subject]--; t.bySubject[e.subject] <= 0 {
		delete(t.bySubject, e.subject)
	}
}

func (t *sessions) release(key string, e *sessionEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e.inflight--
	e.last = time.Now()
	select {
	case <-e.ready:
		if e.broken() {
			t.drop(key, e)
		}
	default:
	}
}

func (t *sessions) janitor() {
	defer close(t.done)
	every := max(t.idle/4, 10*time.Millisecond)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case now := <-tick.C:
			t.sweep(now)
		}
	}
}

func (t *sessions) sweep(now time.Time) {
	var idle []*gate.Conn
	t.mu.Lock()
	for k, e := range t.m {
		if e.inflight == 0 && e.err == nil && !e.last.IsZero() && now.Sub(e.last) >= t.idle {
			t.remove(k, e)
			idle = append(idle, e.conn)
		}
	}
	t.mu.Unlock()
	for _, c := range idle {
		_ = c.Close(context.Background(), "idle")
	}
}

// close stops the janitor and closes every session; later acquires fail.
func (t *sessions) close(ctx context.Context) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.stop)
	all := t.m
	t.m = map[string]*sessionEntry{}
	t.mu.Unlock()
	<-t.done
	var first error
	for _, e := range all {
		<-e.ready
		if e.err != nil {
			continue
		}
		if err := e.conn.Close(ctx, "shutdown"); err != nil && first == nil {
			first = err
		}
	}
	return first
}
