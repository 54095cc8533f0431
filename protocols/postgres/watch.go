package postgres

import (
	"errors"
	"net"
	"sync"
	"time"
)

// watchDelay is how long a check may take before the proxy starts watching
// the client socket: most checks decide in microseconds, only holds wait.
const watchDelay = 100 * time.Millisecond

// clientWatch makes a check's cancel fire when the client goes away while
// its statement is held, so the review is withdrawn instead of waiting for
// a reviewer nobody will hear from. One per connection, armed for each
// check: a check that decides within watchDelay costs a timer reset.
type clientWatch struct {
	c     *conn
	timer *time.Timer

	mu     sync.Mutex
	cancel func()        // the armed check's cancel; nil when disarmed
	done   chan struct{} // closed when the watching goroutine ends
}

// arm starts watching for the check whose context cancel ends. disarm must
// be called before the client goroutine reads again.
func (w *clientWatch) arm(cancel func()) {
	w.mu.Lock()
	w.cancel = cancel
	w.mu.Unlock()
	if w.timer == nil {
		w.timer = time.AfterFunc(watchDelay, w.fire)
		return
	}
	w.timer.Reset(watchDelay)
}

// fire runs when a check has taken watchDelay: it watches the client
// socket until disarm. A late fire of an earlier arming only starts the
// current check's watch early.
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
	w.timer.Stop()
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
