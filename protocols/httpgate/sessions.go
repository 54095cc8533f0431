package httpgate

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// sessions keeps one gate.Session per client identity and target. A session is opened
// by the identity's first request, shared by its concurrent requests, and
// closed by the janitor once it has been idle for the idle timeout (or at
// Close). With a negative idle timeout every request has its own session.
type sessions struct {
	g        *gate.Gate
	protocol string
	idle     time.Duration

	mu     sync.Mutex
	m      map[string]*sessionEntry
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

type sessionEntry struct {
	ready    chan struct{} // closed once OpenSession returned
	err      error
	s        *gate.Session
	inflight int
	last     time.Time
}

func newSessions(g *gate.Gate, idle time.Duration) *sessions {
	t := &sessions{g: g, protocol: gate.ProtocolHTTP, idle: idle,
		m: map[string]*sessionEntry{}, stop: make(chan struct{}), done: make(chan struct{})}
	if idle > 0 {
		go t.janitor()
	} else {
		close(t.done)
	}
	return t
}

func sessionKey(target string, id gate.Identity) string {
	return target + "\x00" + string(id.EffectiveKind()) + "\x00" + id.Subject + "\x00" + id.Name + "\x00" + strings.Join(id.Groups, "\x00")
}

// acquire returns the session of id with target, opening it when needed,
// and a release func the caller must call when its request is over.
func (t *sessions) acquire(ctx context.Context, target string, id gate.Identity, clientAddr string) (*gate.Session, func(), error) {
	if t.idle < 0 {
		s := &gate.Session{Protocol: t.protocol, Target: target, Identity: id, ClientAddr: clientAddr}
		if err := t.g.OpenSession(ctx, s); err != nil {
			return nil, nil, err
		}
		return s, func() { _ = t.g.CloseSession(context.WithoutCancel(ctx), s, "request done") }, nil
	}
	key := sessionKey(target, id)
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, nil, errClosed
	}
	e, ok := t.m[key]
	if !ok {
		e = &sessionEntry{ready: make(chan struct{})}
		e.s = &gate.Session{Protocol: t.protocol, Target: target, Identity: id, ClientAddr: clientAddr}
		t.m[key] = e
	}
	e.inflight++
	t.mu.Unlock()

	if !ok {
		e.err = t.g.OpenSession(context.WithoutCancel(ctx), e.s)
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
		if t.m[key] == e {
			delete(t.m, key)
		}
		e.inflight--
		t.mu.Unlock()
		return nil, nil, e.err
	}
	return e.s, func() { t.release(key, e) }, nil
}

func (t *sessions) release(key string, e *sessionEntry) {
	t.mu.Lock()
	e.inflight--
	e.last = time.Now()
	t.mu.Unlock()
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
	var idle []*gate.Session
	t.mu.Lock()
	for k, e := range t.m {
		if e.inflight == 0 && e.err == nil && !e.last.IsZero() && now.Sub(e.last) >= t.idle {
			delete(t.m, k)
			idle = append(idle, e.s)
		}
	}
	t.mu.Unlock()
	for _, s := range idle {
		_ = t.g.CloseSession(context.Background(), s, "idle")
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
		if err := t.g.CloseSession(ctx, e.s, "shutdown"); err != nil && first == nil {
			first = err
		}
	}
	return first
}
