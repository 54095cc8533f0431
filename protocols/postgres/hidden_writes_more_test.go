package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// hiddenCodeFixture is what a database's owner made, straight upstream and
// as the superuser: functions with side effects (each logs a row in
// hw_log) reached without being called by name — a domain's CHECK, an
// operator, an aggregate, an implicit cast, an operator class, a view, a
// procedure, a foreign table's program — plus a sequence and a large
// object. %[1]s is a file the foreign table's program creates.
const hiddenCodeFixture = `
CREATE TABLE hw_log (n int);
CREATE FUNCTION hw_evil(text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$BEGIN INSERT INTO hw_log VALUES (1); RETURN true; END$$;
CREATE FUNCTION hw_plus(int, int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM hw_evil('op'); RETURN $1 + $2; END$$;
CREATE DOMAIN hw_dom AS text CHECK (hw_evil(VALUE));
CREATE DOMAIN hw_dom2 AS hw_dom;
CREATE TYPE hw_comp AS (a hw_dom);
CREATE TABLE hw_domtab (d hw_dom);
INSERT INTO hw_domtab VALUES ('x');
CREATE OPERATOR ### (LEFTARG = int, RIGHTARG = int, FUNCTION = hw_plus);
CREATE AGGREGATE hw_agg(int) (SFUNC = hw_plus, STYPE = int, INITCOND = '0');
CREATE TYPE hw_mood AS ENUM ('a', 'b');
CREATE FUNCTION hw_mood_int(hw_mood) RETURNS int LANGUAGE plpgsql VOLATILE AS $$BEGIN PERFORM hw_evil('cast'); RETURN 1; END$$;
CREATE CAST (hw_mood AS int) WITH FUNCTION hw_mood_int(hw_mood) AS IMPLICIT;
CREATE TABLE hw_moods (m hw_mood);
INSERT INTO hw_moods VALUES ('a');
CREATE TYPE hw_pair AS (a int);
CREATE FUNCTION hw_pair_cmp(hw_pair, hw_pair) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM hw_evil('cmp'); RETURN btint4cmp($1.a, $2.a); END$$;
CREATE FUNCTION hw_pair_lt(hw_pair, hw_pair) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM hw_evil('lt'); RETURN $1.a < $2.a; END$$;
CREATE FUNCTION hw_pair_le(hw_pair, hw_pair) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM hw_evil('le'); RETURN $1.a <= $2.a; END$$;
CREATE FUNCTION hw_pair_eq(hw_pair, hw_pair) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM hw_evil('eq'); RETURN $1.a = $2.a; END$$;
CREATE FUNCTION hw_pair_ge(hw_pair, hw_pair) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM hw_evil('ge'); RETURN $1.a >= $2.a; END$$;
CREATE FUNCTION hw_pair_gt(hw_pair, hw_pair) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM hw_evil('gt'); RETURN $1.a > $2.a; END$$;
CREATE OPERATOR <<< (LEFTARG = hw_pair, RIGHTARG = hw_pair, FUNCTION = hw_pair_lt);
CREATE OPERATOR <<<= (LEFTARG = hw_pair, RIGHTARG = hw_pair, FUNCTION = hw_pair_le);
CREATE OPERATOR === (LEFTARG = hw_pair, RIGHTARG = hw_pair, FUNCTION = hw_pair_eq);
CREATE OPERATOR >>>= (LEFTARG = hw_pair, RIGHTARG = hw_pair, FUNCTION = hw_pair_ge);
CREATE OPERATOR >>> (LEFTARG = hw_pair, RIGHTARG = hw_pair, FUNCTION = hw_pair_gt);
CREATE OPERATOR CLASS hw_pair_ops DEFAULT FOR TYPE hw_pair USING btree AS
  OPERATOR 1 <<<, OPERATOR 2 <<<=, OPERATOR 3 ===, OPERATOR 4 >>>=, OPERATOR 5 >>>, FUNCTION 1 hw_pair_cmp(hw_pair, hw_pair);
CREATE FUNCTION hw_int_cmp(int, int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$BEGIN PERFORM hw_evil('icmp'); RETURN btint4cmp($1, $2); END$$;
CREATE FUNCTION hw_int_lt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE OPERATOR <# (LEFTARG = int, RIGHTARG = int, FUNCTION = hw_int_lt);
CREATE OPERATOR CLASS hw_int_ops FOR TYPE int USING btree AS
  OPERATOR 1 <#, OPERATOR 2 pg_catalog.<=, OPERATOR 3 pg_catalog.=, OPERATOR 4 pg_catalog.>=, OPERATOR 5 pg_catalog.>, FUNCTION 1 hw_int_cmp(int, int);
CREATE TYPE hw_rng AS RANGE (subtype = int, subtype_opclass = hw_int_ops);
CREATE TABLE hw_indexed (id int);
INSERT INTO hw_indexed SELECT generate_series(1, 5000);
CREATE INDEX ON hw_indexed (id hw_int_ops);
ANALYZE hw_indexed;
CREATE TYPE hw_jt AS ENUM ('a');
CREATE FUNCTION hw_jt_json(hw_jt) RETURNS json LANGUAGE plpgsql VOLATILE AS $$BEGIN PERFORM hw_evil('json'); RETURN '1'; END$$;
CREATE CAST (hw_jt AS json) WITH FUNCTION hw_jt_json(hw_jt);
CREATE TABLE hw_jts (j hw_jt);
INSERT INTO hw_jts VALUES ('a');
CREATE TYPE hw_clean AS ENUM ('a', 'b');
CREATE DOMAIN hw_clean_dom AS text CHECK (VALUE <> 'z');
CREATE FUNCTION hw_trig() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM hw_evil('trigger'); RETURN NULL; END$$;
CREATE TABLE hw_cleantab (e hw_clean, d hw_clean_dom, n int DEFAULT hw_plus(1, 1));
CREATE TRIGGER hw_stmt AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hw_cleantab FOR EACH STATEMENT EXECUTE FUNCTION hw_trig();
CREATE RULE hw_rule AS ON INSERT TO hw_cleantab DO ALSO INSERT INTO hw_log VALUES (9);
INSERT INTO hw_cleantab (e, d) VALUES ('b', 'x'), ('a', 'y');
CREATE TABLE hw_pairs (p hw_pair);
INSERT INTO hw_pairs VALUES (ROW(2)), (ROW(1));
CREATE VIEW hw_view AS SELECT hw_evil('view') AS x;
CREATE PROCEDURE hw_proc() LANGUAGE sql AS $$INSERT INTO hw_log VALUES (2)$$;
CREATE SEQUENCE hw_seq;
SELECT lo_from_bytea(4242, 'abc');
CREATE EXTENSION file_fdw;
CREATE SERVER hw_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE hw_ft (x text) SERVER hw_files OPTIONS (program 'touch %[1]s; echo x');
CREATE TABLE hw_parent (x text);
CREATE FOREIGN TABLE hw_ft_child () INHERITS (hw_parent) SERVER hw_files OPTIONS (program 'touch %[1]s_child; echo x');
CREATE TABLE hw_parts (x text) PARTITION BY LIST (x);
CREATE FOREIGN TABLE hw_ft_part PARTITION OF hw_parts FOR VALUES IN ('x') SERVER hw_files OPTIONS (program 'touch %[1]s_part; echo x');
CREATE TABLE hw_idx_parent (id int);
CREATE TABLE hw_idx_child () INHERITS (hw_idx_parent);
INSERT INTO hw_idx_child SELECT generate_series(1, 5000);
CREATE INDEX ON hw_idx_child (id hw_int_ops);
ANALYZE hw_idx_child;
DELETE FROM hw_log;
`

