package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/jackc/pgx/v5"
)

// selfAttack is one try at the gateway's own state: statements run in
// order in one transaction, then rows COPYed in when copyInto is set.
type selfAttack struct {
	steps    []string
	args     []any // of the last step, pgx forms only
	copyInto string
	copyRow  string
}

func (a selfAttack) String() string {
	s := strings.Join(a.steps, "; ")
	if a.copyInto != "" {
		s += "COPY " + a.copyInto + " FROM STDIN"
	}
	return s
}

// spellings are the ways a statement can name table: plain, quoted,
// schema-qualified (quoted too), upper and mixed case, and as a
// Unicode-escaped identifier, qualified or not.
func spellings(table string) []string {
	return append(bareSpellings(table), "public."+table, `"public".`+`"`+table+`"`, "PUBLIC."+unicodeIdent(table))
}

// bareSpellings are the spellings without a schema.
func bareSpellings(table string) []string {
	mixed := []byte(table)
	for i := range mixed {
		if i%2 == 0 && mixed[i] >= 'a' && mixed[i] <= 'z' {
			mixed[i] -= 'a' - 'A'
		}
	}
	return []string{table, `"` + table + `"`, strings.ToUpper(table), string(mixed), unicodeIdent(table)}
}

// unicodeIdent spells table as U&"\0061irlock_..." (its first letter
// escaped).
func unicodeIdent(table string) string {
	return fmt.Sprintf(`U&"\%04x%s"`, table[0], table[1:])
}

// selfTemplates are the routes to one table, as statements whose verbs
// are %[1]s the table as spelled, %[2]s a SET clause, %[3]s and %[4]s
// the columns and values of a row, %[5]s a suffix unique to the attack.
var selfTemplates = [][]string{
	// Direct DML, nested and explained.
	{"UPDATE %[1]s SET %[2]s"},
	{"DELETE FROM %[1]s"},
	{"INSERT INTO %[1]s (%[3]s) VALUES (%[4]s)"},
	{"TRUNCATE %[1]s"},
	{"TRUNCATE TABLE ONLY %[1]s CASCADE"},
	{"MERGE INTO %[1]s t USING (SELECT 1) s ON true WHEN MATCHED THEN UPDATE SET %[2]s"},
	{"WITH w AS (UPDATE %[1]s SET %[2]s RETURNING 1) SELECT count(*) FROM w"},
	{"WITH w AS (DELETE FROM %[1]s RETURNING 1) SELECT count(*) FROM w"},
	{"EXPLAIN ANALYZE UPDATE %[1]s SET %[2]s"},
	{"EXPLAIN (ANALYZE, COSTS off) DELETE FROM %[1]s"},
	{"INSERT INTO %[1]s (%[3]s) VALUES (%[4]s) ON CONFLICT DO NOTHING"},
	{"PREPARE sg%[5]s AS UPDATE %[1]s SET %[2]s", "EXECUTE sg%[5]s"},
	// Locks.
	{"SELECT * FROM %[1]s FOR UPDATE"},
	{"LOCK TABLE %[1]s IN ACCESS EXCLUSIVE MODE"},
	{"LOCK %[1]s"},
	{"SELECT 1 FROM %[1]s FOR KEY SHARE"},
	{"DECLARE sg_c%[5]s CURSOR FOR SELECT * FROM %[1]s FOR NO KEY UPDATE", "FETCH ALL sg_c%[5]s"},
	// Code the gateway cannot see.
	{"DO $$ BEGIN UPDATE %[1]s SET %[2]s; END $$"},
	{"CREATE FUNCTION sg_f%[5]s() RETURNS void LANGUAGE sql AS $$ UPDATE %[1]s SET %[2]s $$", "SELECT sg_f%[5]s()"},
	{"CREATE PROCEDURE sg_p%[5]s() LANGUAGE sql AS $$ DELETE FROM %[1]s $$", "CALL sg_p%[5]s()"},
	// Views, rules, inheritance, foreign keys.
	{"CREATE VIEW sg_v%[5]s AS SELECT * FROM %[1]s", "UPDATE sg_v%[5]s SET %[2]s"},
	{"CREATE TABLE sg_t%[5]s (LIKE %[1]s)", "CREATE RULE sg_r AS ON INSERT TO sg_t%[5]s DO INSTEAD DELETE FROM %[1]s",
		"INSERT INTO sg_t%[5]s (%[3]s) VALUES (%[4]s)"},
	{"CREATE TABLE sg_c%[5]s () INHERITS (%[1]s)", "INSERT INTO sg_c%[5]s (%[3]s) VALUES (%[4]s)"},
	{"CREATE TABLE sg_k%[5]s (k text REFERENCES %[1]s ON DELETE CASCADE)"},
	{"CREATE TABLE sg_l%[5]s (LIKE %[1]s)", "ALTER TABLE sg_l%[5]s INHERIT %[1]s"},
	// DDL on the table.
	{"ALTER TABLE %[1]s RENAME TO sg_renamed"},
	{"ALTER TABLE %[1]s ADD COLUMN sg int"},
	{"ALTER TABLE %[1]s SET SCHEMA elsewhere"},
	{"DROP TABLE %[1]s CASCADE"},
	{"GRANT ALL ON %[1]s TO PUBLIC"},
	{"REVOKE ALL ON %[1]s FROM PUBLIC"},
	{"ALTER TABLE %[1]s OWNER TO hw_victim"},
	{"CREATE TRIGGER sg_tr BEFORE UPDATE ON %[1]s FOR EACH ROW EXECUTE FUNCTION app_trig()"},
	{"CREATE RULE sg_r AS ON UPDATE TO %[1]s DO INSTEAD NOTHING"},
	{"ALTER TABLE %[1]s ENABLE ROW LEVEL SECURITY", "CREATE POLICY sg_pol ON %[1]s USING (false)"},
	{"CREATE INDEX sg_i ON %[1]s ((1))"},
	// Changes after the store migrated that its table check would have
	// refused at Migrate.
	{"ALTER TABLE %[1]s FORCE ROW LEVEL SECURITY"},
	{"ALTER TABLE %[1]s ADD CONSTRAINT sg_ck CHECK (false) NOT VALID"},
	{"CREATE CONSTRAINT TRIGGER sg_ct AFTER INSERT ON %[1]s FOR EACH ROW EXECUTE FUNCTION app_trig()"},
	{"CREATE TRIGGER sg_st AFTER INSERT ON %[1]s FOR EACH STATEMENT EXECUTE FUNCTION app_trig()"},
}

