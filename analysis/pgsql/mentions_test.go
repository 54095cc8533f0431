package pgsql

import (
	"slices"
	"testing"
)

// TestMentionsOf: every spelling of a name reaches Names as the server
// reads it; constants do not; schema-wide and unnamed-object statements
// are flagged.
func TestMentionsOf(t *testing.T) {
	for _, c := range []struct {
		sql            string
		name, schema   string
		global, absent bool
	}{
		{sql: `UPDATE "airlock_reviews" SET state = 'x'`, name: "airlock_reviews"},
		{sql: `update AIRLOCK_REVIEWS set state = 'x'`, name: "airlock_reviews"},
		{sql: `DELETE FROM U&"airlock\005fgrants"`, name: "airlock_grants"},
		{sql: `DELETE FROM public.airlock_grants`, name: "airlock_grants"},
		{sql: `ALTER TABLE app RENAME TO airlock_runs`, name: "airlock_runs"},
		{sql: `COMMENT ON TABLE airlock_runs IS 'x'`, name: "airlock_runs"},
		{sql: `CREATE TABLE x (id int REFERENCES airlock_runs)`, name: "airlock_runs"},
		{sql: `CREATE TABLE x () INHERITS (airlock_runs)`, name: "airlock_runs"},
		{sql: `CREATE POLICY p ON airlock_runs USING (true)`, name: "airlock_runs"},
		{sql: `INSERT INTO notes VALUES ('airlock_runs')`, name: "airlock_runs", absent: true},
		{sql: `DROP SCHEMA ops CASCADE`, schema: "ops"},
		{sql: `ALTER SCHEMA ops RENAME TO ops2`, schema: "ops"},
		{sql: `REVOKE ALL ON ALL TABLES IN SCHEMA ops FROM gw`, schema: "ops"},
		{sql: `DROP OWNED BY gw`, global: true},
		{sql: `REASSIGN OWNED BY gw TO app`, global: true},
		{sql: `ALTER ROLE gw SET search_path = evil, pg_catalog`, global: true},
		{sql: `VACUUM FULL`, global: true},
		{sql: `VACUUM (FULL, ANALYZE)`, global: true},
		{sql: `VACUUM`},
		{sql: `VACUUM FULL scratch`, name: "scratch"},
		{sql: `CLUSTER`, global: true},
		{sql: `CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p`, global: true},
		{sql: `IMPORT FOREIGN SCHEMA r FROM SERVER s INTO public`, global: true},
		{sql: `ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b`, global: true},
	} {
		m, err := MentionsOf(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if c.name != "" && slices.Contains(m.Names, c.name) == c.absent {
			t.Errorf("%s: names %v, want %q absent=%v", c.sql, m.Names, c.name, c.absent)
		}
		if c.schema != "" && !slices.Contains(m.Schemas, c.schema) {
			t.Errorf("%s: schemas %v, want %q", c.sql, m.Schemas, c.schema)
		}
		if m.Global != c.global {
			t.Errorf("%s: global %v", c.sql, m.Global)
		}
	}
	if _, err := MentionsOf("SELEC 1"); err == nil {
		t.Error("unparsable text: no error")
	}
}
