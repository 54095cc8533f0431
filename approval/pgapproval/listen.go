package pgapproval

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// listenRetry is the wait before the listener reconnects after an error.
const listenRetry = time.Second

// listener shares one LISTEN connection among all the Await calls of an
// Approver, so that held requests do not each keep a connection of the
// pool: with one per waiter, as many held requests as the pool has
// connections left none for the votes that would release them. The first
// waiter starts it; it stops when the last one leaves.
type listener struct {
	pool *pgxpool.Pool

	mu      sync.Mutex
	waiters int
	stop    context.CancelFunc
	changed chan struct{} // closed at the next notification
}

func newListener(pool *pgxpool.Pool) *listener {
	return &listener{pool: pool, changed: make(chan struct{})}
}

// join registers a waiter, starting the listener for the first one.
func (l *listener) join() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiters++
	if l.waiters == 1 {
		ctx, stop := context.WithCancel(context.Background())
		l.stop = stop
		go l.run(ctx)
	}
}

// leave unregisters a waiter, stopping the listener after the last one.
func (l *listener) leave() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiters--
	if l.waiters == 0 {
		l.stop()
		l.stop = nil
	}
}

// next returns a channel closed at the next notification on Channel, or
// when the listener (re)connects: take it before reading the state it
// guards, so no change is missed.
func (l *listener) next() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

func (l *listener) broadcast() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
}

// run listens until ctx ends, reconnecting after errors; meanwhile the
// waiters poll.
func (l *listener) run(ctx context.Context) {
	for ctx.Err() == nil {
		_ = l.listen(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(listenRetry):
		}
	}
}

func (l *listener) listen(ctx context.Context) error {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// The connection goes back to the pool: stop listening on it.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, "UNLISTEN "+Channel)
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	// Whatever changed before LISTEN took effect is read again.
	l.broadcast()
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		l.broadcast()
	}
}