// hiddenCodeAttack is one attack: steps run in order on one session (a
// step "prepare:NAME:SQL" prepares through the extended protocol, a step
// "paramoid:TYPE:SQL" runs SQL with its one parameter declared of TYPE);
// the last step must be refused and nothing may change.
type hiddenCodeAttack []string

// hiddenCodeAttacks generates the families a read-only policy must not
// let through when code the statement does not name runs: domain checks,
// casts (explicit and implicit), operators, aggregates, operator classes,
// views, foreign tables; large objects; sequences, locks, signals,
// notifications; role, database and system settings, comments, grants;
// procedures, DO, MERGE; prepared writes run by EXECUTE; several
// statements in one query.
func hiddenCodeAttacks(db string) []hiddenCodeAttack {
	var out []hiddenCodeAttack
	one := func(sqls ...string) {
		for _, s := range sqls {
			out = append(out, hiddenCodeAttack{s})
		}
	}
	// Domains with a CHECK that calls a function, by every way of
	// naming a type.
	for _, typ := range []string{"hw_dom", "public.hw_dom", `"hw_dom"`, "HW_DOM", `public."hw_dom"`, "hw_dom2", "hw_dom[]", "hw_dom ARRAY", "hw_comp"} {
		val := "'x'"
		if strings.HasSuffix(typ, "]") || strings.HasSuffix(typ, "ARRAY") {
			val = "'{x}'"
		} else if typ == "hw_comp" {
			val = "'(x)'"
		}
		one("SELECT "+val+"::"+typ,
			"SELECT CAST("+val+" AS "+typ+")",
			"SELECT length(("+val+"::"+typ+")::text)",
			"SELECT * FROM (VALUES (1)) v WHERE "+val+"::"+typ+" IS NOT NULL",
		)
	}
	one("SELECT hw_dom 'x'",
		"SELECT ROW('x')::hw_comp",
		"SELECT json_populate_record(NULL::hw_comp, '{\"a\": \"x\"}')",
		"SELECT * FROM jsonb_populate_record(NULL::hw_comp, '{\"a\": \"x\"}')",
		"SELECT * FROM jsonb_to_record('{\"a\": \"x\"}') AS t(a hw_dom)",
		"SELECT * FROM json_to_recordset('[{\"a\": \"x\"}]') AS t(a public.hw_dom)",
		"SELECT * FROM ROWS FROM (jsonb_to_record('{\"a\": \"x\"}') AS (a hw_dom))",
		"SELECT * FROM XMLTABLE('/r' PASSING '<r><a>x</a></r>'::xml COLUMNS a hw_dom PATH 'a')",
		"SELECT d = 'y' FROM hw_domtab",
		"SELECT * FROM hw_domtab",
	)
	out = append(out,
		hiddenCodeAttack{"PREPARE hw_r(hw_dom) AS SELECT $1", "EXECUTE hw_r('x')"},
		hiddenCodeAttack{"paramoid:hw_dom:SELECT $1::text"},
		hiddenCodeAttack{"paramoid:hw_comp:SELECT $1::text"},
		hiddenCodeAttack{"paramoid:hw_mood:SELECT $1::text"},
		hiddenCodeAttack{"parse:hw_dom:hw_p:SELECT $1::text", "EXECUTE hw_p('a')"},
		hiddenCodeAttack{"parse:hw_dom:hw_p:SELECT $1::text", "EXPLAIN ANALYZE EXECUTE hw_p('a')"},
	)
	// Operators and aggregates.
	one("SELECT 1 ### 2", "SELECT 1 OPERATOR(public.###) 2", "SELECT 1 ### ANY (ARRAY[1, 2])",
		"SELECT 1 WHERE 1 ### 1 > 0", "SELECT hw_agg(id) FROM victims", "SELECT public.hw_agg(1)",
		"SELECT hw_agg(1) OVER ()", "EXPLAIN SELECT 1 ### 2", "EXPLAIN SELECT hw_plus(1, 2)", "EXPLAIN SELECT 1 WHERE 1 ### 1 > 0",
		"EXPLAIN (COSTS off) SELECT * FROM victims WHERE id = 1 ### 1")
	// Implicit casts and operator classes of a user type.
	one("SELECT m + 1 FROM hw_moods", "SELECT abs(m) FROM hw_moods", "SELECT 'a'::hw_mood + 1",
		"SELECT * FROM hw_moods WHERE m > 0",
		"SELECT * FROM hw_pairs ORDER BY p", "SELECT DISTINCT p FROM hw_pairs", "SELECT max(p) FROM hw_pairs",
		"SELECT p FROM hw_pairs GROUP BY p", "SELECT * FROM hw_pairs ORDER BY p USING <<<",
		"SELECT ROW(1)::hw_pair < ROW(2)::hw_pair", "SELECT greatest(ROW(1)::hw_pair, ROW(2)::hw_pair)",
		"SELECT * FROM (VALUES (2), (1)) v(x) ORDER BY x USING <#", "SELECT * FROM (VALUES (2), (1)) v(x) ORDER BY x USING OPERATOR(public.<#)",
		"SELECT array_agg(x ORDER BY x USING <#) FROM (VALUES (2), (1)) v(x)",
		"SELECT CASE p WHEN ROW(1)::hw_pair THEN 1 END FROM hw_pairs", "SELECT * FROM hw_pairs a JOIN hw_pairs b USING (p)",
		"SELECT * FROM hw_pairs NATURAL JOIN hw_pairs b", "SELECT * FROM hw_pairs UNION SELECT * FROM hw_pairs",
		"SELECT '[1,5]'::hw_rng", "SELECT '{[1,5]}'::hw_rng_multirange", "SELECT '[1,5]'::hw_rng @> 3",
		"SELECT count(*) FROM hw_indexed WHERE id = 5", "SELECT count(*) FROM hw_indexed WHERE id > 4990",
		"SELECT to_json(j) FROM hw_jts", "SELECT json_agg(j) FROM hw_jts", "SELECT row_to_json(t) FROM hw_jts t",
		"SELECT to_jsonb(j) FROM hw_jts", "SELECT json_build_object('k', j) FROM hw_jts", "SELECT to_json('a'::hw_jt)", "SELECT jsonb_agg(j) FROM hw_jts", "SELECT to_json(ARRAY[j]) FROM hw_jts")
	// Views and foreign tables.
	one("SELECT * FROM hw_view", "SELECT 1 FROM public.hw_view", "SELECT * FROM hw_ft", "SELECT count(*) FROM hw_ft",
		"TABLE hw_ft", "SELECT * FROM victims, LATERAL (SELECT * FROM hw_ft) f",
		"SELECT * FROM hw_parent", "SELECT count(*) FROM hw_parts", "SELECT * FROM hw_parts WHERE x = 'x'",
		"SELECT count(*) FROM hw_idx_parent WHERE id = 5",
		// A COPY names a table: testRules' scratch-writes rule allows a
		// COPY whose tables are all scratch ones, vacuously true for none.
		"COPY hw_ft TO STDOUT", "COPY (SELECT * FROM hw_parent) TO STDOUT", "COPY (SELECT 'x'::hw_dom FROM victims LIMIT 1) TO STDOUT",
		"DECLARE hw_c CURSOR FOR SELECT * FROM hw_ft", "DECLARE hw_c CURSOR FOR SELECT 'x'::hw_dom")
	// Large objects, by every spelling of the name.
	for _, pre := range []string{"", "pg_catalog.", `"`, "PG_CATALOG."} {
		q := func(f string) string {
			if pre == `"` {
				return `"` + f + `"`
			}
			if pre == "PG_CATALOG." {
				return pre + strings.ToUpper(f)
			}
			return pre + f
		}
		one("SELECT "+q("lo_unlink")+"(4242)", "SELECT "+q("lo_put")+"(4242, 0, 'zz')",
			"SELECT "+q("lo_from_bytea")+"(0, 'new')", "SELECT "+q("lo_create")+"(0)", "SELECT "+q("lo_creat")+"(-1)",
			"SELECT "+q("lo_import")+"('/etc/hostname')", "SELECT "+q("lo_export")+"(4242, '/tmp/"+db+"_lo')",
			"SELECT "+q("lo_truncate")+"("+q("lo_open")+"(4242, 131072), 1)",
			"SELECT "+q("lowrite")+"("+q("lo_open")+"(4242, 131072), 'zz')")
	}
	one("SELECT lo_get(4242)")
	out[len(out)-1] = hiddenCodeAttack{"BEGIN", "SELECT lowrite(lo_open(4242, 131072), 'zz')", "COMMIT"}
	// Sequences, locks, signals, notifications, server state.
	for _, f := range []string{"nextval('hw_seq')", "pg_catalog.nextval('hw_seq')", `"nextval"('hw_seq')`, "nextval('hw_seq'::regclass)",
		"setval('hw_seq', 42)", "setval('public.hw_seq', 42, false)", "pg_advisory_lock(1)", "pg_advisory_lock_shared(1)",
		"pg_try_advisory_lock(1)", "pg_advisory_lock(1, 2)", "pg_advisory_xact_lock(1)", "pg_notify('hw', 'x')",
		"pg_reload_conf()", "txid_current()", "pg_current_xact_id()", "pg_terminate_backend(hw_victim_pid)",
		"pg_cancel_backend(hw_victim_pid)", "pg_catalog.pg_terminate_backend(hw_victim_pid, 100)"} {
		one("SELECT "+f, "SELECT 1 FROM (SELECT "+f+") s", "VALUES ("+f+")", "SELECT * FROM "+f)
	}
	one("NOTIFY hw", "NOTIFY hw, 'x'", "LISTEN hw",
		"ALTER ROLE hw_victim SET search_path = evil", "ALTER ROLE ALL SET search_path = evil",
		"ALTER ROLE hw_victim IN DATABASE "+db+" SET work_mem = '5MB'",
		"ALTER DATABASE "+db+" SET search_path = evil", "ALTER DATABASE "+db+" RESET ALL",
		"ALTER SYSTEM SET hw.x = '1'", "SECURITY LABEL ON TABLE victims IS 'x'", "COMMENT ON TABLE victims IS 'x'",
		"COMMENT ON COLUMN victims.id IS 'x'", "GRANT SELECT ON victims TO hw_victim", "GRANT hw_victim TO CURRENT_USER",
		"REVOKE ALL ON victims FROM PUBLIC", "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO hw_victim")
	// Procedures, DO, MERGE.
	one("CALL hw_proc()", "CALL public.hw_proc()", "DO $$BEGIN INSERT INTO hw_log VALUES (3); END$$",
		"DO LANGUAGE plpgsql $$BEGIN DELETE FROM victims; END$$",
		"MERGE INTO victims v USING (SELECT 1 AS id) s ON v.id = s.id WHEN MATCHED THEN DELETE",
		"MERGE INTO victims USING victims s ON true WHEN MATCHED THEN UPDATE SET id = -s.id",
		"MERGE INTO victims v USING (VALUES (99)) s(id) ON false WHEN NOT MATCHED THEN INSERT VALUES (s.id)",
		"WITH s AS (SELECT 1 AS id) MERGE INTO victims v USING s ON v.id = s.id WHEN MATCHED THEN DELETE",
		"EXPLAIN ANALYZE MERGE INTO victims v USING (SELECT 1 AS id) s ON v.id = s.id WHEN MATCHED THEN DELETE")
	// Prepared writes run later, and several statements in one query.
	out = append(out,
		hiddenCodeAttack{"prepare:hw_del:DELETE FROM victims", "EXECUTE hw_del"},
		hiddenCodeAttack{"prepare:hw_del:DELETE FROM victims", "EXPLAIN ANALYZE EXECUTE hw_del"},
		hiddenCodeAttack{"prepare:hw_del:DELETE FROM victims", "EXPLAIN (ANALYZE) EXECUTE hw_del"},
		hiddenCodeAttack{"PREPARE hw_r(int) AS SELECT $1", "EXECUTE hw_r(nextval('hw_seq')::int)"},
		hiddenCodeAttack{"PREPARE hw_r(int) AS SELECT $1", "EXPLAIN ANALYZE EXECUTE hw_r(1 ### 1)"},
		hiddenCodeAttack{"PREPARE hw_r(int) AS SELECT $1", "EXECUTE hw_r(hw_agg(1))"},
	)
	one("SELECT 1; DELETE FROM victims", "SELECT 1; SELECT nextval('hw_seq')", "SELECT 1; SELECT 'x'::hw_dom",
		"SELECT 1; CALL hw_proc()", "SELECT 1; SELECT * FROM hw_view")
	return out
}

