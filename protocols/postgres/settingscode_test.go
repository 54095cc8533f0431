package postgres

import (
	"context"
	"fmt"
	"github.com/jackc/pgx/v5"
	"os"
	"strings"
	"testing"
)

// codeFixture: tables whose writes run code of the database's that calls
// set_config with the setting pending_setting names: a row and a
// statement trigger, a column default, a CHECK constraint, a domain's
// CHECK, a view's INSTEAD OF trigger, a rule, a partition's trigger, and
// a trigger on a table a foreign key's ON DELETE CASCADE writes.
const codeFixture = `
CREATE TABLE pending_setting (n text, v text);
CREATE FUNCTION apply_pending() RETURNS int LANGUAGE plpgsql AS $$
  BEGIN PERFORM set_config(n, v, false) FROM pending_setting; RETURN 1; END $$;
CREATE FUNCTION apply_pending_trig() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN PERFORM apply_pending(); IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$;
CREATE TABLE w_row (x int);
CREATE TRIGGER t BEFORE INSERT ON w_row FOR EACH ROW EXECUTE FUNCTION apply_pending_trig();
CREATE TABLE w_stmt (x int);
CREATE TRIGGER t AFTER INSERT ON w_stmt FOR EACH STATEMENT EXECUTE FUNCTION apply_pending_trig();
CREATE TABLE w_default (x int, y int DEFAULT apply_pending());
CREATE TABLE w_check (x int CHECK (apply_pending() = 1));
CREATE DOMAIN d_pending AS int CHECK (apply_pending() = 1);
CREATE TABLE w_domain (x d_pending);
CREATE TABLE w_base (x int);
CREATE VIEW w_view AS SELECT x FROM w_base;
CREATE FUNCTION view_ins() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN PERFORM apply_pending(); INSERT INTO w_base VALUES (NEW.x); RETURN NEW; END $$;
CREATE TRIGGER t INSTEAD OF INSERT ON w_view FOR EACH ROW EXECUTE FUNCTION view_ins();
CREATE TABLE w_rule (x int);
CREATE RULE r AS ON INSERT TO w_rule DO ALSO SELECT apply_pending();
CREATE TABLE w_parted (x int) PARTITION BY RANGE (x);
CREATE TABLE w_part1 PARTITION OF w_parted FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
CREATE TRIGGER t BEFORE INSERT ON w_part1 FOR EACH ROW EXECUTE FUNCTION apply_pending_trig();
CREATE TABLE w_parent (id int PRIMARY KEY);
CREATE TABLE w_child (pid int REFERENCES w_parent ON DELETE CASCADE);
CREATE TRIGGER t AFTER DELETE ON w_child FOR EACH ROW EXECUTE FUNCTION apply_pending_trig();
CREATE TABLE w_plain (x int);
`

// codeWrites are writes whose code changes a setting (codeFixture).
var codeWrites = []string{
	"INSERT INTO w_row VALUES (1)",
	"INSERT INTO w_stmt VALUES (1)",
	"INSERT INTO w_default (x) VALUES (1)",
	"INSERT INTO w_check VALUES (1)",
	"INSERT INTO w_domain VALUES (1)",
	"INSERT INTO w_view VALUES (1)",
	"INSERT INTO w_rule VALUES (1)",
	"INSERT INTO w_parted VALUES (1)",
	"DELETE FROM w_parent WHERE id = 1",
	"MERGE INTO w_row t USING (SELECT 1 AS x) s ON false WHEN NOT MATCHED THEN INSERT VALUES (s.x)",
	"INSERT INTO public.w_row SELECT 2",
}

// TestSettingsChangedByCodeInOneMessage: a write whose trigger (or
// default, constraint, domain, view trigger, rule, partition's trigger,
// cascade's trigger) calls set_config changes the settings for the
// statement after it in the same message (a simple Query, or one sync
// group), before the gateway could read them. Under a rule that allows
// an UPDATE only under the settings the session started with, such an
// UPDATE must be refused or change the rows it changes under those
// settings. Writes that run no code still share a message with later
// statements.
func TestSettingsChangedByCodeInOneMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conds := startingSettingsConds(t)
	tg := startGateway(t, withRules(`
default: deny
rules:
  - name: writes-and-updates-under-known-settings
    when: >
      sql.statements.all(s, s.kind in ["INSERT", "DELETE", "MERGE", "SELECT"] ||
        s.kind == "UPDATE" && `+strings.Join(conds, " && ")+`)
    action: allow
`))
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, meaningFixture+codeFixture).ReadAll(); err != nil {
		t.Fatal(err)
	}
	probe, leaks := 0, 0
	var leaked []string
	// Each setting and write in one query mode the seed picks (every mode:
	// AIRLOCK_STATE_FULL=1).
	r := testSeed(t)
	full := os.Getenv("AIRLOCK_STATE_FULL") != ""
	for modeName, mode := range modes {
		for _, m := range meaningCases {
			for _, w := range codeWrites {
				if !full && r.IntN(len(modes)) != 0 {
					continue
				}
				probe++
				if _, err := up.Exec(ctx, fmt.Sprintf(`TRUNCATE pending_setting; INSERT INTO pending_setting VALUES ('%s', '%s');
					INSERT INTO w_parent VALUES (1) ON CONFLICT DO NOTHING; INSERT INTO w_child VALUES (1)`, m.name, m.cfgValue)).ReadAll(); err != nil {
					t.Fatal(err)
				}
				stmt := fmt.Sprintf(m.stmt, probe)
				var opened []*pgx.Conn
				baseline, err := execCount(ctx, openConn(t, tg, &opened, mode), stmt)
				if err != nil {
					t.Fatalf("%s alone: %v", stmt, err)
				}
				c := openConn(t, tg, &opened, mode)
				n, err := oneMessage(ctx, c, w, stmt, modeName == "simple")
				closeAll(opened)
				if err == nil && n != baseline {
					leaks++
					leaked = append(leaked, fmt.Sprintf("%s/%s/%s: %d rows, %d under the starting settings", modeName, m.name, w, n, baseline))
				}
			}
		}
	}
	t.Logf("%d of %d probes ran under settings code changed in the same message", leaks, probe)
	if leaks > 0 {
		t.Errorf("%d of %d leaked:\n%s", leaks, probe, strings.Join(leaked, "\n"))
	}
	// Writes that run no code share a message with the next statement.
	c := tg.connect(t, "admin", simpleMode)
	if _, err := c.Exec(ctx, "INSERT INTO w_plain VALUES (1); INSERT INTO w_plain VALUES (2); SELECT count(*) FROM w_plain"); err != nil {
		t.Errorf("writes without code in one message: %v", err)
	}
	b := &pgx.Batch{}
	b.Queue("INSERT INTO w_plain VALUES (3)")
	b.Queue("INSERT INTO w_plain VALUES (4)")
	if err := tg.connect(t, "admin").SendBatch(ctx, b).Close(); err != nil {
		t.Errorf("writes without code in one batch: %v", err)
	}
}

// oneMessage sends w and stmt in one message (one Query when simple, one
// batch otherwise) and returns stmt's row count.
func oneMessage(ctx context.Context, c *pgx.Conn, w, stmt string, simple bool) (int64, error) {
	if simple {
		rr, err := c.PgConn().Exec(ctx, w+"; "+stmt).ReadAll()
		if err != nil {
			return 0, err
		}
		return rr[len(rr)-1].CommandTag.RowsAffected(), nil
	}
	b := &pgx.Batch{}
	b.Queue(w)
	b.Queue(stmt)
	br := c.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	return tag.RowsAffected(), err
}
