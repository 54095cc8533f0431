package postgres

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// ownerSink is a place owner-written code may store a masked value in,
// where a later read of the agent's shows it under a name of its own.
type ownerSink struct {
	name string
	// sql stores the value as one SQL statement (a SQL function's body,
	// a rule's action); "" when only PL/pgSQL can (dynamic SQL).
	sql string
	// pl stores it as a PL/pgSQL statement.
	pl string
	// pre runs before the call (LISTEN), read after it.
	pre, read []string
}

// ownerSinks are the sinks of case n (its objects carry the suffix n);
// the value is customers row 1's name (a field rule covers it) or, where
// a number is stored, its card.
func ownerSinks(n int) []ownerSink {
	name := "(SELECT name FROM customers WHERE id = 1)"
	card := "(SELECT card::int8 FROM customers WHERE id = 1)"
	s := func(format string, a ...any) string {
		return strings.ReplaceAll(fmt.Sprintf(format, a...), "_N", fmt.Sprintf("_%d", n))
	}
	return []ownerSink{
		{name: "table", sql: s("INSERT INTO sink_t_N SELECT %s", name), pl: s("INSERT INTO sink_t_N SELECT %s", name),
			read: []string{s("SELECT v FROM sink_t_N"), s("SELECT upper(v) FROM sink_t_N"), s("COPY sink_t_N TO STDOUT")}},
		{name: "table update", sql: s("UPDATE sink_u_N SET v = %s", name), pl: s("UPDATE sink_u_N SET v = %s", name),
			read: []string{s("SELECT v FROM sink_u_N")}},
		{name: "sequence", sql: s("SELECT setval('sink_sq_N', %s)", card), pl: s("PERFORM setval('sink_sq_N', %s)", card),
			read: []string{s("SELECT last_value FROM sink_sq_N"), s("SELECT currval('sink_sq_N')"), s("SELECT pg_sequence_last_value('sink_sq_N')")}},
		{name: "setting", sql: s("SELECT set_config('x.sink_N', %s, false)", name), pl: s("PERFORM set_config('x.sink_N', %s, false)", name),
			read: []string{s("SHOW x.sink_N"), s("SELECT current_setting('x.sink_N')"), s("SELECT setting FROM pg_settings WHERE name = 'x.sink_N'")}},
		{name: "application_name", sql: s("SELECT set_config('application_name', %s, false)", name), pl: s("PERFORM set_config('application_name', %s, false)", name),
			read: []string{"SHOW application_name", "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"}},
		{name: "notify", sql: s("SELECT pg_notify('sink_ch_N', %s)", name), pl: s("PERFORM pg_notify('sink_ch_N', %s)", name),
			pre: []string{s("LISTEN sink_ch_N")}, read: []string{"SELECT 1"}},
		{name: "large object", sql: s("SELECT lo_from_bytea(0, convert_to(%s, 'UTF8'))", name), pl: s("PERFORM lo_from_bytea(0, convert_to(%s, 'UTF8'))", name),
			read: []string{"SELECT convert_from(lo_get(oid), 'UTF8') FROM pg_largeobject_metadata", "SELECT convert_from(data, 'UTF8') FROM pg_largeobject"}},
		{name: "advisory lock", sql: s("SELECT pg_advisory_lock(%s)", card), pl: s("PERFORM pg_advisory_lock(%s)", card),
			read: []string{"SELECT (classid::int8 << 32) | objid::int8 FROM pg_locks WHERE locktype = 'advisory'"}},
		{name: "error", sql: s("SELECT %s::int", name), pl: s("RAISE EXCEPTION 'v=%%', %s", name)},
		{name: "notice", pl: s("RAISE NOTICE 'v=%%', %s", name)},
		{name: "comment", pl: s("EXECUTE format('COMMENT ON TABLE sink_t_N IS %%L', %s)", name),
			read: []string{s("SELECT obj_description('sink_t_N'::regclass)"), s("SELECT description FROM pg_description WHERE objoid = 'sink_t_N'::regclass")}},
		{name: "object name", pl: s("EXECUTE format('CREATE TABLE %%I ()', 'o_N_' || %s)", name),
			read: []string{s("SELECT relname FROM pg_class WHERE relname LIKE 'o\\_N\\_%%'"), s("SELECT tablename FROM pg_tables WHERE tablename LIKE 'o\\_N\\_%%'")}},
		{name: "enum label", pl: s("EXECUTE format('ALTER TYPE sink_e_N ADD VALUE %%L', %s)", name),
			read: []string{s("SELECT unnest(enum_range(NULL::sink_e_N))::text"), s("SELECT enumlabel FROM pg_enum WHERE enumtypid = 'sink_e_N'::regtype")}},
	}
}