// cleanReads are reads of types, tables and parameters whose code is all
// built in: they must be allowed (the fixes above judge code, not names).
// hw_cleantab has a default, a statement trigger and a rule that call the
// fixture's functions, none of which a read runs.
var cleanReads = []string{"SELECT 1", "SELECT * FROM victims ORDER BY id", "SELECT 'a'::hw_clean", "SELECT 'x'::hw_clean_dom",
	"SELECT * FROM hw_cleantab ORDER BY e", "SELECT e, d, n FROM hw_cleantab WHERE n > 0 FOR READ ONLY", "SELECT DISTINCT d FROM hw_cleantab", "SELECT count(*) FROM victims v JOIN victims w USING (id)",
	"SELECT CASE id WHEN 1 THEN 'a' END FROM victims", "SELECT 1 WHERE 2 BETWEEN 1 AND 3", "SELECT 1 IN (SELECT 1)",
	"SELECT * FROM jsonb_to_record('{\"a\": \"x\"}') AS t(a hw_clean_dom)", "SELECT to_json(e) FROM hw_cleantab",
	"paramoid:hw_clean:SELECT $1::text", "paramoid:hw_clean_dom:SELECT $1::text"}

// TestHiddenCodeInReads sends every generated attack through the gateway as
// the admin (whose rules allow reads and writes to scratch tables only) in
// each query mode and judges by effects: the fixture's log of calls, the
// victims' rows, the sequence, large objects, locks, other sessions,
// notifications, settings, comments, grants and files (each as seen from
// this test's database: other tests share the cluster). Every attack must
// be refused.
func TestHiddenCodeInReads(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	file := "/tmp/" + tg.db + "_ft"
	var notes int
	ucfg, err := pgconn.ParseConfig(dbURL(tg.db))
	if err != nil {
		t.Fatal(err)
	}
	ucfg.OnNotification = func(*pgconn.PgConn, *pgconn.Notification) { notes++ }
	up, err := pgconn.ConnectConfig(ctx, ucfg)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close(ctx)
	if _, err := up.Exec(ctx, `INSERT INTO victims SELECT generate_series(1, 5); `+createVictimRole+`; LISTEN hw; `+
		fmt.Sprintf(hiddenCodeFixture, file)).ReadAll(); err != nil {
		t.Fatal(err)
	}
	victim, err := pgconn.Connect(ctx, dbURL(tg.db))
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close(ctx)
	vpid := fmt.Sprint(victim.PID())
	oid := func(typ string) string {
		r, err := up.Exec(ctx, "SELECT '"+typ+"'::regtype::oid").ReadAll()
		if err != nil || len(r[0].Rows) != 1 {
			t.Fatalf("type %s: %v", typ, err)
		}
		return string(r[0].Rows[0][0])
	}
	oids := map[string]string{}
	for _, typ := range []string{"hw_dom", "hw_comp", "hw_mood", "hw_clean", "hw_clean_dom"} {
		oids[typ] = oid(typ)
	}
	const global = `SELECT concat_ws('|', (SELECT count(*) FROM victims WHERE id > 0), (SELECT count(*) FROM hw_log),
		(SELECT last_value || ',' || is_called FROM hw_seq), (SELECT count(*) FROM pg_largeobject_metadata),
		(SELECT string_agg(encode(data, 'escape'), '') FROM pg_largeobject WHERE loid = 4242),
		(SELECT count(*) FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
			OR setrole = 'hw_victim'::regrole OR (setdatabase = 0 AND setrole = 0)), (SELECT count(*) FROM pg_description WHERE objoid = 'victims'::regclass),
		(SELECT relacl::text FROM pg_class WHERE oid = 'victims'::regclass), (SELECT count(*) FROM pg_auth_members WHERE roleid = 'hw_victim'::regrole),
		(SELECT count(*) FROM pg_default_acl), (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())),
		(SELECT count(*) FROM pg_stat_activity WHERE pid = %[1]s), (SELECT count(*) FROM pg_file_settings WHERE name = 'hw.x'),
		pg_stat_file('%[2]s', true) IS NULL, pg_stat_file('/tmp/%[3]s_lo', true) IS NULL,
		pg_stat_file('%[2]s_child', true) IS NULL, pg_stat_file('%[2]s_part', true) IS NULL)`
	state := func(c *pgx.Conn) string {
		r, err := up.Exec(ctx, fmt.Sprintf(global, vpid, file, tg.db)).ReadAll()
		if err != nil {
			return "unreadable: " + err.Error()
		}
		var s string
		if err := c.QueryRow(ctx, `SELECT current_user || '|' || current_setting('search_path') || '|' ||
			(SELECT count(*) FROM pg_prepared_statements WHERE name = 'hw_del')::text`).Scan(&s); err != nil {
			s = "unreadable: " + err.Error()
		}
		return fmt.Sprintf("%s|%s|notes %d", r[0].Rows[0][0], s, notes)
	}
	attacks := hiddenCodeAttacks(tg.db)
	tg.eachMode(t, "admin", func(t *testing.T, mode string, c *pgx.Conn) {
		base := state(c)
		if !strings.HasPrefix(base, "5|") {
			t.Fatalf("baseline state %q", base)
		}
		// runStep runs one step on c (see hiddenCodeAttack).
		runStep := func(step string) error {
			step = strings.ReplaceAll(step, "hw_victim_pid", vpid)
			parts := strings.SplitN(step, ":", 4)
			var o uint32
			if len(parts) > 1 {
				_, _ = fmt.Sscan(oids[parts[1]], &o)
			}
			switch parts[0] {
			case "prepare":
				_, err := c.Prepare(ctx, parts[1], strings.SplitN(step, ":", 3)[2])
				return err
			case "parse":
				// A named statement with a declared parameter type, run
				// later by SQL EXECUTE: the Parse itself runs nothing,
				// only what runs it must be refused.
				_, _ = c.PgConn().Prepare(ctx, parts[2], parts[3], []uint32{o})
				return nil
			case "paramoid":
				v := []byte("a")
				if parts[1] == "hw_comp" {
					v = []byte("(x)")
				}
				return c.PgConn().ExecParams(ctx, strings.SplitN(step, ":", 3)[2], [][]byte{v}, []uint32{o}, nil, nil).Read().Err
			}
			_, err := c.Exec(ctx, step)
			return err
		}
		for _, sql := range cleanReads {
			if err := runStep(sql); err != nil {
				t.Errorf("%s: clean read %q refused: %v", mode, sql, err)
			}
		}
		if after := state(c); after != base {
			t.Fatalf("%s: clean reads changed state %q -> %q", mode, base, after)
		}
		for _, a := range attacks {
			var err error
			for _, step := range a {
				if stepErr := runStep(step); err == nil {
					err = stepErr
				}
			}
			_, _ = c.Exec(ctx, "DEALLOCATE hw_r")
			_, _ = c.Exec(ctx, "DEALLOCATE hw_p")
			_ = c.Deallocate(ctx, "hw_del")
			if after := state(c); after != base {
				t.Errorf("%s: %q changed state %q -> %q (err %v)", mode, a, base, after, err)
				_ = c.Close(ctx)
				c = tg.connect(t, "admin", modes[mode])
				base = state(c)
			} else if err == nil {
				t.Errorf("%s: %q accepted (no visible effect)", mode, a)
			}
		}
	})
}

