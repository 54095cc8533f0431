package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// testUpstream is the server the test databases live on (trust auth).
const testUpstream = pgtest.AdminURL

// dbURL is the URL of database name on the test server.
func dbURL(name string) string {
	return strings.Replace(testUpstream, "/test?", "/"+name+"?", 1)
}

// testCard is a Luhn-valid test card number.
const testCard = "4111111111111111"

const testRules = `
default: deny
rules:
  - name: read-only
    when: sql.statements.all(s, s.read_only && !s.opaque)
    action: allow
  - name: scratch-writes
    when: >
      sql.statements.all(s, !s.opaque && (s.read_only ||
        s.kind in ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START"] ||
        (s.kind in ["INSERT", "UPDATE", "DELETE", "COPY"] && s.tables.all(t, t.name in ["scratch", "held"]))))
    action: allow
  - name: no-unbounded-writes
    when: sql.statements.exists(s, s.kind in ["UPDATE", "DELETE"] && !s.has_where)
    action: deny
    reason: UPDATE and DELETE need a WHERE clause
  - name: hold-deletes-on-held
    when: sql.statements.exists(s, s.kind == "DELETE" && s.tables.exists(t, t.name == "held"))
    action: review
    review:
      ttl: 1m
  - name: mask-for-agents
    when: identity.groups.exists(g, g == "agents")
    mask: [credit_card, email, card_column]
masking:
  fields:
    - name: card_column
      columns: ["customers.card", "customers.pin"]
`

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newDB creates a throwaway database (internal/pgtest) with the test
// tables and returns its name.
func newDB(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	url := pgtest.Database(t, "airlock_pg")
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	name := cfg.Database
	c, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE customers (id int PRIMARY KEY, name text, card text, pin text, card_num int8, note text, doc jsonb);
		INSERT INTO customers VALUES
		  (1, 'Ada', '%[1]s', '1234', %[1]s, 'paid with %[1]s', '{"card": "%[1]s", "ok": 1}'),
		  (2, 'Bob', '5500000000000004', '9999', 5500000000000004, 'mail bob@example.com', '{"x": 2}');
		CREATE TABLE scratch (id int, v text);
		CREATE TABLE held (id int, v text);
		INSERT INTO held VALUES (1, 'a'), (2, 'b');
		CREATE TABLE victims (id int);
	`, testCard)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return name
}

type testGateway struct {
	addr     string
	db       string
	srv      *Server
	rec      *record.Memory
	approver *approval.Memory
	gate     *gate.Gate
}

// gateEvents returns the recorded gate events of every session, each
// session's in order.
func (tg *testGateway) gateEvents() []gate.Event { return gatetest.Events(tg.rec) }

// storedEvents returns the stored entries of every session, checkpoints
// included, each session's in order.
func (tg *testGateway) storedEvents() []record.Event {
	var out []record.Event
	for _, sid := range tg.rec.Sessions() {
		out = append(out, tg.rec.Events(sid)...)
	}
	return out
}

// recordedWith returns the JSON of the first stored entry that contains
// text, or "".
func (tg *testGateway) recordedWith(text string) string {
	for _, e := range tg.storedEvents() {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), text) {
			return string(b)
		}
	}
	return ""
}

type gwOption func(*gate.Config, *Config)

// startGateway runs a gateway in front of a fresh database.
func startGateway(t testing.TB, opts ...gwOption) *testGateway {
	t.Helper()
	db := newDB(t)
	rs, err := gate.ParseRules("test.yaml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	tg := &testGateway{db: db, rec: &record.Memory{}, approver: &approval.Memory{}}
	gcfg := gate.Config{Rules: rs, Recorder: tg.rec, Approver: tg.approver}
	up, err := pgconn.ParseConfig(dbURL(db))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Upstream: up, AllowInsecurePassword: true, Authenticator: testAuth}
	for _, o := range opts {
		o(&gcfg, &cfg)
	}
	tg.gate = gate.New(gcfg)
	cfg.Gate = tg.gate
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	tg.srv, tg.addr = srv, ln.Addr().String()
	return tg
}

// testAuth knows two users: agent (masked) and admin.
var testAuth = gate.AuthenticatorFunc(func(_ context.Context, r gate.Credential) (gate.Identity, error) {
	if r.Password != "secret" {
		return gate.Identity{}, errors.New("bad password")
	}
	switch r.User {
	case "agent":
		return gate.Identity{Subject: "agent-1", Kind: gate.KindAgent, Groups: []string{"agents"}}, nil
	case "admin":
		return gate.Identity{Subject: "admin-1", Kind: gate.KindHuman, Groups: []string{"admins"}}, nil
	}
	return gate.Identity{}, errors.New("unknown user")
})

// upstream connects to the test's database directly, as its owner (the
// fixture's side, past the gateway); the connection closes with the test.
func (tg *testGateway) upstream(t testing.TB) *pgconn.PgConn {
	t.Helper()
	up, err := pgconn.Connect(context.Background(), dbURL(tg.db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { up.Close(context.Background()) })
	return up
}

func (tg *testGateway) url(user string) string {
	host, port, _ := net.SplitHostPort(tg.addr)
	return fmt.Sprintf("postgres://%s:secret@%s:%s/%s?sslmode=disable", user, host, port, tg.db)
}

// eachMode runs check as a subtest per query mode (see modes), named after
// it, on a connection as user in that mode.
func (tg *testGateway) eachMode(t *testing.T, user string, check func(t *testing.T, mode string, c *pgx.Conn)) {
	for name, m := range modes {
		t.Run(name, func(t *testing.T) { check(t, name, tg.connect(t, user, m)) })
	}
}

func (tg *testGateway) connect(t testing.TB, user string, mutate ...func(*pgx.ConnConfig)) *pgx.Conn {
	t.Helper()
	c := tg.dial(t, user, mutate...)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// dial connects through the gateway as user; the caller closes the
// connection.
func (tg *testGateway) dial(t testing.TB, user string, mutate ...func(*pgx.ConnConfig)) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(tg.url(user))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutate {
		m(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func simpleMode(c *pgx.ConnConfig) { c.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol }

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func pgxConnect(ctx context.Context, url string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return pgx.Connect(ctx, url)
}