// ownerKind is a kind of owner-written code the agent makes run without
// writing it: setup (run by the owner, with STORE the sink's statement)
// and the agent's statement that runs it.
type ownerKind struct {
	name     string
	teardown string // run by the owner after the case
	sql      bool   // stores with the sink's SQL form, else its PL/pgSQL form
	setup    string
	call     string
}

// ownerKinds are the code kinds of case n.
func ownerKinds() []ownerKind {
	pl := func(ret, vol, body string) string {
		return fmt.Sprintf("LANGUAGE plpgsql %s AS $q$ BEGIN @STORE@; %s END $q$", vol, body) + ret
	}
	return []ownerKind{
		{name: "sql function", sql: true, setup: "CREATE FUNCTION k_N() RETURNS int LANGUAGE sql AS $q$ @STORE@; SELECT 1 $q$;", call: "SELECT k_N()"},
		{name: "sql procedure-like void", sql: true, setup: "CREATE FUNCTION k_N() RETURNS void LANGUAGE sql AS $q$ @STORE@ $q$;", call: "SELECT k_N()"},
		{name: "plpgsql function", setup: "CREATE FUNCTION k_N() RETURNS int " + pl(";", "VOLATILE", "RETURN 1;"), call: "SELECT k_N()"},
		{name: "plpgsql stable", setup: "CREATE FUNCTION k_N() RETURNS int " + pl(";", "STABLE", "RETURN 1;"), call: "SELECT k_N()"},
		{name: "plpgsql in FROM", setup: "CREATE FUNCTION k_N() RETURNS int " + pl(";", "VOLATILE", "RETURN 1;"), call: "SELECT * FROM k_N()"},
		{name: "plpgsql given a literal", setup: "CREATE FUNCTION k_N(a int) RETURNS int " + pl(";", "VOLATILE", "RETURN a;"), call: "SELECT k_N(1)"},
		{name: "plpgsql over orders", setup: "CREATE FUNCTION k_N(a int) RETURNS int " + pl(";", "VOLATILE", "RETURN a;"), call: "SELECT k_N(id) FROM orders"},
		{name: "view", setup: "CREATE FUNCTION kf_N() RETURNS int " + pl(";", "VOLATILE", "RETURN 1;") + "CREATE VIEW k_N AS SELECT kf_N() AS x;", call: "SELECT * FROM k_N"},
		{name: "sql function calling plpgsql", setup: "CREATE FUNCTION kf_N() RETURNS int " + pl(";", "VOLATILE", "RETURN 1;") + "CREATE FUNCTION k_N() RETURNS int LANGUAGE sql STABLE AS 'SELECT kf_N()';", call: "SELECT k_N()"},
		{name: "dynamic sql helper", sql: true, setup: "CREATE FUNCTION k_N(q text) RETURNS int LANGUAGE plpgsql AS $q$ BEGIN EXECUTE q; RETURN 1; END $q$;", call: "SELECT k_N(@LIT@)"},
		{name: "dynamic sql trigger", sql: true, setup: "CREATE TABLE k_N (q text); CREATE FUNCTION kf_N() RETURNS trigger LANGUAGE plpgsql AS $q$ BEGIN EXECUTE NEW.q; RETURN NULL; END $q$; CREATE TRIGGER kt_N AFTER INSERT ON k_N FOR EACH ROW EXECUTE FUNCTION kf_N();", call: "INSERT INTO k_N VALUES (@LIT@)"},
		{name: "after trigger", setup: "CREATE TABLE k_N (id int); CREATE FUNCTION kf_N() RETURNS trigger " + pl(";", "", "RETURN NULL;") +
			"CREATE TRIGGER kt_N AFTER INSERT ON k_N FOR EACH ROW EXECUTE FUNCTION kf_N();", call: "INSERT INTO k_N VALUES (1)"},
		{name: "statement trigger on update", setup: "CREATE TABLE k_N (id int); INSERT INTO k_N VALUES (1); CREATE FUNCTION kf_N() RETURNS trigger " + pl(";", "", "RETURN NULL;") +
			"CREATE TRIGGER kt_N AFTER UPDATE ON k_N FOR EACH STATEMENT EXECUTE FUNCTION kf_N();", call: "UPDATE k_N SET id = 2 WHERE id = 1"},
		{name: "rule", sql: true, setup: "CREATE TABLE k_N (id int); CREATE RULE kr_N AS ON INSERT TO k_N DO ALSO @STORE@;", call: "INSERT INTO k_N VALUES (1)"},
		{name: "default", setup: "CREATE FUNCTION kf_N() RETURNS int " + pl(";", "VOLATILE", "RETURN 1;") + "CREATE TABLE k_N (id int, d int DEFAULT kf_N());", call: "INSERT INTO k_N (id) VALUES (1)"},
		{name: "generated column", setup: "CREATE FUNCTION kf_N(a int) RETURNS int " + pl(";", "IMMUTABLE", "RETURN a;") + "CREATE TABLE k_N (id int, g int GENERATED ALWAYS AS (kf_N(id)) STORED);", call: "INSERT INTO k_N (id) VALUES (1)"},
		{name: "event trigger", setup: "CREATE FUNCTION kf_N() RETURNS event_trigger " + pl(";", "", "") + "CREATE EVENT TRIGGER ke_N ON ddl_command_end EXECUTE FUNCTION kf_N();",
			call: "CREATE TABLE lit_N (x int)", teardown: "DROP EVENT TRIGGER ke_N"},
		{name: "check constraint", setup: "CREATE FUNCTION kf_N(a int) RETURNS boolean " + pl(";", "IMMUTABLE", "RETURN true;") + "CREATE TABLE k_N (id int CHECK (kf_N(id)));", call: "INSERT INTO k_N VALUES (1)"},
	}
}

