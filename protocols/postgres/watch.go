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

// watchClient makes cancel fire when the client goes away while a
// statement is held, so the review is withdrawn instead of waiting for a
// reviewer nobody will hear from. The returned stop must be called before
// the client goroutine reads again.
func (c *conn) watchClient(cancel func()) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		done    chan struct{}
	)
	t := time.AfterFunc(watchDelay, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		done = make(chan struct{})
		go func() {
			defer close(done)
			// Peek consumes nothing: pipelined messages stay buffered.
			if _, err := c.rd.r.Peek(1); err != nil {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					cancel()
				}
			}
		}()
	})
	return func() {
		t.Stop()
		mu.Lock()
		stopped = true
		d := done
		mu.Unlock()
		if d != nil {
			_ = c.client.SetReadDeadline(time.Now())
			<-d
			_ = c.client.SetReadDeadline(time.Time{})
		}
	}
}
