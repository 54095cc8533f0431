package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// strictRules is the agent policy: a read is a SELECT that is
// read-only and not opaque (PREPARE, EXPLAIN and EXECUTE are let through
// when read-only, so the protocol side of the attacks is exercised);
// results are masked for cards, e-mails and SSNs.
const strictRules = `
default: deny
rules:
  - name: agent-reads
    when: sql.statements.all(s, s.kind in ["SELECT", "EXPLAIN", "PREPARE", "EXECUTE"] && s.read_only && !s.opaque)
    action: allow
  - name: mask-pii
    when: "true"
    mask: [credit_card, email, ssn]
`

// piiValues fill the pii table: every value is a detectable card number,
// e-mail or SSN, so any byte of them reaching a client is a leak.
var piiValues = [][3]string{
	{"4111111111111111", "alice.liddell@example.com", "536-22-8736"},
	{"5500000000000004", "bob.builder@example.org", "219-45-7312"},
	{"4012888888881881", "carol.danvers@example.net", "301-62-9017"},
}

func withRules(text string) gwOption {
	return func(g *gate.Config, _ *Config) {
		rs, err := gate.ParseRules("strict.yaml", []byte(text))
		if err != nil {
			panic(err)
		}
		g.Rules = rs
	}
}

// dialAdmin connects to the test database as the superuser, around the
// gateway. The caller closes the connection.
func (tg *testGateway) dialAdmin(t testing.TB) *pgconn.PgConn {
	t.Helper()
	c, err := pgconn.Connect(context.Background(), dbURL(tg.db))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// adminConn is dialAdmin with the connection closed at the test's end.
func (tg *testGateway) adminConn(t testing.TB) *pgconn.PgConn {
	t.Helper()
	c := tg.dialAdmin(t)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// adminExec runs SQL on the test database as the superuser.
func (tg *testGateway) adminExec(t testing.TB, sql string) []*pgconn.Result {
	t.Helper()
	ctx := context.Background()
	c := tg.dialAdmin(t)
	defer c.Close(ctx)
	res, err := c.Exec(ctx, sql).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res
}

func (tg *testGateway) count(t testing.TB, table string) int {
	t.Helper()
	res := tg.adminExec(t, "SELECT count(*) FROM "+table)
	var n int
	_, _ = fmt.Sscan(string(res[0].Rows[0][0]), &n)
	return n
}

// seedPII adds the pii table and three victims rows, and checks the
// policy detects every fixture value.
func seedPII(t testing.TB, tg *testGateway) {
	t.Helper()
	var b strings.Builder
	b.WriteString("CREATE TABLE pii (card text, email text, ssn text); INSERT INTO victims VALUES (1), (2), (3);")
	for _, v := range piiValues {
		fmt.Fprintf(&b, "INSERT INTO pii VALUES ('%s', '%s', '%s');", v[0], v[1], v[2])
	}
	tg.adminExec(t, b.String())
	p, err := tg.gate.Rules().Masks().Policy([]string{"credit_card", "email", "ssn"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range piiValues {
		for _, s := range v {
			if out, _, _ := p.Value("", s); strings.Contains(out, s) {
				t.Fatalf("fixture value %q is not detected", s)
			}
		}
	}
}

// leaked returns the first fixture value found in b.
func leaked(b []byte) string {
	for _, v := range piiValues {
		for _, s := range v {
			if bytes.Contains(b, []byte(s)) {
				return s
			}
		}
	}
	return ""
}

// rawConn is a client speaking the protocol message by message, keeping
// every byte it received.
type rawConn struct {
	t    testing.TB
	nc   net.Conn
	fe   *pgproto3.Frontend
	got  bytes.Buffer
	dead bool
}

func (tg *testGateway) raw(t testing.TB, user string) *rawConn {
	t.Helper()
	return dialRaw(t, tg.addr, map[string]string{"user": user, "database": tg.db}, "secret")
}

func dialRaw(t testing.TB, addr string, params map[string]string, password string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	r := &rawConn{t: t, nc: nc}
	r.fe = pgproto3.NewFrontend(io.TeeReader(nc, &r.got), nc)
	r.fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params})
	if err := r.fe.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		m, err := r.fe.Receive()
		if err != nil {
			t.Fatalf("startup: %v", err)
		}
		switch m := m.(type) {
		case *pgproto3.AuthenticationCleartextPassword:
			r.fe.Send(&pgproto3.PasswordMessage{Password: password})
			if err := r.fe.Flush(); err != nil {
				t.Fatal(err)
			}
		case *pgproto3.ErrorResponse:
			t.Fatalf("startup refused: %s %s", m.Code, m.Message)
		case *pgproto3.ReadyForQuery:
			r.got.Reset()
			return r
		}
	}
}

func (r *rawConn) send(ms ...pgproto3.FrontendMessage) {
	r.t.Helper()
	for _, m := range ms {
		r.fe.Send(m)
	}
	if err := r.fe.Flush(); err != nil && !r.dead {
		r.t.Fatal(err)
	}
}

// until reads until n ReadyForQuery messages, the end of the connection
// or a pause of wait; it returns a summary of each message.
func (r *rawConn) until(n int, wait time.Duration) []string {
	r.t.Helper()
	var out []string
	for n > 0 {
		_ = r.nc.SetReadDeadline(time.Now().Add(wait))
		m, err := r.fe.Receive()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				out = append(out, "timeout")
				return out
			}
			r.dead = true
			out = append(out, "closed")
			return out
		}
		out = append(out, summarize(m))
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			n--
		}
	}
	return out
}

