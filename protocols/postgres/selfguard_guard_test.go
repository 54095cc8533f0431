package postgres

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/jackc/pgx/v5"
)

// selfOrdinaryWork is what an agent does in a database that holds the
// gateway's tables and must still be able to do: read them (reads are
// left to the rules), write the app's tables, with built-in functions,
// constants that happen to spell a guarded name, prepared statements,
// MERGE, DDL on its own tables, transactions.
var selfOrdinaryWork = []string{
	"SELECT count(*) FROM airlock_reviews",
	"SELECT g.uses, r.state FROM airlock_grants g JOIN airlock_reviews r ON r.id = g.review_id",
	"SELECT * FROM app_grants",
	"SELECT * FROM public.ops_record",
	"WITH x AS (SELECT * FROM airlock_rule_sets) SELECT count(*) FROM x",
	"EXPLAIN SELECT * FROM airlock_runs",
	"INSERT INTO scratch VALUES (1, md5('x'))",
	"INSERT INTO scratch VALUES (2, now()::text), (3, gen_random_uuid()::text)",
	"INSERT INTO scratch VALUES (4, 'airlock_reviews')",
	"UPDATE scratch SET v = upper(v) WHERE id = 1",
	"INSERT INTO scratch SELECT id, name FROM customers",
	"DELETE FROM scratch WHERE id = 2",
	"MERGE INTO scratch s USING (SELECT 1 AS id) n ON s.id = n.id WHEN MATCHED THEN UPDATE SET v = 'm'",
	"WITH d AS (DELETE FROM scratch WHERE id = 3 RETURNING *) SELECT count(*) FROM d",
	"CREATE TABLE app_new (id int)",
	"ALTER TABLE app_new ADD COLUMN v text",
	"CREATE INDEX ON app_new (id)",
	"CREATE VIEW app_new_v AS SELECT * FROM app_new",
	"DROP VIEW app_new_v",
	"DROP TABLE app_new",
	"UPDATE held SET v = 'c' WHERE id = 1",
	"BEGIN", "INSERT INTO scratch VALUES (5, 'tx')", "COMMIT",
	"SET search_path = public",
	"EXPLAIN ANALYZE INSERT INTO scratch VALUES (6, 'e')",
}

