package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgconn"
)

// catalogFixture creates functions of every kind the verdict tells apart.
const catalogFixture = `
CREATE FUNCTION vol_f() RETURNS int VOLATILE LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION imm_f(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION stable_pl() RETURNS int STABLE LANGUAGE plpgsql AS 'BEGIN RETURN 1; END';
-- A function of a language PostgreSQL does not police, declared IMMUTABLE.
CREATE FUNCTION c_imm(text) RETURNS text IMMUTABLE STRICT LANGUAGE internal AS 'upper';
CREATE FUNCTION over_f(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION over_f(text) RETURNS int VOLATILE LANGUAGE sql AS 'SELECT 1';
CREATE SCHEMA s;
CREATE FUNCTION s.lower(text) RETURNS text VOLATILE LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION s.imm_only(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION vol_eq(int, int) RETURNS bool VOLATILE LANGUAGE sql AS 'SELECT $1 = $2';
CREATE OPERATOR public.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = vol_eq);
CREATE FUNCTION row_f(victims) RETURNS int VOLATILE LANGUAGE sql AS 'SELECT 1';
CREATE TYPE money2 AS (v int);
CREATE FUNCTION to_money2(int) RETURNS money2 VOLATILE LANGUAGE sql AS 'SELECT ROW($1)::money2';
CREATE CAST (int AS money2) WITH FUNCTION to_money2(int);
CREATE VIEW v_vol AS SELECT id, vol_f() AS x FROM victims;
CREATE VIEW v_v AS SELECT * FROM v_vol;
CREATE VIEW v_op AS SELECT id FROM victims WHERE id === 1;
CREATE VIEW v_ok AS SELECT id, upper('x'), random() FROM victims WHERE id = 1;
CREATE VIEW v_seq AS SELECT id, pg_catalog.set_config('a.b', 'c', false) FROM victims;
CREATE VIEW v_long_ok AS SELECT id AS a_rather_long_column_name, id + 1 AS another_long_column_name, upper('x') AS uppered FROM victims;
CREATE VIEW v_long_vol AS SELECT id AS a_rather_long_column_name, id + 1 AS another_long_column_name, vol_f() AS tail FROM victims;
CREATE TABLE rls (id int);
ALTER TABLE rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON rls USING (vol_f() = 1);
`

func fixtureCatalog(t *testing.T) (*funcCatalog, *pgconn.Config, *pgconn.PgConn) {
	t.Helper()
	db := newDB(t)
	url := dbURL(db)
	ctx := context.Background()
	admin, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	if _, err := admin.Exec(ctx, catalogFixture).ReadAll(); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return funcCatalogFor(cfg, nil), cfg, admin
}

func annotated(t *testing.T, k *funcCatalog, sql string) pgsql.Statement {
	t.Helper()
	cl, err := pgsql.WithProcCatalog(pgsql.NewClassifier(0), k).Classify(sql)
	if err != nil {
		t.Fatal(err)
	}
	return cl.Statements[0]
}

