package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/pgrules"
	"github.com/airlock-sdk/airlock/gate/pgruns"
	"github.com/airlock-sdk/airlock/record/pgsink"
	"github.com/jackc/pgx/v5/pgxpool"
)

// selfAllowRules allow every statement: the guard must hold whatever the
// rules say.
const selfAllowRules = `
default: deny
rules:
  - name: allow-everything
    when: "true"
    action: allow
`

// selfRecordTable is the record/pgsink table of the self-guard tests, a
// name outside DefaultGuardedTables: Config.GuardedTables must add it.
const selfRecordTable = "ops_record"

// selfTable is one of the gateway's tables in the fixture, with a change
// that shows in its rows: a SET clause, a row to insert (columns and SQL
// values) and the same row as COPY text.
type selfTable struct {
	name, set, cols, vals, copyRow string
}

var selfTables = []selfTable{
	{"airlock_reviews", "state = 'approved'", "id, digest, state, request, created_at, expires_at",
		"'evil', 'd2', 'approved', '{}', now(), now()", "evil\td2\tapproved\t{}\t2020-01-01\t2030-01-01\n"},
	{"airlock_grants", "uses = 0", "id, review_id, subject, doc, max_uses, created_at, expires_at",
		"'evil', 'r1', 'agent-1', '{}', 1000, now(), now()", "evil\tr1\tagent-1\t{}\t1000\t2020-01-01\t2030-01-01\n"},
	{"airlock_rule_sets", "content = 'default: allow'", "name, version, content, published_by",
		"'default', 'v2', 'default: allow', 'agent'", "default\tv2\tdefault: allow\tagent\n"},
	{"airlock_runs", "run = 'evil'", "run, last", "'evil', now()", "evil\t2020-01-01\n"},
	{"airlock_run_identities", "run = 'evil'", "subject, run, last", "'agent-2', 'evil', now()", "agent-2\tevil\t2020-01-01\n"},
	{"airlock_run_labels", "source = 'evil'", "run, name, set_at, source, session_id, decision_id, request",
		"'run1', 'evil', now(), 's', 's', 'd', 'r'", "run1\tevil\t2020-01-01\ts\ts\td\tr\n"},
	{"airlock_run_counters", "n = 0", "scope, id, metric, bucket, n", "'s', 'evil', 'm', 1, 0", "s\tevil\tm\t1\t0\n"},
	{selfRecordTable, "kind = 'evil'", "session_id, seq, version, prev_hash, hash, kind, ts, event",
		"'evil', 1, 1, 'p', 'h', 'k', 1, '{}'", "evil\t1\t1\tp\th\tk\t1\t{}\n"},
}

// selfFixture is the gateway's own state, set up by the real stores'
// migrations (pgapproval, pgrules, pgruns, pgsink under Table
// selfRecordTable), seeded with a row each, and links an integrator may
// have made: an updatable view over the grants, an INSTEAD rule and a
// trigger on app tables that write them, a foreign key cascading from an
// app table into the run labels, an app table inheriting the runs, and
// functions that write them.
const selfFixture = `
INSERT INTO airlock_reviews (id, digest, state, request, created_at, expires_at)
	VALUES ('r1', 'd1', 'pending', '{}', now(), now() + interval '1 hour');
INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, uses, created_at, expires_at)
	VALUES ('g1', 'r1', 'agent-1', '{}', 1, 1, now(), now() + interval '1 hour');
INSERT INTO airlock_rule_sets (name, version, content, published_by, active) VALUES ('default', 'v1', 'default: deny', 'ops', true);
INSERT INTO airlock_runs VALUES ('run1', now());
INSERT INTO airlock_run_identities VALUES ('agent-1', 'run1', now());
INSERT INTO airlock_run_labels VALUES ('run1', 'l', now(), 's', 'sess', 'dec', 'req');
INSERT INTO airlock_run_counters VALUES ('s', 'id', 'm', 1, 5);
INSERT INTO ops_record (session_id, seq, version, prev_hash, hash, kind, ts, event) VALUES ('sess1', 1, 1, 'p', 'h', 'k', 1, '{}');
CREATE VIEW app_grants AS SELECT * FROM airlock_grants;
CREATE TABLE app_queue (q text);
CREATE RULE app_queue_r AS ON INSERT TO app_queue DO INSTEAD UPDATE airlock_reviews SET state = 'approved';
CREATE FUNCTION app_trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE airlock_grants SET uses = 0; RETURN NEW; END $$;
CREATE TABLE app_audit (id int);
CREATE TRIGGER app_audit_t AFTER INSERT ON app_audit FOR EACH ROW EXECUTE FUNCTION app_trig();
CREATE TABLE app_runs (run text PRIMARY KEY);
INSERT INTO app_runs VALUES ('run1');
ALTER TABLE airlock_run_labels ADD FOREIGN KEY (run) REFERENCES app_runs (run) ON DELETE CASCADE;
CREATE TABLE app_hist () INHERITS (airlock_runs);
INSERT INTO app_hist VALUES ('old', now());
CREATE FUNCTION app_reset() RETURNS void LANGUAGE sql AS $$ UPDATE airlock_grants SET uses = 0 $$;
CREATE FUNCTION app_exec(q text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE q; END $$;
CREATE PROCEDURE app_proc(q text) LANGUAGE plpgsql AS $$ BEGIN EXECUTE q; END $$;
CREATE FUNCTION app_double(x int) RETURNS int LANGUAGE sql AS $$ SELECT x * 2 $$;
CREATE SCHEMA elsewhere;
CREATE TABLE elsewhere.app_t (id int);
`

