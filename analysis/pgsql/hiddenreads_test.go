package pgsql

import (
	"strings"
	"testing"
)

// TestHiddenReadersAreOpaque: a call of a built-in that reads data the
// statement does not name as a relation makes it opaque, in every
// spelling and position; its neighbours that read nothing so do not.
func TestHiddenReadersAreOpaque(t *testing.T) {
	cls := NewClassifier(0)
	names := []string{"pg_logical_slot_get_changes", "pg_logical_slot_peek_binary_changes", "pg_read_file",
		"pg_read_binary_file", "pg_ls_dir", "pg_ls_waldir", "pg_stat_file", "crosstab2", "pg_get_wal_records_info"}
	for name := range hiddenReaders {
		names = append(names, name)
	}
	for _, name := range names {
		for _, n := range []string{name, "pg_catalog." + name, `"` + name + `"`, strings.ToUpper(name), "public." + name} {
			for _, tmpl := range []string{"SELECT %s('x')", "INSERT INTO scratch VALUES (1, %s('x'))",
				"UPDATE scratch SET v = (SELECT %s('x')) WHERE id = 1", "SELECT * FROM %s('x')",
				"WITH s AS (SELECT %s('x')) SELECT * FROM s", "PREPARE p AS SELECT %s('x')",
				"SELECT ('x'::text).%s", "SELECT t.%s FROM lower('x') t", "INSERT INTO scratch SELECT 1, ('x'::text).%s"} {
				if strings.Contains(tmpl, ").%s") || strings.Contains(tmpl, "t.%s") {
					if strings.Contains(n, ".") {
						continue // attribute notation names no schema
					}
				}
				sql := strings.Replace(tmpl, "%s", n, 1)
				c, err := cls.Classify(sql)
				if err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
				if !c.Statements[0].Opaque {
					t.Errorf("%s: not opaque", sql)
				}
			}
		}
	}
	for _, sql := range []string{"SELECT xmlelement(name a, 'x')", "SELECT to_tsvector('x')", "SELECT xpath('/a', '<a/>')",
		"SELECT current_setting('TimeZone')", "SELECT lo_open(1, 262144)", "SELECT pg_stat_get_backend_pid(1)",
		"SELECT * FROM pg_stat_activity", "INSERT INTO t VALUES (nextval('s'))"} {
		c, err := cls.Classify(sql)
		if err != nil {
			t.Fatal(err)
		}
		if c.Statements[0].Opaque {
			t.Errorf("%s: opaque", sql)
		}
	}
}

// TestAttributeNotationCallsJudged: (x).f and t.f call f: a function that
// reaches past the database or is denied is judged so in attribute
// notation too, with and without the catalog.
func TestAttributeNotationCallsJudged(t *testing.T) {
	cls := NewClassifier(0)
	for _, sql := range []string{"SELECT ('/etc/x'::text).lo_import", "SELECT t.lo_import FROM lower('/etc/x') t",
		`SELECT ('/etc/x'::text)."pg_read_file"`, "SELECT ('host=x'::text).DBLINK_CONNECT"} {
		c, err := cls.Classify(sql)
		if err != nil {
			t.Fatal(err)
		}
		if st := c.Statements[0]; st.ServerReach == "" || st.ReadOnly {
			t.Errorf("%s: reach %q, read-only %v", sql, st.ServerReach, st.ReadOnly)
		}
	}
	for _, sql := range []string{"SELECT (4242::oid).lo_unlink", "SELECT t.set_config FROM lower('x') t"} {
		c, err := cls.Classify(sql)
		if err != nil {
			t.Fatal(err)
		}
		if c.Statements[0].ReadOnly {
			t.Errorf("%s: read-only", sql)
		}
	}
	c, err := cls.Classify("SELECT t.name, (t).id FROM users t")
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Statements[0]; !st.ReadOnly || st.Opaque || st.ServerReach != "" {
		t.Errorf("plain columns: %+v", st)
	}
}
