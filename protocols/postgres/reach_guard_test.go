package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
)

// reachOrdinaryWork is what an agent does in a database without the
// gateway's tables and without server-side reach: its own functions,
// procedures, DO blocks, triggers, prepared statements, COPY to the
// client, an extension that stays in the database.
var reachOrdinaryWork = []string{
	"CREATE EXTENSION IF NOT EXISTS pg_trgm",
	"SELECT similarity('airlock', 'airlocks')",
	"CREATE FUNCTION app_double_{N}(x int) RETURNS int LANGUAGE sql AS $$ SELECT x * 2 $$",
	"SELECT app_double_{N}(2)",
	"INSERT INTO scratch VALUES (app_double_{N}(2), 'f')",
	"CREATE FUNCTION app_trig_{N}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := 'trig'; RETURN NEW; END $$",
	"CREATE TRIGGER app_t_{N} BEFORE INSERT ON scratch FOR EACH ROW EXECUTE FUNCTION app_trig_{N}()",
	"INSERT INTO scratch VALUES (3, 'x')",
	"DO $$ BEGIN PERFORM app_double_{N}(1); INSERT INTO scratch VALUES (4, 'do'); END $$",
	"CREATE PROCEDURE app_p_{N}() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO scratch VALUES (5, 'p'); END $$",
	"CALL app_p_{N}()",
	"PREPARE app_q_{N} AS SELECT app_double_{N}($1)",
	"EXECUTE app_q_{N}(3)",
	"CREATE VIEW app_v_{N} AS SELECT id, app_double_{N}(id) AS d FROM scratch",
	"SELECT * FROM app_v_{N}",
	"CREATE TABLE app_t_{N} (id int)",
	"DROP TABLE app_t_{N}",
}

// reachPlainWork passes whoever the gateway's role is: nothing in it
// runs code the gateway cannot see.
var reachPlainWork = []string{
	"CREATE EXTENSION IF NOT EXISTS pg_trgm",
	"SELECT similarity('airlock', 'airlocks')",
	"INSERT INTO scratch VALUES (1, md5('x'))",
	"UPDATE scratch SET v = upper(v) WHERE id = 1",
	"CREATE TABLE app_p_{N} (id int)",
	"CREATE INDEX ON app_p_{N} (id)",
	"DROP TABLE app_p_{N}",
	"SELECT lower(name) FROM customers",
}

// runWork runs each of work (with {N} replaced) on c, in every mode,
// failing on the first error.
func runWork(t *testing.T, tg *testGateway, work []string) {
	ctx := context.Background()
	n := 0
	tg.eachMode(t, "admin", func(t *testing.T, mode string, c *pgx.Conn) {
		n++
		r := strings.NewReplacer("{N}", strings.ReplaceAll(mode, " ", "_")+string(rune('a'+n)))
		for _, s := range work {
			if _, err := c.Exec(ctx, r.Replace(s)); err != nil {
				t.Fatalf("%s: %s: %v", mode, r.Replace(s), err)
			}
		}
		var out strings.Builder
		if _, err := c.PgConn().CopyTo(ctx, &out, "COPY scratch TO STDOUT"); err != nil || out.Len() == 0 {
			t.Fatalf("%s: COPY scratch TO STDOUT: %v %q", mode, err, out.String())
		}
	})
}

// TestServerReachOrdinaryWork: server-side reach is refused without
// over-blocking. Run as a role that is not a superuser (as a gateway
// should be), in a database without reach extensions or the gateway's
// tables, functions, DO, CALL, triggers, views, PREPARE, COPY to the
// client and a trusted extension pass with rules that allow everything.
// As a superuser, plain statements pass; DO is refused as postgres/reach
// (it could install dblink unseen), and passes once AllowServerReach and
// AllowClusterChanges are set.
func TestServerReachOrdinaryWork(t *testing.T) {
	ctx := context.Background()
	role := randomName("airlock_gw_")
	admin, err := pgxConnect(ctx, testUpstream)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgxConnect(context.Background(), testUpstream); err == nil {
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
			_ = c.Close(context.Background())
		}
	})
	t.Run("role", func(t *testing.T) {
		tg := startGateway(t, withRules(selfAllowRules), func(_ *gate.Config, c *Config) { c.Upstream.User = role })
		if _, err := tg.upstream(t).Exec(ctx, "ALTER DATABASE "+tg.db+" OWNER TO "+role+"; ALTER SCHEMA public OWNER TO "+role+
			"; ALTER TABLE scratch OWNER TO "+role+"; ALTER TABLE customers OWNER TO "+role).ReadAll(); err != nil {
			t.Fatal(err)
		}
		runWork(t, tg, reachOrdinaryWork)
	})
	t.Run("superuser", func(t *testing.T) {
		tg := startGateway(t, withRules(selfAllowRules))
		runWork(t, tg, reachPlainWork)
		c := tg.connect(t, "admin")
		_, err := c.Exec(ctx, "DO $$ BEGIN PERFORM 1; END $$")
		if sqlState(err) != "42501" || !strings.Contains(err.Error(), "server-side") {
			t.Fatalf("DO as a superuser: %v", err)
		}
		found := false
		for _, e := range tg.gateEvents() {
			found = found || e.Decision != nil && e.Decision.Rule == "postgres/reach"
		}
		if !found {
			t.Error("no decision recorded under postgres/reach")
		}
	})
	t.Run("superuser allowed", func(t *testing.T) {
		tg := startGateway(t, withRules(selfAllowRules), func(_ *gate.Config, c *Config) {
			c.AllowServerReach, c.AllowClusterChanges = true, true
		})
		runWork(t, tg, reachOrdinaryWork)
	})
}