// startSelfGateway runs a gateway whose rules allow everything in front
// of a database holding the gateway's own tables (selfFixture), with
// selfRecordTable configured as guarded. It returns the gateway and the
// fingerprint query (see selfFingerprint).
func startSelfGateway(t *testing.T) (*testGateway, string) {
	t.Helper()
	tg := startGateway(t, withRules(selfAllowRules), func(_ *gate.Config, c *Config) {
		c.GuardedTables = []string{"public." + selfRecordTable}
	})
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL(tg.db))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, m := range []func() error{
		func() error { return pgapproval.Migrate(ctx, pool, pgapproval.Options{}) },
		func() error { return pgrules.Migrate(ctx, pool, pgrules.Options{}) },
		func() error { return pgruns.Migrate(ctx, pool, pgruns.Options{}) },
		func() error { return pgsink.Migrate(ctx, pool, pgsink.Options{Table: selfRecordTable}) },
	} {
		if err := m(); err != nil {
			t.Fatal(err)
		}
	}
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, selfFixture+";"+createVictimRole).ReadAll(); err != nil {
		t.Fatal(err)
	}
	return tg, selfFingerprint(t, tg)
}

// selfFingerprint returns a read-only query whose answer changes with any
// effect on the gateway's tables: their rows (children's included), name,
// schema, owner, privileges, columns, row security, rules, triggers,
// policies, foreign keys, inheritance, indexes, the views and rules that name
// them, the relations that shadow their names or take a guarded name
// not yet used, the locks the session holds on them, their schema's
// owner and privileges, and the settings the role connects with in the
// database.
func selfFingerprint(t *testing.T, tg *testGateway) string {
	t.Helper()
	var names, oids, all []string
	for _, st := range selfTables {
		names = append(names, "'"+st.name+"'")
	}
	for _, n := range append([]string{selfRecordTable}, DefaultGuardedTables...) {
		all = append(all, "'"+n+"'")
	}
	res, err := tg.upstream(t).Exec(context.Background(), `SELECT string_agg(oid::text, ',') FROM pg_class
		WHERE relnamespace = 'public'::regnamespace AND relname IN (`+strings.Join(names, ", ")+`)`).ReadAll()
	if err != nil || len(res) != 1 || len(res[0].Rows) != 1 {
		t.Fatalf("fixture oids: %v", err)
	}
	oids = strings.Split(string(res[0].Rows[0][0]), ",")
	if len(oids) != len(selfTables) {
		t.Fatalf("fixture has %d of the %d tables", len(oids), len(selfTables))
	}
	in := strings.Join(oids, ", ")
	parts := []string{}
	for _, st := range selfTables {
		parts = append(parts, fmt.Sprintf("(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM public.%s x)", st.name))
	}
	parts = append(parts,
		`(SELECT string_agg(c.relname || ':' || n.nspname || ':' || c.relowner || ':' || coalesce(c.relacl::text, '') || ':' ||
			c.relrowsecurity || ':' || c.relhastriggers || ':' || c.relhasrules || ':' || c.relnatts || ':' || c.relkind::text, ',' ORDER BY c.oid)
			FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid IN (`+in+`))`,
		`(SELECT string_agg(c.relname, ',' ORDER BY c.oid) FROM pg_catalog.pg_index i
			JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid WHERE i.indrelid IN (`+in+`))`,
		`(SELECT count(*) FROM pg_catalog.pg_class WHERE relname IN (`+strings.Join(all, ", ")+`))::text`,
		`(SELECT count(*) FROM pg_catalog.pg_inherits WHERE inhparent IN (`+in+`) OR inhrelid IN (`+in+`))::text`,
		`(SELECT count(*) FROM pg_catalog.pg_constraint WHERE conrelid IN (`+in+`) OR confrelid IN (`+in+`))::text`,
		`(SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgrelid IN (`+in+`))::text`,
		`(SELECT count(*) FROM pg_catalog.pg_rewrite WHERE ev_class IN (`+in+`))::text`,
		`(SELECT count(*) FROM pg_catalog.pg_policy WHERE polrelid IN (`+in+`))::text`,
		`(SELECT count(*) FROM pg_catalog.pg_depend WHERE refobjid IN (`+in+`) AND classid = 'pg_catalog.pg_rewrite'::regclass)::text`,
		`(SELECT count(*) FROM pg_catalog.pg_locks WHERE pid = pg_backend_pid() AND relation IN (`+in+`) AND mode <> 'AccessShareLock')::text`,
		`(SELECT string_agg(c.relforcerowsecurity::text, ',' ORDER BY c.oid) FROM pg_catalog.pg_class c WHERE c.oid IN (`+in+`))`,
		`(SELECT n.nspowner || ':' || coalesce(n.nspacl::text, '') FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public')`,
		`(SELECT coalesce(string_agg(s.setdatabase || ':' || s.setrole || ':' || array_to_string(s.setconfig, ';'), ',' ORDER BY s.setdatabase, s.setrole), '')
			FROM pg_catalog.pg_db_role_setting s
			WHERE s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database()))
			AND s.setrole IN (0, (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)))`,
	)
	return "SELECT concat_ws('/', " + strings.Join(parts, ", ") + ")"
}
