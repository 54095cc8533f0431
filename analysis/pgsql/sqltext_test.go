package pgsql

import (
	"strings"
	"testing"
)

// TestHiddenReadersAreOpaque: a call of a built-in that reads relations
// the statement does not name makes it opaque, in every spelling and
// position; its neighbours that read nothing by name do not.
func TestHiddenReadersAreOpaque(t *testing.T) {
	cls := NewClassifier(0)
	for name := range hiddenReaders {
		for _, n := range []string{name, "pg_catalog." + name, `"` + name + `"`, strings.ToUpper(name), "public." + name} {
			for _, tmpl := range []string{"SELECT %s('x')", "INSERT INTO scratch VALUES (1, %s('x'))",
				"UPDATE scratch SET v = (SELECT %s('x')) WHERE id = 1", "SELECT * FROM %s('x')",
				"WITH s AS (SELECT %s('x')) SELECT * FROM s", "PREPARE p AS SELECT %s('x')"} {
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
	for _, sql := range []string{"SELECT xmlelement(name a, 'x')", "SELECT to_tsvector('x')", "SELECT xpath('/a', '<a/>')"} {
		c, err := cls.Classify(sql)
		if err != nil {
			t.Fatal(err)
		}
		if c.Statements[0].Opaque {
			t.Errorf("%s: opaque", sql)
		}
	}
}
