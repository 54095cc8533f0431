package postgres

import (
	"context"
	"encoding/binary"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgproto3"
)

// Attack 6: before authentication, connections declaring huge password
// messages must not grow the gateway's heap; each gets an error.
func TestAttackPreAuthMemory(t *testing.T) {
	tg := startGateway(t)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	const n = 20
	conns := make([]net.Conn, n)
	for i := range conns {
		nc, err := net.Dial("tcp", tg.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		conns[i] = nc
		b := encode(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
			Parameters: map[string]string{"user": "agent", "database": tg.db}})
		if _, err := nc.Write(b); err != nil {
			t.Fatal(err)
		}
		var auth [9]byte // AuthenticationCleartextPassword
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := readFull(nc, auth[:]); err != nil || auth[0] != 'R' {
			t.Fatalf("auth request: %v %q", err, auth)
		}
		// A password message declaring 60 MiB, and a first few bytes.
		hdr := []byte{'p', 0, 0, 0, 0}
		binary.BigEndian.PutUint32(hdr[1:], 60<<20)
		if _, err := nc.Write(append(hdr, strings.Repeat("x", 4096)...)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	grown := int64(heap()) - int64(before)
	if grown > 8<<20 {
		t.Fatalf("the heap grew by %d bytes for %d unauthenticated connections", grown, n)
	}
	for _, nc := range conns {
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		var hdr [5]byte
		if _, err := readFull(nc, hdr[:]); err != nil || hdr[0] != 'E' {
			t.Fatalf("want an ErrorResponse, got %q %v", hdr, err)
		}
	}
	// The gateway still serves.
	c := tg.connect(t, "agent")
	var one int
	if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func readFull(nc net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := nc.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestConnectionCaps(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, func(_ *gate.Config, c *Config) {
		c.MaxConnections = 3
		c.MaxConnectionsPerIdentity = 2
	})
	ctx := context.Background()
	a1 := tg.connect(t, "agent")
	tg.connect(t, "agent")
	// A third session of the same identity: refused, 53300.
	_, err := pgxConnect(ctx, tg.url("agent"))
	if sqlState(err) != "53300" {
		t.Fatalf("third agent session: %v", err)
	}
	// Another identity still gets in, up to the total.
	tg.connect(t, "admin")
	_, err = pgxConnect(ctx, tg.url("admin"))
	if sqlState(err) != "53300" {
		t.Fatalf("fourth connection: %v", err)
	}
	// Nothing else disturbed.
	var one int
	if err := a1.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	// A session ending frees its place.
	if err := a1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := pgxConnect(ctx, tg.url("agent"))
		if err == nil {
			_ = c.Close(ctx)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("place not freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Item 7: the client's database name is not silently ignored.
func TestDatabaseName(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	_, err := pgxConnect(ctx, strings.Replace(tg.url("agent"), "/"+tg.db+"?", "/postgres?", 1))
	if sqlState(err) != "3D000" || !strings.Contains(err.Error(), tg.db) {
		t.Fatalf("another database: %v", err)
	}
	c, err := pgxConnect(ctx, tg.url("agent"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var db string
	if err := c.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil || db != tg.db {
		t.Fatalf("current_database %q %v", db, err)
	}
	// No database parameter at all: the configured one.
	r := dialRaw(t, tg.addr, map[string]string{"user": "agent"}, "secret")
	r.send(&pgproto3.Query{String: "SELECT current_database()"})
	if got := r.until(1, step); !has(got, "D:"+tg.db) {
		t.Fatalf("no database parameter: %v", got)
	}
}
