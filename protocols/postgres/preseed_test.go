package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/pgrules"
	"github.com/airlock-sdk/airlock/gate/pgruns"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/record/pgsink"
	"github.com/jackc/pgx/v5/pgxpool"
)

// preseedStores are the real stores' migrations and the tables each
// uses.
var preseedStores = []struct {
	name    string
	tables  []string
	migrate func(context.Context, *pgxpool.Pool) error
}{
	{"pgapproval", []string{"airlock_reviews", "airlock_grants"},
		func(ctx context.Context, p *pgxpool.Pool) error {
			return pgapproval.Migrate(ctx, p, pgapproval.Options{})
		}},
	{"pgrules", []string{"airlock_rule_sets"},
		func(ctx context.Context, p *pgxpool.Pool) error { return pgrules.Migrate(ctx, p, pgrules.Options{}) }},
	{"pgruns", []string{"airlock_runs", "airlock_run_identities", "airlock_run_labels", "airlock_run_counters"},
		func(ctx context.Context, p *pgxpool.Pool) error { return pgruns.Migrate(ctx, p, pgruns.Options{}) }},
	{"pgsink", []string{"airlock_record"},
		func(ctx context.Context, p *pgxpool.Pool) error { return pgsink.Migrate(ctx, p, pgsink.Options{}) }},
}

// preseedVariants make, through the gateway, an object named X (one of
// a store's tables, shaped like it: {COLS} are its columns, {NULLS} a
// NULL of each) for the store to find when it migrates; {N} is unique per
// probe.
var preseedVariants = []struct {
	name  string
	stmts []string
}{
	{"trigger", []string{"CREATE TABLE public.X ({COLS})",
		"CREATE FUNCTION pre_f{N}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
		"CREATE TRIGGER pre_t{N} BEFORE INSERT OR UPDATE ON public.X FOR EACH ROW EXECUTE FUNCTION pre_f{N}()"}},
	{"rule", []string{"CREATE TABLE public.X ({COLS})",
		"CREATE RULE pre_r{N} AS ON UPDATE TO public.X DO ALSO NOTIFY pre"}},
	{"view", []string{"CREATE VIEW public.X AS SELECT {NULLS}"}},
	{"row security", []string{"CREATE TABLE public.X ({COLS})",
		"ALTER TABLE public.X ENABLE ROW LEVEL SECURITY", "CREATE POLICY pre_p{N} ON public.X USING (true)"}},
	{"inherits", []string{"CREATE TABLE public.X ({COLS})",
		"CREATE TABLE pre_child{N} () INHERITS (public.X)"}},
	{"default", []string{"CREATE FUNCTION pre_d{N}() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$",
		"CREATE TABLE public.X ({COLS}, pre_col text DEFAULT pre_d{N}())"}},
	{"earlier schema", []string{"CREATE SCHEMA IF NOT EXISTS postgres",
		"CREATE TABLE postgres.X ({COLS})",
		"CREATE FUNCTION pre_f{N}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
		"CREATE TRIGGER pre_t{N} BEFORE INSERT ON postgres.X FOR EACH ROW EXECUTE FUNCTION pre_f{N}()"}},
}

// TestStoresRefusePreseededTables: in a database without the gateway's
// tables, an agent makes an object of a store's table name — a table with a trigger, a rule, row security, an
// inheritance child or a default calling its own function, a view, or
// such a table in a schema earlier in search_path ("$user") — before the
// store migrates. The gateway refuses every such statement (it names a
// store's table: see TestClusterGuardGenerated); made past the gateway
// anyway (code it could not see, another client), every real store's
// Migrate refuses to use it, with an error naming the table; a database
// without such objects migrates.
func TestStoresRefusePreseededTables(t *testing.T) {
	ctx := context.Background()
	tg := startGateway(t, withRules(selfAllowRules), func(_ *gate.Config, c *Config) { c.AllowServerReach = true })
	up := tg.upstream(t)
	// A database of its own holds the stores' tables as they make them.
	tmpl, err := pgxpool.New(ctx, pgtest.Database(t, "airlock_tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	defer tmpl.Close()
	cols, nulls := map[string]string{}, map[string]string{}
	for _, s := range preseedStores {
		if err := s.migrate(ctx, tmpl); err != nil {
			t.Fatal(err)
		}
		for _, table := range s.tables {
			var c, n string
			if err := tmpl.QueryRow(ctx, `SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum),
				string_agg('NULL::' || format_type(atttypid, atttypmod) || ' AS ' || quote_ident(attname), ', ' ORDER BY attnum)
				FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table).Scan(&c, &n); err != nil {
				t.Fatal(err)
			}
			cols[table], nulls[table] = c, n
		}
	}
	pool, err := pgxpool.New(ctx, dbURL(tg.db))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	c := tg.connect(t, "admin", simpleMode)
	n, used := 0, 0
	for _, s := range preseedStores {
		for _, table := range s.tables {
			for _, v := range preseedVariants {
				n++
				// One message: the self guard judges it before the
				// table of a guarded name exists.
				st := strings.Join(v.stmts, ";\n")
				st = strings.NewReplacer("{COLS}", cols[table], "{NULLS}", nulls[table]).Replace(st)
				st = strings.NewReplacer(".X", "."+table, "{N}", fmt.Sprint(n)).Replace(st)
				if _, err := c.Exec(ctx, st); sqlState(err) != "42501" {
					t.Fatalf("%s/%s through the gateway: %s: %v", table, v.name, st, err)
				}
				if _, err := up.Exec(ctx, st).ReadAll(); err != nil {
					t.Fatalf("%s/%s: %s: %v", table, v.name, st, err)
				}
				err := s.migrate(ctx, pool)
				if err == nil {
					used++
					t.Errorf("%s migrated over the agent's %s (%s)", s.name, table, v.name)
				} else if !strings.Contains(err.Error(), "not a table the store made") {
					t.Errorf("%s over the agent's %s (%s): %v", s.name, table, v.name, err)
				}
				cleanup := "DROP SCHEMA IF EXISTS postgres CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public"
				if _, err := up.Exec(ctx, cleanup).ReadAll(); err != nil {
					t.Fatal(err)
				}
				if err == nil {
					// The store's tables existed for a moment: the self
					// guard may hold them for guardCheckEvery.
					time.Sleep(guardCheckEvery + 100*time.Millisecond)
				}
			}
		}
	}
	t.Logf("%d of %d pre-seeded objects used by a store", used, n)
	for _, s := range preseedStores {
		if err := s.migrate(ctx, pool); err != nil {
			t.Errorf("%s in a clean database: %v", s.name, err)
		}
	}
}