// TestHiddenOperatorResolution: operators are found by name and argument
// types, and a user's operator whose types match exactly wins over a
// built-in reached by an implicit cast, whatever the search_path; a user's
// implicit cast between built-in types applies anywhere. The
// syntax that names no operator (CASE x WHEN, JOIN USING, NATURAL JOIN,
// IN (SELECT ...), BETWEEN, ORDER BY USING) must still be judged by the
// operators it resolves to.
func TestHiddenOperatorResolution(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	up := tg.upstream(t)
	var fixture strings.Builder
	fixture.WriteString(`CREATE TABLE hw_log (n int);
		CREATE TABLE hw_ints (x int); INSERT INTO hw_ints VALUES (1);
		CREATE TABLE hw_nums (x numeric); INSERT INTO hw_nums VALUES (1);`)
	for i, op := range []string{"=", "<", ">", "<=", ">=", "<>"} {
		fmt.Fprintf(&fixture, `CREATE FUNCTION hw_op%[1]d(int, numeric) RETURNS bool LANGUAGE plpgsql VOLATILE AS $$BEGIN INSERT INTO hw_log VALUES (%[1]d); RETURN $1::numeric OPERATOR(pg_catalog.%[2]s) $2; END$$;
			CREATE OPERATOR public.%[2]s (LEFTARG = int, RIGHTARG = numeric, FUNCTION = hw_op%[1]d);`, i, op)
	}
	// An implicit cast between built-in types whose function is the
	// user's: every built-in value may meet it.
	fixture.WriteString(`CREATE FUNCTION hw_name_int(name) RETURNS int LANGUAGE plpgsql VOLATILE AS $$BEGIN INSERT INTO hw_log VALUES (99); RETURN 1; END$$;
		CREATE CAST (name AS int) WITH FUNCTION hw_name_int(name) AS IMPLICIT;`)
	if _, err := up.Exec(ctx, fixture.String()).ReadAll(); err != nil {
		t.Fatal(err)
	}
	attacks := []string{
		"SELECT abs(current_user)", "SELECT abs(relname) FROM pg_class LIMIT 1", "SELECT relname + 1 FROM pg_class LIMIT 1",
		"SELECT 1 = 1.5", "SELECT 1 WHERE 1 < 1.5", "SELECT 1 IN (1.5, 2.5)", "SELECT 1 <> ALL (ARRAY[1.5])",
		"SELECT CASE 1 WHEN 1.0 THEN 'a' END", "SELECT CASE x WHEN 1.0 THEN 'a' END FROM hw_ints",
		"SELECT * FROM hw_ints JOIN hw_nums USING (x)", "SELECT * FROM hw_ints NATURAL JOIN hw_nums",
		"SELECT * FROM hw_ints LEFT JOIN hw_nums USING (x)", "SELECT * FROM hw_ints FULL JOIN hw_nums USING (x)",
		"SELECT 1 IN (SELECT 1.5)", "SELECT x FROM hw_ints WHERE x IN (SELECT x FROM hw_nums)",
		"SELECT x FROM hw_ints WHERE x NOT IN (SELECT x FROM hw_nums)", "SELECT 1 WHERE (1, 2) IN (SELECT 1.5, 2.5)",
		"SELECT 1 BETWEEN 0.5 AND 2.5", "SELECT 1 NOT BETWEEN 0.5 AND 2.5", "SELECT 1 BETWEEN SYMMETRIC 2.5 AND 0.5",
		"SELECT x FROM hw_ints WHERE x BETWEEN 0.5 AND 1.5", "SELECT nullif(1, 1.5)", "SELECT 1 IS DISTINCT FROM 1.5",
	}
	tg.eachMode(t, "admin", func(t *testing.T, mode string, c *pgx.Conn) {
		logged := func() string {
			r, err := up.Exec(ctx, "SELECT count(*) FROM hw_log").ReadAll()
			if err != nil {
				return err.Error()
			}
			return string(r[0].Rows[0][0])
		}
		base := logged()
		for _, sql := range attacks {
			_, err := c.Exec(ctx, sql)
			if after := logged(); after != base {
				t.Errorf("%s: %q ran a user's operator (log %s -> %s, err %v)", mode, sql, base, after, err)
				base = after
			} else if err == nil {
				t.Errorf("%s: %q accepted (no visible effect)", mode, sql)
			}
		}
	})
}

