package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// implicitKind is owner code the agent runs without naming its function:
// an operator, a cast (implicit, assignment, explicit), a domain's
// check, an aggregate's state or final function, an operator class's
// support function (ORDER BY, DISTINCT, GROUP BY), or a function the
// analyser may take for a built-in (an extension's member, one made in
// pg_catalog). setup makes kf_N, whose body is @STORE@ then @RET@; the
// agent's call never names kf_N.
type implicitKind struct {
	name     string
	sql      bool   // kf_N is in SQL (the sink's SQL form), else PL/pgSQL
	args     string // kf_N's parameters
	ret      string // kf_N's return type
	retv     string // the value kf_N returns
	setup    string // run after kf_N is made
	call     string // the agent's statement
	teardown string // run before kf_N is dropped (CASCADE)
	schema   string // kf_N's schema, "" for public
}

// implicitBaseType makes kt_N, a base type of int4's I/O (C built-ins,
// as a superuser may), and its table kc_N of three rows: a type whose
// operator classes are the owner's.
const implicitBaseType = `CREATE TYPE kt_N;
CREATE FUNCTION kt_in_N(cstring) RETURNS kt_N LANGUAGE internal IMMUTABLE STRICT AS 'int4in';
CREATE FUNCTION kt_out_N(kt_N) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'int4out';
CREATE TYPE kt_N (INPUT = kt_in_N, OUTPUT = kt_out_N, LIKE = int4);
CREATE FUNCTION kt_eq_N(a kt_N, b kt_N) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT a::text = b::text';
CREATE FUNCTION kt_lt_N(a kt_N, b kt_N) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT a::text::int < b::text::int';
CREATE FUNCTION kt_le_N(a kt_N, b kt_N) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT a::text::int <= b::text::int';
CREATE FUNCTION kt_gt_N(a kt_N, b kt_N) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT a::text::int > b::text::int';
CREATE FUNCTION kt_ge_N(a kt_N, b kt_N) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT a::text::int >= b::text::int';
CREATE OPERATOR = (LEFTARG = kt_N, RIGHTARG = kt_N, FUNCTION = kt_eq_N, HASHES, MERGES);
CREATE OPERATOR < (LEFTARG = kt_N, RIGHTARG = kt_N, FUNCTION = kt_lt_N);
CREATE OPERATOR <= (LEFTARG = kt_N, RIGHTARG = kt_N, FUNCTION = kt_le_N);
CREATE OPERATOR > (LEFTARG = kt_N, RIGHTARG = kt_N, FUNCTION = kt_gt_N);
CREATE OPERATOR >= (LEFTARG = kt_N, RIGHTARG = kt_N, FUNCTION = kt_ge_N);
CREATE TABLE kc_N (v kt_N);
INSERT INTO kc_N VALUES ('2'), ('1'), ('2');
`

