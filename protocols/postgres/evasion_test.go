package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-sdk/airlock/gate"
)

// evasions must all be refused for the admin (whose rules allow reads and
// bounded writes to scratch), whatever the protocol.
var evasions = []string{
	"DROP TABLE victims",
	"/* harmless */ DrOp /* really */ TaBlE victims",
	"-- comment\nDROP TABLE victims",
	"SELECT 1; DROP TABLE victims",
	"SELECT 1;DROP TABLE victims;",
	"SELECT $$;$$; DROP TABLE victims",
	"SELECT E'\\''; DROP TABLE victims; --'",
	"SELECT 'it''s'; DROP TABLE victims",
	"WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d",
	"WITH d AS (DELETE FROM scratch RETURNING *) SELECT count(*) FROM d",
	"EXPLAIN ANALYZE DELETE FROM victims",
	"EXPLAIN (ANALYZE) DELETE FROM scratch",
	"EXECUTE evil",
	"DO $$ BEGIN EXECUTE 'DROP TABLE victims'; END $$",
	"COPY victims TO PROGRAM 'id'",
	"COPY victims FROM '/etc/passwd'",
	"SELECT * INTO stolen FROM customers",
	"SET ROLE postgres",
	"SET SESSION AUTHORIZATION postgres",
	"SELECT set_config('role', 'postgres', false)",
	"SELECT pg_read_file('/etc/passwd')",
	"SELECT * FROM pg_read_file('/etc/passwd')",
	"SELECT lo_export(1, '/tmp/x')",
	"SELECT dblink_exec('dbname=x', 'DROP TABLE victims')",
	"SELECT pg_terminate_backend(1)",
	"SELECT nextval('x')",
	"CALL p()",
	"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
	"LOAD 'plpgsql'",
	"TRUNCATE scratch",
	"DELETE FROM scratch",
	"UPDATE scratch SET v = 'x'",
	"SELECT * FROM customers FOR UPDATE",
	"SET standard_conforming_strings = off",
	"SET client_encoding = 'SJIS'",
	"ALTER ROLE postgres PASSWORD 'hunter2'",
	"SELEC 1",
	"SELECT 1; COMMIT; DROP TABLE victims",
	"GRANT ALL ON customers TO PUBLIC",
	"VACUUM FULL customers",
}

func TestEvasionSuite(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	admin := tg.connect(t, "admin", simpleMode)
	// Preparing a DELETE is judged as the DELETE it prepares: a later
	// EXECUTE runs it, so a rule that allows only reads refuses it.
	if _, err := admin.Exec(ctx, "PREPARE evil AS DELETE FROM victims"); sqlState(err) != "42501" {
		t.Fatalf("PREPARE of a write: want 42501, got %v", err)
	}
	tg.eachMode(t, "admin", func(t *testing.T, name string, c *pgx.Conn) {
		if name == "simple" {
			if _, err := c.Exec(ctx, "PREPARE evil AS DELETE FROM victims"); sqlState(err) != "42501" {
				t.Fatalf("PREPARE of a write: want 42501, got %v", err)
			}
		}
		for _, sql := range evasions {
			_, err := c.Exec(ctx, sql)
			if sqlState(err) != "42501" {
				t.Errorf("%q: want 42501, got %v", sql, err)
			}
			var one int
			if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				t.Fatalf("session unusable after %q: %v", sql, err)
			}
		}
	})
	// Nothing happened upstream.
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM victims").Scan(&n); err != nil {
		t.Fatalf("victims gone: %v", err)
	}
	// The refused password never reached the record.
	if b := tg.recordedWith("hunter2"); b != "" {
		t.Fatalf("password recorded raw: %s", b)
	}
}

// TestEvasionRecorded checks every refusal is recorded as a decision.
func TestEvasionRecorded(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	c := tg.connect(t, "admin", simpleMode)
	ctx := context.Background()
	_, _ = c.Exec(ctx, "SELEC 1")
	_, _ = c.Exec(ctx, "DROP TABLE victims")
	denies := 0
	for _, e := range tg.gateEvents() {
		if e.Kind == gate.EventDecision && e.Decision != nil && e.Decision.Action == gate.Deny {
			denies++
		}
	}
	if denies < 2 {
		t.Fatalf("recorded %d denials", denies)
	}
}