// untilSeen reads messages until one summarised as want arrives (or the
// connection fails or wait passes without a message) and returns them: a
// test that expects an answer the server ends without ReadyForQuery (an
// error before Sync, after Flush) waits for that answer, not for a short
// deadline that a loaded machine can miss.
func (r *rawConn) untilSeen(want string, wait time.Duration) []string {
	r.t.Helper()
	var out []string
	for {
		_ = r.nc.SetReadDeadline(time.Now().Add(wait))
		m, err := r.fe.Receive()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return append(out, "timeout")
			}
			r.dead = true
			return append(out, "closed")
		}
		out = append(out, summarize(m))
		if out[len(out)-1] == want {
			return out
		}
	}
}

func summarize(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.ErrorResponse:
		return "E:" + m.Code
	case *pgproto3.CommandComplete:
		return "C:" + string(m.CommandTag)
	case *pgproto3.DataRow:
		var vs []string
		for _, v := range m.Values {
			vs = append(vs, string(v))
		}
		return "D:" + strings.Join(vs, "|")
	case *pgproto3.ReadyForQuery:
		return "Z:" + string(m.TxStatus)
	case *pgproto3.ParseComplete:
		return "1"
	case *pgproto3.BindComplete:
		return "2"
	case *pgproto3.CloseComplete:
		return "3"
	case *pgproto3.RowDescription:
		return "T"
	case *pgproto3.NoData:
		return "n"
	case *pgproto3.ParameterDescription:
		return "t"
	case *pgproto3.NoticeResponse:
		return "N"
	case *pgproto3.EmptyQueryResponse:
		return "I"
	case *pgproto3.PortalSuspended:
		return "s"
	}
	return fmt.Sprintf("%T", m)
}

func has(msgs []string, want string) bool {
	for _, m := range msgs {
		if m == want {
			return true
		}
	}
	return false
}

// inCI reports whether tests run under CI, where nothing may be skipped.
func inCI() bool { return os.Getenv("CI") != "" }

func parse(name, sql string) *pgproto3.Parse { return &pgproto3.Parse{Name: name, Query: sql} }
func bind(portal, stmt string) *pgproto3.Bind {
	return &pgproto3.Bind{DestinationPortal: portal, PreparedStatement: stmt}
}
func execute(portal string) *pgproto3.Execute { return &pgproto3.Execute{Portal: portal} }
func syncMsg() *pgproto3.Sync                 { return &pgproto3.Sync{} }
func flush() *pgproto3.Flush                  { return &pgproto3.Flush{} }
func query(sql string) *pgproto3.Query        { return &pgproto3.Query{String: sql} }