// TestSelfGuardLetsOrdinaryWorkThrough: in a database holding the
// gateway's tables, with rules that allow everything, ordinary work
// passes in every form, and COPY into an app table too.
func TestSelfGuardLetsOrdinaryWorkThrough(t *testing.T) {
	t.Parallel()
	tg, _ := startSelfGateway(t)
	ctx := context.Background()
	tg.eachMode(t, "admin", func(t *testing.T, mode string, c *pgx.Conn) {
		for _, s := range selfOrdinaryWork {
			if _, err := c.Exec(ctx, s); err != nil {
				t.Errorf("%s: %s: %v", mode, s, err)
			}
		}
		if _, err := c.Exec(ctx, "PREPARE app_ins AS INSERT INTO scratch VALUES ($1, $2)"); err != nil {
			t.Errorf("%s: PREPARE: %v", mode, err)
		} else if _, err := c.Exec(ctx, "EXECUTE app_ins(7, 'p')"); err != nil {
			t.Errorf("%s: EXECUTE: %v", mode, err)
		}
		if _, err := c.Exec(ctx, "UPDATE scratch SET v = $1 WHERE id = $2", "param", 1); err != nil {
			t.Errorf("%s: parameters: %v", mode, err)
		}
		if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("8\tcopied\n"), "COPY scratch FROM STDIN"); err != nil {
			t.Errorf("%s: COPY scratch: %v", mode, err)
		}
		var out strings.Builder
		if _, err := c.PgConn().CopyTo(ctx, &out, "COPY airlock_grants TO STDOUT"); err != nil || !strings.Contains(out.String(), "g1") {
			t.Errorf("%s: COPY airlock_grants TO STDOUT: %v %q", mode, err, out.String())
		}
	})
	t.Run("psql", func(t *testing.T) {
		psql := gatetest.NeedTool(t, "psql")
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("10,csv\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		script := strings.Join(selfOrdinaryWork, ";\n") + ";\n\\copy scratch FROM 'in.csv' csv\n\\copy airlock_grants TO STDOUT\n"
		if err := os.WriteFile(filepath.Join(dir, "work.sql"), []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := runTool(t, tg.clientEnv("admin"), dir, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "work.sql")
		if err != nil || !strings.Contains(out, "g1") {
			t.Fatalf("psql: %v\n%s", err, out)
		}
	})
}

// TestSelfGuardOnlyWhereTheTablesAre: in a database without the
// gateway's tables, the self guard refuses nothing — functions,
// procedures, DO blocks, triggers and rules included — but a statement
// naming one of the gateway's table names: a table made under it is what
// a store migrating there later would use. (The gateway's role here is a
// superuser: server-side reach and cluster changes are allowed so that
// only the self guard is seen; see TestServerReachOrdinaryWork.)
func TestSelfGuardOnlyWhereTheTablesAre(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(selfAllowRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	ctx := context.Background()
	if _, err := tg.upstream(t).Exec(ctx, `
		CREATE FUNCTION app_double(x int) RETURNS int LANGUAGE sql AS $$ SELECT x * 2 $$;
		CREATE FUNCTION app_trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := 'trig'; RETURN NEW; END $$;
		CREATE TRIGGER scratch_t BEFORE INSERT ON scratch FOR EACH ROW EXECUTE FUNCTION app_trig();`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	tg.eachMode(t, "admin", func(t *testing.T, mode string, c *pgx.Conn) {
		for _, s := range []string{
			"SELECT app_double(2)",
			"INSERT INTO scratch VALUES (app_double(2), 'x')",
			"DO $$ BEGIN PERFORM app_double(1); END $$",
			"BEGIN",
			"CREATE FUNCTION app_f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
			"CREATE PROCEDURE app_p() LANGUAGE sql AS $$ INSERT INTO scratch VALUES (1, 'p') $$",
			"CALL app_p()",
			"ROLLBACK",
		} {
			if _, err := c.Exec(ctx, s); err != nil {
				t.Errorf("%s: %s: %v", mode, s, err)
			}
		}
		for _, s := range []string{"CREATE TABLE airlock_reviews (id int)", `CREATE TABLE "Airlock_Rule_Sets" (id int)`,
			"ALTER TABLE scratch RENAME TO airlock_runs", `CREATE VIEW U&"airlock\005fgrants" AS SELECT 1`} {
			if _, err := c.Exec(ctx, s); sqlState(err) != "42501" {
				t.Errorf("%s: %s: %v", mode, s, err)
			}
		}
	})
}

// TestSelfGuardFollowsRenames: a guarded table renamed outside the
// gateway (a migration) stays guarded under its new name, by its OID.
func TestSelfGuardFollowsRenames(t *testing.T) {
	t.Parallel()
	tg, _ := startSelfGateway(t)
	ctx := context.Background()
	c := tg.connect(t, "admin")
	if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1, 'learn')"); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.upstream(t).Exec(ctx, "ALTER TABLE airlock_grants RENAME TO grants_v2").ReadAll(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(guardCheckEvery + 100*time.Millisecond)
	_, err := c.Exec(ctx, "UPDATE grants_v2 SET uses = 0")
	if sqlState(err) != "42501" || !strings.Contains(err.Error(), "airlock: denied") {
		t.Fatalf("UPDATE of the renamed grants: %v", err)
	}
	var uses int
	if err := c.QueryRow(ctx, "SELECT uses FROM grants_v2").Scan(&uses); err != nil || uses != 1 {
		t.Fatalf("uses %d, %v", uses, err)
	}
	found := false
	for _, e := range tg.gateEvents() {
		found = found || e.Decision != nil && e.Decision.Rule == "postgres/self"
	}
	if !found {
		t.Error("no decision recorded under postgres/self")
	}
}