// ownerRowKinds store the masked value in the row the agent's own write
// makes (a default, a generated column, a BEFORE trigger, a rule): the
// sink is the table the agent writes and reads.
var ownerRowKinds = []ownerKind{
	{name: "default value", setup: "CREATE FUNCTION kf_N() RETURNS text LANGUAGE plpgsql STABLE AS $q$ BEGIN RETURN (SELECT name FROM customers WHERE id = 1); END $q$; CREATE TABLE k_N (id int, v text DEFAULT kf_N());",
		call: "INSERT INTO k_N (id) VALUES (1)"},
	{name: "sql default value", setup: "CREATE FUNCTION kf_N() RETURNS text LANGUAGE sql STABLE AS 'SELECT name FROM customers WHERE id = 1'; CREATE TABLE k_N (id int, v text DEFAULT kf_N());",
		call: "INSERT INTO k_N (id) VALUES (1)"},
	{name: "generated value", setup: "CREATE FUNCTION kf_N(a int) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT name FROM public.customers WHERE id = a'; CREATE TABLE k_N (id int, v text GENERATED ALWAYS AS (kf_N(id)) STORED);",
		call: "INSERT INTO k_N (id) VALUES (1)"},
	{name: "before trigger value", setup: "CREATE TABLE k_N (id int, v text); CREATE FUNCTION kf_N() RETURNS trigger LANGUAGE plpgsql AS $q$ BEGIN NEW.v := (SELECT name FROM customers WHERE id = NEW.id); RETURN NEW; END $q$; CREATE TRIGGER kt_N BEFORE INSERT ON k_N FOR EACH ROW EXECUTE FUNCTION kf_N();",
		call: "INSERT INTO k_N (id) VALUES (1)"},
	{name: "rule value", setup: "CREATE TABLE k_N (id int, v text); CREATE TABLE kv_N (id int); CREATE RULE kr_N AS ON INSERT TO kv_N DO INSTEAD INSERT INTO k_N SELECT NEW.id, name FROM customers WHERE id = NEW.id;",
		call: "INSERT INTO kv_N VALUES (1)"},
	{name: "update from trigger", setup: "CREATE TABLE k_N (id int, v text); INSERT INTO k_N VALUES (1, 'x'); CREATE FUNCTION kf_N() RETURNS trigger LANGUAGE plpgsql AS $q$ BEGIN NEW.v := (SELECT name FROM customers WHERE id = 1); RETURN NEW; END $q$; CREATE TRIGGER kt_N BEFORE UPDATE ON k_N FOR EACH ROW EXECUTE FUNCTION kf_N();",
		call: "UPDATE k_N SET id = 1 WHERE id = 1"},
}

