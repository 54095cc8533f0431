package postgres

import (
	"bytes"
	"errors"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgconn"
)

// codeGuardBenign are statements of the shapes TestObjectsNamedAfterData,
// TestSettingBits and TestCopyAcrossSchemas attack that carry no masked
// value: a masked session must run them.
var codeGuardBenign = []string{
	"CREATE TABLE lit_t (x int)",
	"CREATE SCHEMA lit_s",
	"CREATE SEQUENCE lit_sq",
	"CREATE TYPE lit_e AS ENUM ('a', 'b')",
	"CREATE INDEX lit_i ON scratch (id)",
	"ALTER TABLE scratch ADD COLUMN lit_c int",
	"COMMENT ON TABLE victims IS 'plain'",
	"CREATE VIEW lit_v AS SELECT 'x'::text AS c",
	"SELECT relname FROM pg_class WHERE relname = 'customers'",
	"SELECT name_of(1)",
	"SELECT shout(name) FROM customers",
	"SELECT opaque_name(1)",
	"SET enable_seqscan = off",
	"SELECT set_config('work_mem', '8MB', false)",
	"SELECT set_config('x.y', id::text, false) FROM orders WHERE id = 10",
	"SELECT set_config('application_name', 'tool', false) FROM customers WHERE id = 1",
	"SELECT pg_advisory_lock(42)",
	"SELECT pg_notify('ch', 'hello')",
	"SELECT nextval('sq')",
	"INSERT INTO scratch VALUES (5, 'five')",
	"UPDATE scratch SET v = 'six' WHERE id = 5",
	"COPY orders TO STDOUT",
	"COPY customers (id) TO STDOUT",
	"COPY public.customers TO STDOUT",
	"SELECT name FROM customers",
	"SELECT opaque_name(id) FROM customers",
	"SELECT pg_advisory_lock(id) FROM orders",
}

// TestMentions: every word of the name counts, in any case and
// notation, and no part of a longer word does.
func TestMentions(t *testing.T) {
	for text, want := range map[string]int{
		"SELECT run_sql(run_sql('x'))":       2,
		"SELECT RUN_SQL(1), (1).run_sql":     2,
		"SELECT run_sql2(1), xrun_sql(1)":    0,
		`SELECT "run_sql"(1)`:                1,
		"SELECT public.run_sql(name) FROM t": 1,
	} {
		if got := mentions(text, "run_sql"); got != want {
			t.Errorf("%s: %d, want %d", text, got, want)
		}
	}
}

// codeGuardRefused are benign statements the guard refuses under masking
// all the same (it cannot see what the code does, or what later
// statements will make the code they define do): the cost, counted.
var codeGuardRefused = []string{
	"DO $$ BEGIN PERFORM 1; END $$",
	"CALL noop()",
	"CREATE FUNCTION lit_f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
	"UPDATE pg_settings SET setting = '8MB' WHERE name = 'work_mem'", // reads pg_settings: of unknown lineage
	"CREATE TRIGGER lit_t AFTER INSERT ON scratch FOR EACH ROW EXECUTE FUNCTION trig_run()",
	// Code of the owner's that runs whatever SQL it is handed (dynamic
	// SQL) may read a masked column and store it: run_sql('INSERT INTO
	// scratch SELECT name FROM customers') (TestOwnerCodeStores).
	"SELECT run_sql('SELECT 1')",
	"SELECT run_sql('SELECT 1') FROM orders",
	"INSERT INTO trig VALUES ('SELECT 1')",
}

// TestCodeGuardOverRefusal: under masking, statements of the attacked
// shapes that carry no masked value run (literal DDL, settings of
// literals or of columns no rule covers, reads through SQL and PL/pgSQL
// functions, COPY of tables); code the gateway cannot follow is refused
// with SQLSTATE 42501 and a reason, and the session goes on. Without
// masking (the admin), all of them run.
func TestCodeGuardOverRefusal(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture+stateFixture+"CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1';")
	r := testSeed(t)
	agent := dialTap(t, tg, "agent")
	failed := 0
	for _, q := range codeGuardBenign {
		if _, err := agent.run(r, q); err != nil {
			failed++
			t.Errorf("%s: refused under masking: %v", q, err)
		}
	}
	for _, q := range codeGuardRefused {
		_, err := agent.run(r, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s: want refusal 42501, got %v", q, err)
		}
		if _, err := agent.run(r, "SELECT 1"); err != nil {
			t.Errorf("%s: the session did not go on: %v", q, err)
		}
	}
	admin := dialTap(t, tg, "admin")
	for _, q := range codeGuardRefused[:4] {
		if _, err := admin.run(r, q); err != nil {
			t.Errorf("%s: refused without masking: %v", q, err)
		}
	}
	t.Logf("over-refusals under masking: %d of %d benign statements of the attacked shapes (%d by design: code the gateway cannot follow)",
		failed+len(codeGuardRefused), len(codeGuardBenign)+len(codeGuardRefused), len(codeGuardRefused))
}

// codeRefused reports whether b, what a client received, holds the code
// guard's refusal.
func codeRefused(b []byte) bool {
	return bytes.Contains(b, []byte(codeRefusal[:40]))
}