// implicitKinds are the code kinds × the ways an agent runs them unnamed.
func implicitKinds() []implicitKind {
	btree := implicitBaseType + "CREATE OPERATOR CLASS ko_N DEFAULT FOR TYPE kt_N USING btree AS OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 kf_N(kt_N, kt_N);"
	hash := implicitBaseType + "CREATE OPERATOR CLASS ko_N DEFAULT FOR TYPE kt_N USING hash AS OPERATOR 1 =, FUNCTION 1 kf_N(kt_N);"
	return []implicitKind{
		{name: "binary operator", args: "a int, b int", ret: "int", retv: "a", setup: "CREATE OPERATOR #@# (LEFTARG = int, RIGHTARG = int, FUNCTION = kf_N);", call: "SELECT 1 #@# 2"},
		{name: "sql operator in WHERE", sql: true, args: "a int, b int", ret: "int", retv: "a", setup: "CREATE OPERATOR #@# (LEFTARG = int, RIGHTARG = int, FUNCTION = kf_N);", call: "SELECT count(*) FROM orders WHERE id #@# 1 > 0"},
		{name: "prefix operator", args: "a int", ret: "int", retv: "a", setup: "CREATE OPERATOR !!! (RIGHTARG = int, FUNCTION = kf_N);", call: "SELECT !!! 1"},
		{name: "implicit cast between built-ins", args: "a boolean", ret: "int8", retv: "1", setup: "CREATE CAST (boolean AS int8) WITH FUNCTION kf_N(boolean) AS IMPLICIT;", call: "SELECT abs(true)"},
		{name: "assignment cast on insert", args: "a boolean", ret: "int8", retv: "1", setup: "CREATE CAST (boolean AS int8) WITH FUNCTION kf_N(boolean) AS ASSIGNMENT; CREATE TABLE kc_N (v int8);", call: "INSERT INTO kc_N VALUES (true)"},
		{name: "explicit cast of a composite", args: "a kr_N", ret: "int", retv: "1", schema: "", setup: "CREATE CAST (kr_N AS int) WITH FUNCTION kf_N(kr_N);", call: "SELECT ROW(1)::kr_N::int"},
		{name: "implicit cast of a column", sql: true, args: "a kr_N", ret: "int8", retv: "1", setup: "CREATE CAST (kr_N AS int8) WITH FUNCTION kf_N(kr_N) AS IMPLICIT; CREATE TABLE kc_N (v kr_N); INSERT INTO kc_N VALUES (ROW(1));", call: "SELECT abs(v) FROM kc_N"},
		{name: "domain check on cast", args: "a int", ret: "int", retv: "a", setup: "CREATE DOMAIN kd_N AS int CHECK (kf_N(VALUE) IS NOT NULL);", call: "SELECT 1::kd_N"},
		{name: "sql domain check on insert", sql: true, args: "a int", ret: "int", retv: "a", setup: "CREATE DOMAIN kd_N AS int CHECK (kf_N(VALUE) IS NOT NULL); CREATE TABLE kc_N (v kd_N);", call: "INSERT INTO kc_N VALUES (1)"},
		{name: "aggregate state function", args: "s int, a int", ret: "int", retv: "a", setup: "CREATE AGGREGATE ka_N(int) (SFUNC = kf_N, STYPE = int);", call: "SELECT ka_N(id) FROM orders"},
		{name: "sql aggregate final function", sql: true, args: "a int", ret: "int", retv: "a", setup: "CREATE AGGREGATE ka_N(int) (SFUNC = int4pl, STYPE = int, FINALFUNC = kf_N);", call: "SELECT ka_N(1)"},
		{name: "btree support on ORDER BY", args: "a kt_N, b kt_N", ret: "int", retv: "btint4cmp(a::text::int, b::text::int)", setup: btree, call: "SELECT v FROM kc_N ORDER BY v"},
		{name: "btree support on GROUP BY", args: "a kt_N, b kt_N", ret: "int", retv: "btint4cmp(a::text::int, b::text::int)", setup: btree, call: "SELECT v, count(*) FROM kc_N GROUP BY v"},
		{name: "hash support on DISTINCT", args: "a kt_N", ret: "int", retv: "hashint4(a::text::int)", setup: hash, call: "SELECT DISTINCT v FROM kc_N"},
		{name: "extension member", args: "", ret: "int", retv: "1", setup: "ALTER EXTENSION plpgsql ADD FUNCTION kf_N();", call: "SELECT kf_N()", teardown: "ALTER EXTENSION plpgsql DROP FUNCTION kf_N();"},
		{name: "sql extension member", sql: true, args: "", ret: "int", retv: "1", setup: "ALTER EXTENSION plpgsql ADD FUNCTION kf_N();", call: "SELECT * FROM kf_N()", teardown: "ALTER EXTENSION plpgsql DROP FUNCTION kf_N();"},
		{name: "function in pg_catalog", args: "", ret: "int", retv: "1", schema: "pg_catalog", call: "SELECT kf_N()"},
		{name: "operator over an extension member", args: "a int, b int", ret: "int", retv: "a", setup: "ALTER EXTENSION plpgsql ADD FUNCTION kf_N(int, int); CREATE OPERATOR #@# (LEFTARG = int, RIGHTARG = int, FUNCTION = kf_N);", call: "SELECT 1 #@# 2",
			teardown: "DROP OPERATOR #@# (int, int); ALTER EXTENSION plpgsql DROP FUNCTION kf_N(int, int);"},
	}
}

// implicitCases generates kinds × sinks (a third of the product, every
// kind and every sink in it).
func implicitCases() []ownerCase {
	var out []ownerCase
	n := 1000
	for ki, k := range implicitKinds() {
		for si, sk := range ownerSinks(0) {
			n++
			if (ki+si)%3 != 0 {
				// Each kind stores into every third sink, each sink is
				// reached by every third kind: the sinks themselves are
				// TestOwnerCodeStores's dimension.
				continue
			}
			var sink ownerSink
			for _, x := range ownerSinks(n) {
				if x.name == sk.name {
					sink = x
				}
			}
			store, body := sink.pl, "BEGIN @STORE@; RETURN @RET@; END"
			lang := "plpgsql"
			if k.sql {
				store, body, lang = sink.sql, "@STORE@; SELECT @RET@", "sql"
			}
			if store == "" {
				continue
			}
			fn := "kf_N"
			if k.schema != "" {
				fn = k.schema + ".kf_N"
			}
			pre, after := "", k.setup
			if strings.Contains(k.args, "kr_N") {
				pre = "CREATE TYPE kr_N AS (a int);"
			}
			if strings.Contains(k.args, "kt_N") {
				// The type comes first; the class after kf_N.
				i := strings.Index(k.setup, "CREATE OPERATOR CLASS")
				pre, after = k.setup[:i], k.setup[i:]
			}
			body = strings.NewReplacer("@STORE@", store, "@RET@", k.retv).Replace(body)
			setup := "CREATE TABLE sink_t_N (v text); CREATE TABLE sink_u_N (v text); INSERT INTO sink_u_N VALUES ('x'); CREATE SEQUENCE sink_sq_N; CREATE TYPE sink_e_N AS ENUM ('x');" + pre +
				fmt.Sprintf("CREATE FUNCTION %s(%s) RETURNS %s LANGUAGE %s AS $q$ %s $q$;", fn, k.args, k.ret, lang, body) + after
			teardown := k.teardown + fmt.Sprintf("DROP FUNCTION %s CASCADE;", fn)
			steps := append(append(append([]string{}, sink.pre...), k.call), sink.read...)
			suffix := fmt.Sprintf("_%d", n)
			out = append(out, ownerCase{name: k.name + " → " + sink.name, setup: strings.ReplaceAll(setup, "_N", suffix),
				teardown: strings.ReplaceAll(teardown, "_N", suffix), steps: replaceAll(steps, "_N", suffix)})
		}
	}
	return out
}