// selfShadowTemplates make a relation of the table's name that a
// search_path may find first; %[1]s is the name without schema.
var selfShadowTemplates = [][]string{
	{"CREATE TABLE elsewhere.%[1]s (id int)"},
	{"SET search_path = elsewhere, public", "CREATE TABLE %[1]s (id int)"},
	{"ALTER TABLE elsewhere.app_t RENAME TO %[1]s"},
	{"CREATE VIEW elsewhere.%[1]s AS SELECT 1 AS x"},
	{"CREATE TEMP TABLE %[1]s (id int)"},
}

// selfAttacks generates the attacks: every route to every table, the
// spelling rotating, every spelling of every route for the grants, the
// links the fixture made, and schema-wide statements.
func selfAttacks() []selfAttack {
	var out []selfAttack
	seen := map[string]bool{}
	add := func(a selfAttack) {
		if k := a.String(); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	route := func(tmpl []string, st selfTable, name string) {
		a := selfAttack{}
		for _, s := range tmpl {
			a.steps = append(a.steps, fmt.Sprintf(s, name, st.set, st.cols, st.vals, fmt.Sprint(len(out))))
		}
		add(a)
	}
	for ti, st := range selfTables {
		sp, bare := spellings(st.name), bareSpellings(st.name)
		for j, tmpl := range selfTemplates {
			route(tmpl, st, sp[(ti+j)%len(sp)])
		}
		for j, tmpl := range selfShadowTemplates {
			route(tmpl, st, bare[(ti+j)%len(bare)])
		}
		name := sp[ti%len(sp)]
		inner := strings.ReplaceAll(fmt.Sprintf("UPDATE %s SET %s", name, st.set), "'", "''")
		add(selfAttack{steps: []string{"SELECT app_exec('" + inner + "')"}})
		add(selfAttack{steps: []string{"CALL app_proc('" + inner + "')"}})
		add(selfAttack{copyInto: name, copyRow: st.copyRow})
		add(selfAttack{copyInto: name + " (" + st.cols + ")", copyRow: st.copyRow})
	}
	grants := selfTables[1]
	for _, name := range spellings(grants.name) {
		for _, tmpl := range selfTemplates {
			route(tmpl, grants, name)
		}
		add(selfAttack{steps: []string{"UPDATE " + name + " SET uses = $1 WHERE id = $2"}, args: []any{0, "g1"}})
	}
	for _, name := range bareSpellings(grants.name) {
		for _, tmpl := range selfShadowTemplates {
			route(tmpl, grants, name)
		}
	}
	for _, s := range []string{
		// Links an integrator made: an updatable view, an INSTEAD rule,
		// a trigger, a cascading foreign key, an inheritance child, and
		// functions whose bodies the gateway cannot see.
		"UPDATE app_grants SET uses = 0",
		"INSERT INTO app_queue VALUES ('x')",
		"INSERT INTO app_audit VALUES (1)",
		"DELETE FROM app_runs",
		"TRUNCATE app_runs CASCADE",
		"DELETE FROM app_hist",
		"SELECT app_reset()",
		"SELECT * FROM app_reset()",
		"INSERT INTO scratch SELECT 1, app_reset()::text",
		"CALL app_proc('UPDATE airlock_grants SET uses = 0')",
		"SELECT app_exec('DELETE FROM airlock_reviews')",
		"SELECT app_exec(convert_from('\\x44454c4554452046524f4d20616972' || '6c6f636b5f72657669657773', 'UTF8'))",
		"SELECT app_exec('DELETE FROM ' || 'airlock' || '_reviews')",
		"DO $$ BEGIN EXECUTE 'DELETE FROM ' || 'airlock' || '_reviews'; END $$",
		// Names of the gateway's stores not taken in this database.
		"CREATE TABLE airlock_anchor (origin text)",
		"CREATE TABLE elsewhere.airlock_record (id int)",
		"CREATE VIEW elsewhere.AIRLOCK_ANCHOR AS SELECT 1 AS x",
		// Their indexes, a constraint's too.
		"DROP INDEX airlock_reviews_pending",
		"ALTER INDEX airlock_reviews_pkey RENAME TO sg_pkey",
		"ALTER INDEX public.airlock_grants_subject RENAME TO sg_idx",
		"REINDEX INDEX airlock_grants_pkey",
		"REINDEX TABLE airlock_grants",
		// Schema-wide.
		"ALTER SCHEMA public RENAME TO sg_public",
		"DROP SCHEMA public CASCADE",
		"GRANT ALL ON ALL TABLES IN SCHEMA public TO hw_victim",
		"ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO hw_victim",
		// The schema the stores resolve through, and the settings their
		// role and database connect with.
		"REVOKE USAGE ON SCHEMA public FROM PUBLIC",
		`REVOKE ALL ON SCHEMA "public" FROM PUBLIC, pg_database_owner`,
		"GRANT CREATE ON SCHEMA public TO hw_victim",
		"GRANT USAGE ON SCHEMA PUBLIC TO hw_victim WITH GRANT OPTION",
		"ALTER SCHEMA public OWNER TO hw_victim",
		"ALTER ROLE CURRENT_USER SET search_path = elsewhere, public",
		"ALTER ROLE ALL SET default_transaction_read_only = on",
		"ALTER USER CURRENT_USER SET default_transaction_read_only = on",
	} {
		add(selfAttack{steps: []string{s}})
	}
	return out
}

// TestSelfGuardGenerated sends every generated attack through the
// gateway, whose rules allow everything, in each pgx form (simple,
// extended, exec) and through psql, each in a transaction rolled back
// after, and judges by effects: the fingerprint of the gateway's tables
// read in the same transaction.
func TestSelfGuardGenerated(t *testing.T) {
	t.Parallel()
	tg, fp := startSelfGateway(t)
	ctx := context.Background()
	attacks := selfAttacks()
	tg.eachMode(t, "admin", func(t *testing.T, mode string, c *pgx.Conn) {
		var base string
		if err := c.QueryRow(ctx, fp).Scan(&base); err != nil {
			t.Fatalf("fingerprint: %v", err)
		}
		var bypass []string
		for _, a := range attacks {
			if changed := runSelfAttack(ctx, t, c, a, fp, base); changed {
				bypass = append(bypass, a.String())
			}
		}
		reportSelfBypasses(t, mode, bypass, len(attacks))
	})
	t.Run("psql", func(t *testing.T) {
		psqlSelfAttacks(t, tg, fp, attacks)
	})
}

// runSelfAttack runs a in a transaction on c, reads the fingerprint and
// rolls back; it reports whether the fingerprint changed.
func runSelfAttack(ctx context.Context, t *testing.T, c *pgx.Conn, a selfAttack, fp, base string) bool {
	t.Helper()
	if _, err := c.Exec(ctx, "BEGIN"); err != nil {
		t.Fatalf("BEGIN: %v", err)
	}
	defer func() {
		if _, err := c.Exec(ctx, "ROLLBACK"); err != nil {
			t.Fatalf("ROLLBACK after %s: %v", a, err)
		}
	}()
	for i, s := range a.steps {
		var args []any
		if i == len(a.steps)-1 {
			args = a.args
		}
		if _, err := c.Exec(ctx, s, args...); err != nil {
			return false // refused or failed: the transaction is void
		}
	}
	if a.copyInto != "" {
		if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader(a.copyRow), "COPY "+a.copyInto+" FROM STDIN"); err != nil {
			return false
		}
	}
	var got string
	if err := c.QueryRow(ctx, fp).Scan(&got); err != nil {
		return true // readable before, not after: renamed, dropped, moved
	}
	return got != base
}