// TestHiddenLargeObjectFunctionCall calls the large-object functions by
// OID with the wire-level FunctionCall message (how libpq's lo_* client
// functions reach them) and checks the object is untouched and none was
// made.
func TestHiddenLargeObjectFunctionCall(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, "SELECT lo_from_bytea(4242, 'abc')").ReadAll(); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		r, err := up.Exec(ctx, `SELECT (SELECT count(*) FROM pg_largeobject_metadata) || '|' ||
			(SELECT coalesce(string_agg(encode(data, 'escape'), ''), '') FROM pg_largeobject WHERE loid = 4242)`).ReadAll()
		if err != nil {
			return err.Error()
		}
		return string(r[0].Rows[0][0])
	}
	oidOf := func(sig string) uint32 {
		r, err := up.Exec(ctx, "SELECT '"+sig+"'::regprocedure::oid").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var o uint32
		_, _ = fmt.Sscan(string(r[0].Rows[0][0]), &o)
		return o
	}
	i4 := func(v int32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
	calls := []struct {
		sig  string
		args [][]byte
	}{
		{"lo_unlink(oid)", [][]byte{i4(4242)}},
		{"lo_create(oid)", [][]byte{i4(0)}},
		{"lo_creat(integer)", [][]byte{i4(-1)}},
		{"lo_from_bytea(oid,bytea)", [][]byte{i4(0), []byte("new")}},
		{"lo_put(oid,bigint,bytea)", [][]byte{i4(4242), {0, 0, 0, 0, 0, 0, 0, 0}, []byte("zz")}},
		{"lo_import(text)", [][]byte{[]byte("/etc/hostname")}},
		{"lo_open(oid,integer)", [][]byte{i4(4242), i4(0x20000)}},
	}
	base := state()
	if base != "1|abc" {
		t.Fatalf("baseline %q", base)
	}
	fe := rawLogin(t, tg, "admin")
	for _, c := range calls {
		fe.Send(&pgproto3.FunctionCall{Function: oidOf(c.sig), ArgFormatCodes: []uint16{1}, Arguments: c.args, ResultFormatCode: 1})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := receiveUntilReady(t, fe); !strings.Contains(got, "E:42501") || strings.Contains(got, "V") {
			t.Errorf("%s: FunctionCall answered %s", c.sig, got)
		}
		if after := state(); after != base {
			t.Errorf("%s: large objects %q -> %q", c.sig, base, after)
			base = after
		}
	}
}