// TestOwnerImplicitCodeStores: code of the owner's that runs without its
// function's name in the statement (an operator, a cast of any context, a
// domain's check, an aggregate's functions, an operator class's support
// function run by ORDER BY, GROUP BY or DISTINCT) or under a name the
// analyser may take for a built-in's (an extension's member, a function
// made in pg_catalog), that reads a masked column itself and stores it,
// must not hand the agent the value: judged by the bytes the agent
// received, against the owner's unmasked control.
func TestOwnerImplicitCodeStores(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture)
	r := testSeed(t)
	cases := implicitCases()
	real, leaked := 0, 0
	perKind := map[string][2]int{}
	for _, oc := range cases {
		leak, ctl := runOwnerCase(t, tg, r, oc)
		kind := oc.name[:strings.Index(oc.name, " → ")]
		pk := perKind[kind]
		if ctl == "" {
			if leak != "" {
				t.Errorf("%s: agent got %q though the owner's control did not", oc.name, leak)
			}
			continue
		}
		real++
		pk[0]++
		if leak != "" {
			leaked++
			pk[1]++
			t.Errorf("%s: the agent received %q (steps %q)", oc.name, leak, oc.steps)
		}
		perKind[kind] = pk
	}
	for k, v := range perKind {
		t.Logf("%s: %d of %d leaked", k, v[1], v[0])
	}
	t.Logf("owner code run unnamed, storing masked values: %d of %d real carriers leaked (%d cases generated)", leaked, real, len(cases))
	if real < len(cases)/2 {
		t.Errorf("only %d of %d cases are real carriers: the generator is broken", real, len(cases))
	}
}

// implicitBenignFixture is owner code the agent runs unnamed that reads no
// masked column or stores nothing: an operator, aggregates, a domain's
// check, a cast, functions reading with a literal EXECUTE, an
// extension's member.
const implicitBenignFixture = `
CREATE FUNCTION add3(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b + 3';
CREATE OPERATOR #@# (LEFTARG = int, RIGHTARG = int, FUNCTION = add3);
CREATE TABLE audit_log (at timestamptz);
CREATE FUNCTION audit_mul(a int, b int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit_log VALUES (now()); RETURN a * b; END $$;
CREATE OPERATOR #*# (LEFTARG = int, RIGHTARG = int, FUNCTION = audit_mul);
CREATE FUNCTION sum_state(s int, a int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN coalesce(s, 0) + a; END $$;
CREATE AGGREGATE my_sum(int) (SFUNC = sum_state, STYPE = int);
CREATE AGGREGATE my_total(int) (SFUNC = int4pl, STYPE = int, INITCOND = '0');
CREATE FUNCTION positive(a int) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RETURN a > 0; END $$;
CREATE DOMAIN posint AS int CHECK (positive(VALUE));
CREATE TABLE counts (n posint);
CREATE TYPE money_t AS (cents int);
CREATE FUNCTION money_int(m money_t) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT m.cents';
CREATE CAST (money_t AS int) WITH FUNCTION money_int(money_t);
CREATE FUNCTION name_len(i int) RETURNS int LANGUAGE plpgsql STABLE AS $$ DECLARE r int; BEGIN EXECUTE 'SELECT length(name) FROM customers WHERE id = $1' INTO r USING i; RETURN r; END $$;
CREATE FUNCTION order_count() RETURNS int LANGUAGE plpgsql AS $$ DECLARE r int; BEGIN EXECUTE 'SELECT count(*) FROM orders' INTO r; RETURN r; END $$;
CREATE FUNCTION customer_count() RETURNS bigint LANGUAGE plpgsql AS $$ DECLARE r bigint; BEGIN EXECUTE 'SELECT count(*) FROM customers'
	INTO STRICT r; RETURN r; END $$;
CREATE FUNCTION log_total() RETURNS int LANGUAGE plpgsql AS $$ DECLARE r int; BEGIN EXECUTE 'SELECT sum(total) FROM orders' INTO r; INSERT INTO audit_log VALUES (now()); RETURN r; END $$;
CREATE FUNCTION shout_ext(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT upper(t)';
ALTER EXTENSION plpgsql ADD FUNCTION shout_ext(text);
`