// ownerCase is one generated attack: owner setup, the agent's steps.
type ownerCase struct {
	name     string
	teardown string
	setup    string
	steps    []string
}

// ownerCases generates code kinds × sinks, plus the kinds that store in
// the agent's own row.
func ownerCases() []ownerCase {
	var out []ownerCase
	n := 0
	for _, k := range ownerKinds() {
		for _, sk := range ownerSinks(0) {
			n++
			sinks := ownerSinks(n)
			var sink ownerSink
			for _, x := range sinks {
				if x.name == sk.name {
					sink = x
				}
			}
			store := sink.pl
			if k.sql {
				store = sink.sql
			}
			if store == "" {
				continue
			}
			suffix := fmt.Sprintf("_%d", n)
			setup := "CREATE TABLE sink_t_N (v text); CREATE TABLE sink_u_N (v text); INSERT INTO sink_u_N VALUES ('x'); CREATE SEQUENCE sink_sq_N; CREATE TYPE sink_e_N AS ENUM ('x');" +
				strings.ReplaceAll(k.setup, "@STORE@", store)
			call := strings.ReplaceAll(k.call, "@LIT@", "'"+strings.ReplaceAll(store, "'", "''")+"'")
			steps := append(append(append([]string{}, sink.pre...), call), sink.read...)
			out = append(out, ownerCase{name: k.name + " → " + sink.name, teardown: strings.ReplaceAll(k.teardown, "_N", suffix), setup: strings.ReplaceAll(setup, "_N", suffix), steps: replaceAll(steps, "_N", suffix)})
		}
	}
	for _, k := range ownerRowKinds {
		n++
		suffix := fmt.Sprintf("_%d", n)
		out = append(out, ownerCase{name: k.name + " → row", setup: strings.ReplaceAll(k.setup, "_N", suffix),
			steps: replaceAll([]string{k.call, "SELECT v FROM k_N", "SELECT * FROM k_N", "COPY k_N TO STDOUT", "SELECT md5(v) IS NULL, v FROM k_N"}, "_N", suffix)})
	}
	return out
}

func replaceAll(in []string, old, new string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ReplaceAll(s, old, new)
	}
	return out
}

// ownerLeak reports what of row 1's masked values b holds: its name (in
// any of leakIn's forms) or its card.
func ownerLeak(b []byte) string {
	if l := leakIn(b); l != "" {
		return l
	}
	if bytes.Contains(b, []byte(testCard)) {
		return testCard
	}
	return ""
}

// TestOwnerCodeStores: code the database's owner wrote (a SQL or PL/pgSQL
// function, a view calling one, a trigger, a rule, a default, a
// generated column, a check) that reads a masked column itself and
// stores it where the agent reads it back (a table, a sequence, a
// setting, a notification, a large object, an advisory lock, an error,
// a notice, a comment, an object's name, an enum label, the agent's own
// row) must not hand the agent the value: judged by the bytes the agent
// received. The owner's control, through the gateway and unmasked, shows
// each carrier is real; a case whose control shows nothing (PostgreSQL
// refuses the store: a STABLE function's INSERT) is not counted.
func TestOwnerCodeStores(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture)
	r := testSeed(t)
	cases := ownerCases()
	real, leaked := 0, 0
	for _, oc := range cases {
		leak, ctl := runOwnerCase(t, tg, r, oc)
		if ctl == "" {
			if leak != "" {
				t.Errorf("%s: agent got %q though the owner's control did not", oc.name, leak)
			}
			continue
		}
		real++
		if leak != "" {
			leaked++
			t.Errorf("%s: the agent received %q (steps %q)", oc.name, leak, oc.steps)
		}
	}
	t.Logf("owner code storing masked values: %d of %d real carriers leaked (%d cases generated)", leaked, real, len(cases))
	if real < len(cases)/2 {
		t.Errorf("only %d of %d cases are real carriers: the generator is broken", real, len(cases))
	}
}

// runOwnerCase sets oc up, runs its steps as the agent and then, as the
// control, as the owner (unmasked, after the agent's run is undone where
// it persists), tears it down, and returns what leaked to each.
func runOwnerCase(t *testing.T, tg *testGateway, r *rand.Rand, oc ownerCase) (leak, control string) {
	t.Helper()
	tg.adminExec(t, oc.setup)
	run := func(user string) string {
		var got []byte
		c := dialTap(t, tg, user)
		for _, q := range oc.steps {
			b, _ := c.run(r, q)
			got = append(got, b...)
		}
		_ = c.c.Close(t.Context())
		return ownerLeak(got)
	}
	leak = run("agent")
	lo := strings.Contains(oc.name, "large object")
	if lo {
		tg.adminExec(t, "SELECT lo_unlink(oid) FROM pg_largeobject_metadata")
	}
	control = run("admin")
	if lo {
		tg.adminExec(t, "SELECT lo_unlink(oid) FROM pg_largeobject_metadata")
	}
	if oc.teardown != "" {
		tg.adminExec(t, oc.teardown)
	}
	return leak, control
}

