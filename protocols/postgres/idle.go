package postgres

import (
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// DefaultIdleInTransactionTimeout is Config.IdleInTransactionTimeout when
// unset.
const DefaultIdleInTransactionTimeout = 5 * time.Minute

// idleWatch ends a session idle in a transaction. The session is idle
// when the server's last ReadyForQuery said it is in a transaction ('T')
// or a failed one ('E'), nothing sent is unanswered, and the client
// goroutine waits for the client's next message. Either goroutine arms
// the timer when it makes the session idle (the upstream goroutine at
// ReadyForQuery, the client goroutine before it reads); the client
// goroutine disarms it when a message arrives. gen tells a timer that
// fires late from the current one.
type idleWatch struct {
	mu      sync.Mutex
	timer   *time.Timer
	gen     uint64
	tx      byte // the last ReadyForQuery's status
	reading bool // the client goroutine waits for a message
}

// idleReady notes a ReadyForQuery's status (upstream goroutine).
func (c *conn) idleReady(tx byte) {
	c.idle.mu.Lock()
	defer c.idle.mu.Unlock()
	c.idle.tx = tx
	c.armIdleLocked()
}

// idleReading notes that the client goroutine waits for a message
// (reading) or got one.
func (c *conn) idleReading(reading bool) {
	c.idle.mu.Lock()
	defer c.idle.mu.Unlock()
	c.idle.reading = reading
	if reading {
		c.armIdleLocked()
		return
	}
	c.idle.gen++
	if c.idle.timer != nil {
		c.idle.timer.Stop()
		c.idle.timer = nil
	}
}

// armIdleLocked starts the timer when the session is idle in a
// transaction and none runs; c.idle.mu is held.
func (c *conn) armIdleLocked() {
	d := c.srv.cfg.IdleInTransactionTimeout
	w := &c.idle
	if d < 0 || w.timer != nil || !w.reading || (w.tx != 'T' && w.tx != 'E') || c.q.peek() != nil {
		return
	}
	gen := w.gen
	w.timer = time.AfterFunc(d, func() { c.idleExpired(gen, d) })
}

// idleExpired ends the session when it is still idle since the timer
// that fired was armed: the client is told why, and closing the upstream
// connection rolls the transaction back and releases its locks.
func (c *conn) idleExpired(gen uint64, d time.Duration) {
	c.idle.mu.Lock()
	if gen != c.idle.gen || c.idle.timer == nil {
		c.idle.mu.Unlock()
		return
	}
	c.idle.timer = nil
	c.idle.gen++
	c.idle.mu.Unlock()
	msg := fmt.Sprintf("airlock: terminating the session: idle in a transaction for longer than %s (its locks blocked other sessions); the transaction was rolled back", d)
	c.srv.log.Info("postgres: idle in transaction", "session", c.session.ID, "timeout", d)
	b, _ := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "25P03", Message: msg}).Encode(nil)
	c.sockMu.Lock()
	client := c.client
	c.sockMu.Unlock()
	// The upstream goroutine has flushed everything (it waits for the
	// server); the client socket takes this last message directly.
	_ = client.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = client.Write(b)
	c.abort()
}
