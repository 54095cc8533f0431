package httpgate

import (
	"context"
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
	key     string // in sessions.m
	subject string
	ready   chan struct{} // closed once Open returned
	err     error         // Open's error
	conn    *gate.Conn
	// ended is cancelled once conn's session has ended (conn.Done): the
	// requests in flight watch it (see filter.watch) without a goroutine
	// each.
	ended context.Context
	// own marks the session of one request (a negative idle timeout):
	// release closes it, with closeCtx.
	own      bool
	closeCtx context.Context
	inflight int
	last     time.Time
}

// broken reports whether the entry's session ended under it. It must be
// called after ready is closed.
func (e *sessionEntry) broken() bool { return e.err == nil && e.conn.Err() != nil }

// endedContext returns a context cancelled once c's session has ended; the
// goroutine that waits for it ends with the session.
func endedContext(c *gate.Conn) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-c.Done()
		cancel()
	}()
	return ctx
}

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

// appendSessionKey appends the key of s's session in sessions.m: its
// target, run and identity.
func appendSessionKey(b []byte, s gate.Session) []byte {
	id := s.Identity
	for i, f := range [...]string{s.Target, s.Run, string(id.EffectiveKind()), id.Subject, id.Name} {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, f...)
	}
	b = append(b, 0)
	for i, g := range id.Groups {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, g...)
	}
	return b
}

// acquire returns the session entry for s (protocol, target, identity,
// run, client address), opening its session when needed; the caller must
// release it when its request is over. An error is Open's: the client is
// refused.
func (t *sessions) acquire(ctx context.Context, s gate.Session) (*sessionEntry, error) {
	if t.idle < 0 {
		conn, err := t.hub.Open(ctx, s)
		if err != nil {
			return nil, err
		}
		return &sessionEntry{conn: conn, ended: endedContext(conn), own: true, closeCtx: context.WithoutCancel(ctx)}, nil
	}
	var buf [256]byte
	key := appendSessionKey(buf[:0], s)
	for {
		e, opener, err := t.entry(key, s.Identity.Subject)
		if err != nil {
			return nil, err
		}
		if opener {
			e.conn, e.err = t.hub.Open(context.WithoutCancel(ctx), s)
			if e.err == nil {
				e.ended = endedContext(e.conn)
			}
			close(e.ready)
		} else {
			select {
			case <-e.ready:
			case <-ctx.Done():
				t.release(e)
				return nil, ctx.Err()
			}
		}
		if e.err != nil {
			t.mu.Lock()
			t.remove(e)
			e.inflight--
			t.mu.Unlock()
			return nil, e.err
		}
		if e.broken() {
			// It broke between the lookup and now: open a new one.
			t.release(e)
			continue
		}
		return e, nil
	}
}

// entry returns the entry for key with one more request in flight, a new
// one (opener true: the caller opens its Conn) when there is none or the
// one there broke.
func (t *sessions) entry(key []byte, subject string) (*sessionEntry, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, false, errClosed
	}
	e, ok := t.m[string(key)]
	if ok {
		select {
		case <-e.ready:
			if e.broken() {
				t.drop(e)
				ok = false
			}
		default:
		}
	}
	if !ok {
		if t.max > 0 && t.bySubject[subject] >= t.max {
			return nil, false, errTooManySessions
		}
		e = &sessionEntry{key: string(key), subject: subject, ready: make(chan struct{})}
		t.m[e.key] = e
		t.bySubject[subject]++
	}
	e.inflight++
	return e, !ok, nil
}

// drop removes a broken entry from the map and, once no request of it is
// in flight, closes its Conn (recording the session's end with the reason
// it broke). t.mu must be held.
func (t *sessions) drop(e *sessionEntry) {
	t.remove(e)
	if e.inflight == 0 {
		go func() { _ = e.conn.Close(context.Background(), "broken") }()
	}
}

// remove takes e out of the map, and out of its subject's count. t.mu
// must be held.
func (t *sessions) remove(e *sessionEntry) {
	if t.m[e.key] != e {
		return
	}
	delete(t.m, e.key)
	if t.bySubject[e.subject]--; t.bySubject[e.subject] <= 0 {
		delete(t.bySubject, e.subject)
	}
}

// release ends a request's hold on its session entry.
func (t *sessions) release(e *sessionEntry) {
	if e.own {
		_ = e.conn.Close(e.closeCtx, "request done")
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e.inflight--
	e.last = time.Now()
	select {
	case <-e.ready:
		if e.broken() {
			t.drop(e)
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
	for _, e := range t.m {
		if e.inflight == 0 && e.err == nil && !e.last.IsZero() && now.Sub(e.last) >= t.idle {
			t.remove(e)
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
