package postgres

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// watchDelay is how long a check may take before the proxy starts watching
// the client socket: most checks decide in microseconds, only holds wait.
const watchDelay = 100 * time.Millisecond

// clientWatch makes a check's cancel fire when the client goes away while
// its statement is held, so the review is withdrawn instead of waiting for
// a reviewer nobody will hear from. One per connection; a check arms it and
// disarms it, which costs two atomic stores and an uncontended lock: no
// timer per check (arming a timer wakes the runtime's network poller, a
// system call and a thread wake-up on every statement). The server's
// watchdog (Server.watchdog) starts watching for the checks that have run
// for watchDelay.
type clientWatch struct {
	c     *conn
	since atomic.Int64 // when the armed check started (monoNow, at least 1); 0 when disarmed

	mu     sync.Mutex
	cancel func()        // the armed check's cancel; nil when disarmed
	done   chan struct{} // closed when the watching goroutine ends
}

// arm starts the watch's clock for the check whose context cancel ends.
// disarm must be called before the client goroutine reads again.
func (w *clientWatch) arm(cancel func()) {
	w.mu.Lock()
	w.cancel = cancel
	w.mu.Unlock()
	w.since.Store(max(monoNow(), 1)) // one clock read: the monotonic one
}

// overdue reports whether the armed check has run for watchDelay by now.
func (w *clientWatch) overdue(now int64) bool {
	s := w.since.Load()
	return s != 0 && now-s >= int64(watchDelay)
}

// fire watches the client socket until disarm; a second fire, or one
// after disarm, does nothing.
func (w *clientWatch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel == nil || w.done != nil {
		return
	}
	cancel, done := w.cancel, make(chan struct{})
	w.done = done
	go func() {
		defer close(done)
		// Peek consumes nothing: pipelined messages stay buffered.
		if _, err := w.c.rd.r.Peek(1); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				cancel()
			}
		}
	}()
}

// disarm stops watching and waits until the client socket is the client
// goroutine's again.
func (w *clientWatch) disarm() {
	w.since.Store(0)
	w.mu.Lock()
	w.cancel = nil
	d := w.done
	w.done = nil
	w.mu.Unlock()
	if d != nil {
		_ = w.c.client.SetReadDeadline(time.Now())
		<-d
		_ = w.c.client.SetReadDeadline(time.Time{})
	}
}

// watchdog runs while the server has connections: every half watchDelay
// it starts the client watch of each check that has run for watchDelay.
// register starts it; it ends when no connection is left.
func (s *Server) watchdog() {
	t := time.NewTicker(watchDelay / 2)
	defer t.Stop()
	var due []*conn
	for range t.C {
		now := monoNow()
		due = due[:0]
		s.mu.Lock()
		if len(s.conns) == 0 {
			s.watchdogOn = false
			s.mu.Unlock()
			return
		}
		for c := range s.conns {
			if c.watch.overdue(now) {
				due = append(due, c)
			}
		}
		s.mu.Unlock()
		for _, c := range due {
			c.watch.fire()
		}
	}
}