// implicitBenign are statements a masked session runs.
var implicitBenign = []string{
	"SELECT my_sum(total) FROM orders",
	"SELECT my_total(total) FROM orders",
	"INSERT INTO counts VALUES (5)",
	"SELECT name_len(1)",
	"SELECT order_count()",
	"SELECT customer_count()",
	"SELECT log_total()",
	"SELECT shout_ext('x')",
	"SELECT id FROM customers ORDER BY id",
	"SELECT DISTINCT customer_id FROM orders",
}

// implicitCodeGuarded are benign too, but the code guard (codeguard.go)
// refuses them under masking, as before: code of the database's own
// that may write (an operator's, a cast's or a domain's function outside
// pg_catalog) computes a result of unknown lineage. Counted, not failed.
var implicitCodeGuarded = []string{
	"SELECT 1 #@# 2",
	"SELECT id #@# total FROM orders",
	"SELECT 2 #*# 3",
	"SELECT 5::posint",
	"SELECT ROW(250)::money_t::int",
}

// TestOwnerImplicitCodeBenign: under masking, statements that run owner
// code unnamed (an operator, an aggregate, a domain's check, a cast) or
// a function reading with a literal EXECUTE, none of which both reads a
// masked column and stores, run: the refusals are the guard's benign
// cost.
func TestOwnerImplicitCodeBenign(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules))
	tg.adminExec(t, lineageFixture+implicitBenignFixture)
	r := testSeed(t)
	agent := dialTap(t, tg, "agent")
	refused := 0
	for _, q := range implicitBenign {
		if _, err := agent.run(r, q); err != nil {
			refused++
			t.Errorf("%s: refused under masking: %v", q, err)
		}
	}
	t.Logf("owner code run unnamed, benign: %d of %d refused", refused, len(implicitBenign))
	guarded := 0
	for _, q := range implicitCodeGuarded {
		if _, err := agent.run(r, q); err != nil {
			guarded++
			if !codeRefused([]byte(err.Error())) {
				t.Errorf("%s: refused, not by the code guard: %v", q, err)
			}
		}
	}
	t.Logf("benign, refused by the code guard (unknown lineage, as before): %d of %d", guarded, len(implicitCodeGuarded))
}

// TestDynamicExecute: an EXECUTE of one literal read is code the text
// shows; any other EXECUTE runs SQL built at run time.
func TestDynamicExecute(t *testing.T) {
	for body, want := range map[string]bool{
		"BEGIN EXECUTE 'SELECT count(*) FROM orders' INTO r; RETURN r; END":           false,
		"BEGIN EXECUTE 'SELECT name FROM t WHERE id = $1' INTO STRICT r USING i; END": false,
		"BEGIN EXECUTE\n  'VALUES (1)';\nEND":                                         false,
		"BEGIN PERFORM 1; END":                                                        false,
		"BEGIN EXECUTE 'SELECT ''a''' INTO r; END":                                    false,
		"BEGIN EXECUTE q; END":                                                        true,
		"BEGIN EXECUTE format('CREATE TABLE %I ()', n); END":                          true,
		"BEGIN EXECUTE 'SELECT ' || c || ' FROM t' INTO r; END":                       true,
		"BEGIN EXECUTE 'INSERT INTO t VALUES (1)'; END":                               true,
		"BEGIN EXECUTE 'SELECT name INTO t2 FROM t'; END":                             true,
		"BEGIN EXECUTE 'SELECT set_config(''a.b'', name, false) FROM t'; END":         true,
		"BEGIN EXECUTE 'WITH d AS (DELETE FROM t RETURNING 1) SELECT 1'; END":         true,
		"BEGIN EXECUTE 'SELECT 1; DROP TABLE t'; END":                                 true,
		"BEGIN EXECUTE E'SELECT 1'; END":                                              true,
		"BEGIN EXECUTE 'SELECT 1' ; EXECUTE n; END":                                   true,
		"BEGIN EXECUTE 'SELECT \\x27'; END":                                           true,
		"BEGIN EXECUTE 'SELECT 1' r; END":                                             true,
		"BEGIN EXECUTE 'SELECT * FROM t' INTO r; EXECUTE 'TABLE t' INTO r; END":       false,
	} {
		if got := dynamicExecute(body); got != want {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
}
