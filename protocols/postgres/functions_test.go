package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Through the gateway, functions are judged by the server's own catalog:
// harmless built-ins the old list did not know are read-only, user-defined
// functions (whatever volatility they declare), dangerous built-ins and
// functions that read whole tables around the column masks are not.
func TestFunctionsJudgedByTheUpstreamCatalog(t *testing.T) {
	tg := startGateway(t)
	ctx := context.Background()
	for _, sql := range []string{
		`CREATE FUNCTION public.f_stable() RETURNS int STABLE LANGUAGE sql AS 'SELECT 1'`,
		`CREATE FUNCTION public.f_immutable() RETURNS int IMMUTABLE LANGUAGE plpgsql AS 'BEGIN RETURN 1; END'`,
		`CREATE FUNCTION public.upper(x int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT x'`,
	} {
		up, err := pgconn.Connect(ctx, strings.Replace(testUpstream, "/test?", "/"+tg.db+"?", 1))
		if err != nil {
			t.Fatal(err)
		}
		if err := up.Exec(ctx, sql).Close(); err != nil {
			t.Fatal(err)
		}
		_ = up.Close(ctx)
	}
	agent := tg.connect(t, "agent", simpleMode)
	cases := []struct {
		sql     string
		allowed bool
	}{
		{"SELECT convert_to('a', 'UTF8')", true},
		{"SELECT length(md5('x')), now(), random()", true},
		{"SELECT pg_sleep(0)", true},
		{"SELECT f_stable()", false},
		{"SELECT public.f_immutable()", false},
		{"SELECT upper('a')", false}, // a same-named function outside pg_catalog: which runs is not certain
		{"SELECT set_config('a.b', 'c', false)", false},
		{"SELECT table_to_xml('customers', true, false, '')", false},
		{"SELECT query_to_xml('SELECT * FROM customers', true, false, '')", false},
		{"SELECT txid_current()", false},
		{"SELECT no_such_function()", false},
	}
	for _, c := range cases {
		_, err := agent.Exec(ctx, c.sql)
		refused := sqlState(err) == "42501"
		if refused == c.allowed {
			t.Errorf("%s: allowed=%v, want %v (err %v)", c.sql, !refused, c.allowed, err)
		}
	}
}

// Volatile and Heavy are visible to rules on every statement.
func TestVolatileAndHeavyMarks(t *testing.T) {
	tg := startGateway(t)
	fc := functionCatalogFor(tg.srv.cfg.Upstream, nil)
	cls := &catalogClassifier{inner: ParserClassifier{}, catalog: fc}
	for sql, want := range map[string][2]bool{ // volatile, heavy
		"SELECT 1":        {false, false},
		"SELECT random()": {true, false},
		"SELECT count(*) FROM generate_series(1, 10)": {false, true},
		"SELECT pg_sleep(1)":                          {true, true},
		"SELECT repeat('x', 1000000)":                 {false, true},
		"SELECT nextval('s')":                         {true, false},
	} {
		cl, err := cls.Classify(sql)
		if err != nil {
			t.Fatal(err)
		}
		st := cl.Statements[0]
		if st.Volatile != want[0] || st.Heavy != want[1] {
			t.Errorf("%s: volatile %v heavy %v, want %v", sql, st.Volatile, st.Heavy, want)
		}
	}
}

// When the catalog cannot be read, the narrower built-in list decides:
// nothing the list does not know becomes read-only.
func TestUnreadableCatalogFailsClosed(t *testing.T) {
	cfg, err := pgconn.ParseConfig("postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	cls := &catalogClassifier{inner: ParserClassifier{}, catalog: &functionCatalog{Upstream: cfg}}
	for sql, want := range map[string]bool{
		"SELECT convert_to('a', 'UTF8')":     false, // not in the built-in list
		"SELECT lower('A')":                  true,
		"SELECT set_config('a', 'b', false)": false,
	} {
		cl, err := cls.Classify(sql)
		if err != nil {
			t.Fatal(err)
		}
		if cl.Statements[0].ReadOnly != want {
			t.Errorf("%s: read_only %v, want %v", sql, cl.Statements[0].ReadOnly, want)
		}
	}
}
