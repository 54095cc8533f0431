package postgres

import (
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestCloseWhileSessionsStart closes the server while sessions are at
// every stage of their start: their startup message on its way, waiting
// for a password (their client socket set by startup), and logged in
// (their upstream socket set too). Close ends each one (its client reads
// EOF or a FATAL) and returns. Under -race it runs abort, called from
// Close, against the sessions' goroutines setting their sockets
// (setSockets): CI's -race run once caught the old code's abort reading
// c.client while startup wrote it (in TestStartupRefusals' cleanup); the
// window is narrow, and this test does not reproduce it on demand.
func TestCloseWhileSessionsStart(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	var clients []net.Conn
	for range 4 {
		nc, err := net.Dial("tcp", tg.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
		fe := pgproto3.NewFrontend(nc, nc)
		fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "agent", "database": tg.db}})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*pgproto3.AuthenticationCleartextPassword); !ok {
			t.Fatalf("startup answered %T, want a password request", m)
		}
		clients = append(clients, nc)
	}
	var logged []*pgproto3.Frontend
	for range 4 {
		logged = append(logged, rawLogin(t, tg, "agent"))
	}
	// And clients whose startup message is on its way as Close runs.
	for range 16 {
		nc, err := net.Dial("tcp", tg.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		fe := pgproto3.NewFrontend(nc, nc)
		fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "agent", "database": tg.db}})
		_ = fe.Flush()
	}
	closed := make(chan error, 1)
	go func() { closed <- tg.srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return with sessions starting")
	}
	for i, nc := range clients {
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err == nil {
			t.Errorf("client %d waiting for its password: still open after Close", i)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("client %d waiting for its password: not closed by Close", i)
		}
	}
	for i, fe := range logged {
		if m, err := fe.Receive(); err == nil {
			if _, fatal := m.(*pgproto3.ErrorResponse); !fatal {
				t.Errorf("logged-in client %d: got %T after Close, want the end of the session", i, m)
			}
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("logged-in client %d: not closed by Close", i)
		}
	}
}