// TestHiddenCodeMadeLater: code the database's owner adds after the
// gateway read the catalog (a view calling a function, an implicit cast on
// a type already known) is judged once the catalog's version changed, not
// a TTL later.
func TestHiddenCodeMadeLater(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, `CREATE TABLE hw_log (n int);
		CREATE TYPE hw_mood AS ENUM ('a', 'b'); CREATE TABLE hw_moods (m hw_mood); INSERT INTO hw_moods VALUES ('a')`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	c := tg.connect(t, "admin")
	// Reads that load the catalog and are allowed.
	for _, sql := range []string{"SELECT count(*) FROM victims", "SELECT m::text FROM hw_moods", "SELECT 'a'::hw_mood"} {
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if _, err := up.Exec(ctx, `CREATE FUNCTION hw_evil(text) RETURNS int LANGUAGE plpgsql VOLATILE AS $$BEGIN INSERT INTO hw_log VALUES (1); RETURN 1; END$$;
		CREATE VIEW hw_late AS SELECT hw_evil('view') AS x;
		CREATE FUNCTION hw_mood_int(hw_mood) RETURNS int LANGUAGE sql VOLATILE AS $$SELECT hw_evil('cast')$$;
		CREATE CAST (hw_mood AS int) WITH FUNCTION hw_mood_int(hw_mood) AS IMPLICIT`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(funcCatalogCheckEvery + 100*time.Millisecond)
	for _, sql := range []string{"SELECT * FROM hw_late", "SELECT m + 1 FROM hw_moods", "SELECT 'a'::hw_mood + 1"} {
		_, err := c.Exec(ctx, sql)
		r, rerr := up.Exec(ctx, "SELECT count(*) FROM hw_log").ReadAll()
		if rerr != nil {
			t.Fatal(rerr)
		}
		if n := string(r[0].Rows[0][0]); n != "0" {
			t.Fatalf("%q ran the code made later (log %s, err %v)", sql, n, err)
		} else if err == nil {
			t.Errorf("%q accepted", sql)
		}
	}
}