func reportSelfBypasses(t *testing.T, form string, bypass []string, total int) {
	t.Helper()
	t.Logf("%s: %d of %d attacks changed the gateway's tables", form, len(bypass), total)
	for i, b := range bypass {
		if i == 40 {
			t.Errorf("%s: ... and %d more", form, len(bypass)-i)
			break
		}
		t.Errorf("%s: bypass: %s", form, b)
	}
}

// psqlSelfAttacks runs the attacks as one psql script: each in a
// transaction, a refused or failed step skipping the rest (psql's
// ERROR), then the fingerprint, tagged with the attack's number.
func psqlSelfAttacks(t *testing.T, tg *testGateway, fp string, attacks []selfAttack) {
	psql := gatetest.NeedTool(t, "psql")
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT 'FP base ' || (%s);\n", fp)
	n := 0
	for i, a := range attacks {
		if a.args != nil || a.copyInto != "" {
			continue
		}
		n++
		b.WriteString("BEGIN;\n")
		for _, s := range a.steps {
			fmt.Fprintf(&b, "%s;\n\\if :ERROR\n\\echo R %d\n\\else\n", s, i)
		}
		fmt.Fprintf(&b, "SELECT 'FP %d ' || (%s);\n\\if :ERROR\n\\echo X %d\n\\endif\n", i, fp, i)
		b.WriteString(strings.Repeat("\\endif\n", len(a.steps)))
		b.WriteString("ROLLBACK;\n")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "attacks.sql"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runTool(t, tg.clientEnv("admin"), dir, psql, "-X", "-q", "-A", "-t", "-f", "attacks.sql")
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	base := ""
	seen := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(line, " ", 3)
		switch {
		case len(f) == 3 && f[0] == "FP" && f[1] == "base":
			base = f[2]
		case len(f) == 3 && f[0] == "FP":
			seen[f[1]] = f[2]
		case len(f) == 2 && f[0] == "X":
			seen[f[1]] = "unreadable"
		}
	}
	if base == "" {
		t.Fatalf("psql: no baseline fingerprint:\n%.2000s", out)
	}
	var bypass []string
	for i, a := range attacks {
		if got, ok := seen[fmt.Sprint(i)]; ok && got != base {
			bypass = append(bypass, a.String())
		}
	}
	reportSelfBypasses(t, "psql", bypass, n)
}