// ownerBenignFixture is owner code that reads no masked column, or
// stores nothing: an audit trigger, a default of now() and a sequence,
// a logging function, readers of masked data that only return it.
const ownerBenignFixture = `
CREATE TABLE audit (id int, at timestamptz);
CREATE TABLE audited (id int, v text);
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id, now()); RETURN NEW; END $$;
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE SEQUENCE ticket_seq;
CREATE TABLE tickets (id int DEFAULT nextval('ticket_seq'), at timestamptz DEFAULT now(), note text CHECK (length(note) < 100));
CREATE FUNCTION log_event(e text) RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (length(e), now()); RETURN 1; END $$;
CREATE FUNCTION order_total(i int) RETURNS int LANGUAGE sql STABLE AS 'SELECT total FROM orders WHERE id = i';
CREATE FUNCTION bump(i int) RETURNS int LANGUAGE sql AS 'UPDATE orders SET total = total + 1 WHERE id = i RETURNING total';
`

// ownerBenign are statements running owner code that reads no masked
// column or stores nothing: a masked session runs them.
var ownerBenign = []string{
	"INSERT INTO audited VALUES (1, 'a')",
	"UPDATE audited SET v = 'b' WHERE id = 1",
	"INSERT INTO tickets (note) VALUES ('hello')",
	"SELECT log_event('login')",
	"SELECT order_total(10)",
	"SELECT bump(10)",
	"UPDATE orders SET total = order_total(11) WHERE id = 11",
	"SELECT name_of(1)",
	"SELECT opaque_name(1)",
	"SELECT shout(name) FROM customers",
	"SELECT * FROM customer_names",
	"INSERT INTO scratch VALUES (1, shout('x'))",
	"SELECT count(*) FROM audit",
}

// TestOwnerCodeBenign: under masking, statements that run owner code
// reading no masked column (an audit trigger, defaults, a logging
// function) or storing nothing (a reader whose result is masked) run;
// the count of refusals is the guard's benign cost (0 of n).
func TestOwnerCodeBenign(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules))
	tg.adminExec(t, lineageFixture+ownerBenignFixture)
	r := testSeed(t)
	agent := dialTap(t, tg, "agent")
	refused := 0
	for _, q := range ownerBenign {
		if _, err := agent.run(r, q); err != nil {
			refused++
			t.Errorf("%s: refused under masking: %v", q, err)
		}
	}
	t.Logf("owner code benign: %d of %d refused", refused, len(ownerBenign))
}

// TestAssignsRow: a trigger body that may change the row it returns
// counts (assignments in any spelling, SELECT INTO NEW, returning a row
// of its own); one that only reads it and returns NEW, OLD or NULL does
// not.
func TestAssignsRow(t *testing.T) {
	for body, want := range map[string]bool{
		"BEGIN NEW.v := (SELECT name FROM customers); RETURN NEW; END": true,
		"BEGIN new . \"v\" = 'x'; RETURN NEW; END":                     true,
		"BEGIN NEW := ROW(1, 'x'); RETURN NEW; END":                    true,
		"BEGIN SELECT name INTO NEW.v FROM customers; RETURN NEW; END": true,
		"BEGIN RETURN ROW(NEW.id, 'x'); END":                           true,
		"BEGIN RAISE NOTICE '%', NEW.v; RETURN NEW; END":               false,
		"BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NULL; END":    false,
		"BEGIN PERFORM renew(1); RETURN OLD; END":                      false,
	} {
		if got := assignsRow(body); got != want {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
}

// TestOwnerRefusalIsCodeRefusal: the owner-code refusal reads as the code
// guard's, for clients and tests that recognise it.
func TestOwnerRefusalIsCodeRefusal(t *testing.T) {
	if !codeRefused([]byte(ownerRefusal)) {
		t.Fatalf("%q does not read as the code guard's refusal", ownerRefusal)
	}
}
