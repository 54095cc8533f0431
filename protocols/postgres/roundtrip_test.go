package postgres

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// countConn counts a socket's writes and the reads that returned bytes,
// as the proxy sees them: every write is at least one system call and a
// wake-up of the peer, the cost issue 19 measures per statement.
type countConn struct {
	net.Conn
	writes, reads atomic.Int64
	// session is set on an upstream socket whose startup message names
	// countedApp: a client session's, not the catalog's own connection
	// (which checks the schema version at most once a second).
	session atomic.Bool
}

// countedApp is the application_name of the counted clients; the gateway
// passes it on to their upstream sessions.
const countedApp = "airlock-counted"

func (c *countConn) Write(p []byte) (int, error) {
	// Counted before the bytes leave: the peer cannot see them first.
	if c.writes.Add(1) == 1 && bytes.Contains(p, []byte("application_name\x00"+countedApp+"\x00")) {
		c.session.Store(true)
	}
	return c.Conn.Write(p)
}

func (c *countConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.reads.Add(1)
	}
	return n, err
}

// ioCounts is what both sides of the proxy did, summed over its sockets.
type ioCounts struct{ clientWrites, clientReads, upWrites, upReads int64 }

// countingGateway is a gateway whose client and upstream sockets are
// counted; addr serves clients through ServeConn.
type countingGateway struct {
	*testGateway
	addr    string
	mu      sync.Mutex
	clients []*countConn
	ups     []*countConn
}

func startCountingGateway(t *testing.T, opts ...gwOption) *countingGateway {
	t.Helper()
	cg := &countingGateway{}
	opts = append(opts, func(_ *gate.Config, cfg *Config) {
		dial := cfg.Upstream.DialFunc
		cfg.Upstream.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			cc := &countConn{Conn: nc}
			cg.mu.Lock()
			cg.ups = append(cg.ups, cc)
			cg.mu.Unlock()
			return cc, nil
		}
	})
	cg.testGateway = startGateway(t, opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			cc := &countConn{Conn: nc}
			cg.mu.Lock()
			cg.clients = append(cg.clients, cc)
			cg.mu.Unlock()
			go cg.srv.ServeConn(context.Background(), cc)
		}
	}()
	cg.addr = ln.Addr().String()
	return cg
}

func (cg *countingGateway) counts() ioCounts {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	var n ioCounts
	for _, c := range cg.clients {
		n.clientWrites += c.writes.Load()
		n.clientReads += c.reads.Load()
	}
	for _, c := range cg.ups {
		if !c.session.Load() {
			continue
		}
		n.upWrites += c.writes.Load()
		n.upReads += c.reads.Load()
	}
	return n
}

func (cg *countingGateway) connect(t *testing.T, user string, mutate func(*pgx.ConnConfig)) *pgx.Conn {
	t.Helper()
	return cg.testGateway.connect(t, user, mutate, func(cfg *pgx.ConnConfig) {
		host, port, _ := net.SplitHostPort(cg.addr)
		cfg.Host = host
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Port = uint16(p)
		cfg.RuntimeParams["application_name"] = countedApp
	})
}

// checkCoalesced asserts the proxy's write discipline over a span of
// round trips: everything the upstream answered to one read reaches the
// client in at most one write (replies are buffered, flushed when the
// upstream has nothing more buffered), and everything the client sent in
// one read reaches the server in at most one write (a statement or batch
// goes upstream whole, after its decision). More writes than reads on
// either side is a write per message, an added round trip of the proxy's
// own, or a flush in the middle of what one read brought.
func checkCoalesced(t *testing.T, what string, before, after ioCounts, roundTrips int) {
	t.Helper()
	d := ioCounts{after.clientWrites - before.clientWrites, after.clientReads - before.clientReads,
		after.upWrites - before.upWrites, after.upReads - before.upReads}
	t.Logf("%s: %d round trips: client reads %d, upstream writes %d, upstream reads %d, client writes %d",
		what, roundTrips, d.clientReads, d.upWrites, d.upReads, d.clientWrites)
	if d.clientWrites < int64(roundTrips) || d.upWrites < int64(roundTrips) {
		t.Fatalf("%s: fewer writes than round trips: the counting sees nothing (%+v)", what, d)
	}
	if d.clientWrites > d.upReads {
		t.Errorf("%s: %d writes to the client for %d reads from the upstream: replies not coalesced", what, d.clientWrites, d.upReads)
	}
	if d.upWrites > d.clientReads {
		t.Errorf("%s: %d writes upstream for %d reads from the client: statements not coalesced", what, d.upWrites, d.clientReads)
	}
}

// TestOneWritePerRoundTrip counts the proxy's socket writes per statement
// with a real PostgreSQL in every query mode, for single statements (rows
// masked and recorded) and for a pipelined batch: never more writes to a
// side than reads from the other.
func TestOneWritePerRoundTrip(t *testing.T) {
	t.Parallel()
	cg := startCountingGateway(t)
	ctx := context.Background()
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			c := cg.connect(t, "agent", m)
			var id int
			var card string
			q := "SELECT id, card FROM customers WHERE id = $1"
			for i := range 3 { // warm the statement cache and the catalog
				if err := c.QueryRow(ctx, q, 1+i%2).Scan(&id, &card); err != nil {
					t.Fatal(err)
				}
			}
			const n = 30
			before := cg.counts()
			for i := range n {
				if err := c.QueryRow(ctx, q, 1+i%2).Scan(&id, &card); err != nil {
					t.Fatal(err)
				}
				if card == testCard {
					t.Fatal("the card was not masked")
				}
			}
			checkCoalesced(t, name+" single", before, cg.counts(), n)

			before = cg.counts()
			for range n / 10 {
				b := &pgx.Batch{}
				for i := range 10 {
					b.Queue(q, 1+i%2)
				}
				if err := c.SendBatch(ctx, b).Close(); err != nil {
					t.Fatal(err)
				}
			}
			checkCoalesced(t, name+" batch", before, cg.counts(), n/10)
		})
	}
}

// TestReplyNotHeldBack: what the server sent reaches the client when the
// server pauses, not when the statement ends. A function raises a notice
// (PostgreSQL flushes it at once), sleeps, then returns: the client must
// hear the notice while the statement still runs.
func TestReplyNotHeldBack(t *testing.T) {
	t.Parallel()
	cg := startCountingGateway(t, withRules(allowAllMasked("card_column", "customers.card")))
	cg.adminExec(t, `CREATE FUNCTION slow_notice() RETURNS int LANGUAGE plpgsql AS
		$$BEGIN RAISE NOTICE 'first part'; PERFORM pg_sleep(1.5); RETURN 1; END$$`)
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var noticed time.Time
			c := cg.connect(t, "admin", func(cfg *pgx.ConnConfig) {
				m(cfg)
				cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
					mu.Lock()
					if noticed.IsZero() && n.Message == "first part" {
						noticed = time.Now()
					}
					mu.Unlock()
				}
			})
			start := time.Now()
			var v any // what the masking makes of it does not matter here
			if err := c.QueryRow(context.Background(), "SELECT slow_notice()").Scan(&v); err != nil {
				t.Fatal(err)
			}
			done := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if noticed.IsZero() {
				t.Fatal("the notice never came")
			}
			if done.Sub(start) < 1500*time.Millisecond {
				t.Fatalf("the statement took %v: the function did not sleep, the case tests nothing", done.Sub(start))
			}
			if lag := done.Sub(noticed); lag < time.Second {
				t.Fatalf("the notice came %v after the start, %v before the end: held back until the reply ended",
					noticed.Sub(start), lag)
			}
		})
	}
}
