package postgres

import (
	"context"
	"maps"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// slowWriteConn returns from its first slow Writes some time after the
// bytes went out, as a goroutine descheduled on a loaded machine does:
// the server's reply arrives while the writer still waits.
type slowWriteConn struct {
	net.Conn
	delay time.Duration
	slow  *atomic.Int32 // writes left to slow down
}

func (c slowWriteConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.slow.Add(-1) >= 0 {
		time.Sleep(c.delay)
	}
	return n, err
}

// TestUpstreamHandOffAfterSlowWrites: pgconn starts a background reader
// when a write of its takes longer than 15 ms, and that reader keeps a
// read in progress after the reply it was started for. The gateway reads
// the session's settings with pgconn before it takes the connection over;
// a read of pgconn's still in progress then took the server's reply to
// the client's first statement, and the client waited forever. Every
// statement of every session here must be answered.
func TestUpstreamHandOffAfterSlowWrites(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, func(_ *gate.Config, c *Config) {
		dial := c.Upstream.DialFunc
		c.Upstream.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// The startup message and the gateway's own reads before
			// the hand-over; the relay's writes are not slowed.
			slow := &atomic.Int32{}
			slow.Store(2)
			return slowWriteConn{Conn: nc, delay: 25 * time.Millisecond, slow: slow}, nil
		}
	})
	names := slices.Sorted(maps.Keys(modes))
	lost, sessions := 0, 2*len(names)
	for i := range sessions {
		func() {
			c := tg.dial(t, "admin", modes[names[i%len(names)]])
			defer func() { _ = c.Close(context.Background()) }()
			sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer scancel()
			var n int
			if err := c.QueryRow(sctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
				lost++
				t.Logf("session %d: first statement: %v", i, err)
			}
		}()
	}
	if lost > 0 {
		t.Fatalf("%d of %d sessions never got the reply to their first statement", lost, sessions)
	}
}