// TestFunctionCatalog judges functions from a real PostgreSQL's pg_proc.
func TestFunctionCatalog(t *testing.T) {
	t.Parallel()
	k, _, admin := fixtureCatalog(t)
	cases := []struct {
		sql                 string
		ro, volatile, heavy bool
	}{
		{"SELECT 1", true, false, false},
		{"SELECT convert_to('a', 'UTF8')", true, false, false},
		{"SELECT now(), lower('x')", false, true, false}, // s.lower is volatile: search_path decides
		{"SELECT pg_catalog.lower('x'), upper('y')", true, false, false},
		{"SELECT imm_f(1), stable_pl()", false, true, false}, // user functions: declared volatility is not trusted
		{"SELECT vol_f()", false, true, false},
		{"SELECT c_imm('x')", false, true, false},
		{"SELECT over_f(1)", false, true, false},
		{"SELECT s.imm_only(1)", false, true, false},
		{"SELECT public.imm_only(1)", false, true, false},
		{"SELECT no_such_function()", false, true, false},
		{"SELECT random()", true, true, false},
		{"SELECT generate_series(1, 3)", true, false, true},
		{"SELECT pg_sleep(0)", true, true, true},
		{"SELECT pg_read_file('/etc/hostname')", false, true, true},
		{"SELECT query_to_xml('DELETE FROM victims RETURNING 1', true, true, '')", false, true, false},
		{"SELECT set_config('a.b', 'c', false)", false, true, false},
		{"SELECT nextval('x')", false, true, false},
		{"DELETE FROM victims WHERE imm_f(id) = 1", false, true, false},
		{"EXPLAIN EXECUTE p(vol_f())", false, true, false},
		{"EXPLAIN EXECUTE p(imm_f(1))", false, true, false},
		{"PREPARE p AS SELECT vol_f()", false, true, false},
		{"PREPARE p AS SELECT convert_to('a', 'UTF8')", true, false, false},
		{"PREPARE p(int, text) AS SELECT 1", true, false, false},
		{"PREPARE p(money2) AS SELECT 1", false, true, false}, // EXECUTE p(1) runs the cast to money2
		{"PREPARE p(int, public.money2[]) AS SELECT $1", false, true, false},
		{"SELECT v.row_f FROM victims v", false, true, false},
		{"SELECT (v).row_f FROM victims v", false, true, false},
		{"SELECT v.id, victims.id FROM victims v, victims", true, false, false},
		{"SELECT 1 === 1", false, true, false},
		{"SELECT * FROM v_vol", false, true, false},
		{"SELECT id FROM public.v_v", false, true, false},
		{"SELECT * FROM v_op", false, true, false},
		{"SELECT * FROM v_ok", true, true, false},
		{"SELECT * FROM v_seq", false, true, false},
		// Definitions longer than a name (63 bytes) are read whole.
		{"SELECT * FROM v_long_ok", true, false, false},
		{"SELECT * FROM v_long_vol", false, true, false},
		{"SELECT * FROM rls", false, true, false},
		{"SELECT * FROM victims", true, false, false},
		{"SELECT count(*) FROM pg_stat_activity, information_schema.tables", true, false, false},
		{"SELECT 1::money2", false, true, false},
		{"SELECT CAST(1 AS public.money2)", false, true, false},
		{"SELECT 1::text, '1'::int, '2020-01-01'::date, 'x'::varchar(3), 1::numeric(5,2), '{1}'::int[], 'a'::regclass", true, false, false},
		{"SELECT 1::no_such_type", false, true, false},
		{"SELECT 1 WHERE 1 === ANY (SELECT 1)", false, true, false},
		{"SELECT 1 = 1, 'a' || 'b', 1 OPERATOR(pg_catalog.+) 1 WHERE 2 BETWEEN 1 AND 3", true, false, false},
	}
	for _, c := range cases {
		st := annotated(t, k, c.sql)
		if st.ReadOnly != c.ro || st.Volatile != c.volatile || st.Heavy != c.heavy {
			t.Errorf("%s: ro=%v volatile=%v heavy=%v, want %v %v %v", c.sql, st.ReadOnly, st.Volatile, st.Heavy, c.ro, c.volatile, c.heavy)
		}
		if st.Prepared != nil && st.Prepared.ReadOnly != st.ReadOnly {
			t.Errorf("%s: prepared statement ro=%v", c.sql, st.Prepared.ReadOnly)
		}
	}

	// A function created later is learnt on the next reload for an
	// unknown name.
	if st := annotated(t, k, "SELECT late_f()"); st.ReadOnly {
		t.Fatal("unknown late_f judged read-only")
	}
	if _, err := admin.Exec(context.Background(), "CREATE FUNCTION late_f() RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT 1'").ReadAll(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(funcCatalogRetry + 100*time.Millisecond)
	_ = annotated(t, k, "SELECT late_f()")
	k.mu.Lock()
	_, known := k.procs["late_f"]
	k.mu.Unlock()
	if !known {
		t.Fatal("late_f not learnt from the catalog")
	}
}

// TestFunctionCatalogUnreachable fails closed: no catalog, no read-only
// function call.
func TestFunctionCatalogUnreachable(t *testing.T) {
	t.Parallel()
	cfg, err := pgconn.ParseConfig("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	k := funcCatalogFor(cfg, nil)
	if st := annotated(t, k, "SELECT lower('x')"); st.ReadOnly || !st.Volatile {
		t.Fatalf("unreachable catalog: ro=%v volatile=%v", st.ReadOnly, st.Volatile)
	}
	if st := annotated(t, k, "SELECT 1 FROM customers"); st.ReadOnly {
		t.Fatal("unreachable catalog: a table that may be a view judged read-only")
	}
	if st := annotated(t, k, "SELECT 1"); !st.ReadOnly {
		t.Fatal("a statement without functions needs no catalog")
	}
}

// TestFunctionVerdictThroughGateway: under the read-only rule, a harmless
// built-in the old fixed list refused runs, a volatile function does not.
func TestFunctionVerdictThroughGateway(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	admin := tg.adminConn(t)
	if _, err := admin.Exec(ctx, catalogFixture+"CREATE FUNCTION wipe() RETURNS int VOLATILE LANGUAGE sql AS 'DELETE FROM victims; SELECT 1';CREATE VIEW v_wipe AS SELECT wipe();CREATE FUNCTION wipe_row(victims) RETURNS int VOLATILE LANGUAGE sql AS 'DELETE FROM victims; SELECT 1';CREATE FUNCTION wipe_eq(int, int) RETURNS bool VOLATILE LANGUAGE sql AS 'DELETE FROM victims; SELECT true';CREATE OPERATOR public.=~= (LEFTARG = int, RIGHTARG = int, FUNCTION = wipe_eq);INSERT INTO victims VALUES (1);").ReadAll(); err != nil {
		t.Fatal(err)
	}
	c := tg.connect(t, "agent")
	var b []byte
	if err := c.QueryRow(ctx, "SELECT convert_to('a', 'UTF8')").Scan(&b); err != nil {
		t.Fatalf("convert_to refused: %v", err)
	}
	for _, sql := range []string{"SELECT imm_f(2)", "SELECT wipe()", "SELECT c_imm('x')", "SELECT * FROM victims WHERE over_f(id) = 1",
		"SELECT v.wipe_row FROM victims v", "SELECT (v).wipe_row FROM victims v", "SELECT * FROM victims WHERE id =~= 1", "SELECT * FROM v_wipe"} {
		_, err := c.Exec(ctx, sql)
		if sqlState(err) != "42501" {
			t.Errorf("%s: want 42501, got %v", sql, err)
		}
	}
	if err := admin.Exec(ctx, "SELECT count(*) FROM victims").Close(); err != nil {
		t.Fatal(err)
	}
	res, err := admin.Exec(ctx, "SELECT count(*) FROM victims").ReadAll()
	if err != nil || string(res[0].Rows[0][0]) != "1" {
		t.Fatalf("victims changed: %v %v", res, err)
	}
}

// TestRulesSeeVolatileAndHeavy: rules can name the new fields, and the
// agent-read rule of the examples holds with them.
func TestRulesSeeVolatileAndHeavy(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, func(g *gate.Config, _ *Config) {
		rs, err := gate.ParseRules("r.yaml", []byte(`default: deny
rules:
  - name: agent-read
    when: sql.statements.all(s, s.kind == "SELECT" && s.read_only && !s.opaque && !s.heavy)
    action: allow
  - name: no-volatile
    when: sql.statements.exists(s, s.volatile)
    action: deny
`))
		if err != nil {
			t.Fatal(err)
		}
		g.Rules = rs
	})
	c := tg.connect(t, "admin")
	ctx := context.Background()
	var n int
	if err := c.QueryRow(ctx, "SELECT length(convert_to('abc', 'UTF8'))").Scan(&n); err != nil || n != 3 {
		t.Fatalf("plain read refused: %v", err)
	}
	for _, sql := range []string{"SELECT pg_sleep(0)", "SELECT count(*) FROM generate_series(1, 10)", "SELECT random()",
		"SELECT * INTO t9 FROM victims", "SELECT * FROM victims FOR UPDATE", "PREPARE x AS DELETE FROM victims"} {
		if _, err := c.Exec(ctx, sql); sqlState(err) != "42501" {
			t.Errorf("%s: want 42501, got %v", sql, err)
		}
	}
}
