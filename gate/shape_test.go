package gate

import (
	"strings"
	"testing"
)

func TestSQLShape(t *testing.T) {
	same := [][2]string{
		{"INSERT INTO t VALUES (1, 'a')", "insert_other"},
		{"SELECT * FROM t WHERE id = 42", "SELECT  *\nFROM t -- note\nWHERE id = 7"},
		{"SELECT 1.5e3, 'x''y'", "SELECT 2, 'z'"},
		{"SELECT /* reason: a /* nested */ */ 1", "SELECT /* reason: b */ 2"},
		{"UPDATE t SET a = $1 WHERE b = 3", "UPDATE t SET a = $1 WHERE b = 4"},
	}
	same[0][1] = "INSERT INTO t VALUES (2, 'it''s')"
	for _, c := range same {
		if a, b := sqlShape(c[0]), sqlShape(c[1]); a != b || strings.HasPrefix(a, "raw:") {
			t.Errorf("%q and %q: shapes %q and %q differ", c[0], c[1], a, b)
		}
	}
	differ := [][2]string{
		{"DELETE FROM t WHERE id = 1", "DELETE FROM t WHERE id = 1 OR 1 = 1"},
		{"SELECT a FROM t", "SELECT b FROM t"},
		{`SELECT "a b" FROM t`, `SELECT "a c" FROM t`},
		{"SELECT 1abc", "SELECT 1abd"},
		{"SELECT $1", "SELECT $2"},
		{"SELECT a - -1", "SELECT a --1"},
		{"SELECT E'\\'' , 1", "SELECT E'\\'' , 2"},
		{"SELECT $$a$$", "SELECT $$b$$"},
		{"SELECT $q$ ' $q$, 1", "SELECT $q$ ' $q$, 2"},
		{"SELECT 'a' 'b'", "SELECT 'a'"},
	}
	for _, c := range differ {
		if a, b := sqlShape(c[0]), sqlShape(c[1]); a == b {
			t.Errorf("%q and %q share the shape %q", c[0], c[1], a)
		}
	}
}

func TestJSONShape(t *testing.T) {
	if a, b := jsonShape([]byte(`{"to":"x","n":[1,2]}`)), jsonShape([]byte(`{"to":"y","n":[3,4]}`)); a != b {
		t.Errorf("%s != %s", a, b)
	}
	for _, c := range [][2]string{
		{`{"to":"x"}`, `{"to":"x","to":"y"}`},
		{`{"a":{"b":1}}`, `{"a":{"c":1}}`},
		{`[1,2]`, `[1,2,3]`},
		{`{"a":"b"}`, `{"a":{"b":1}}`},
		{`not json 1`, `not json 2`},
	} {
		if jsonShape([]byte(c[0])) == jsonShape([]byte(c[1])) {
			t.Errorf("%s and %s share a shape", c[0], c[1])
		}
	}
}

func TestSQLReason(t *testing.T) {
	for sql, want := range map[string]string{
		"/* reason: ticket 42 */ DELETE FROM t":        "ticket 42",
		"DELETE FROM t /* REASON:  cleanup */":         "cleanup",
		"SELECT '/* reason: fake */'":                  "",
		`SELECT "/* reason: fake */"`:                  "",
		"SELECT E'\\' /* reason: fake */ '":            "",
		"SELECT $$ /* reason: fake */ $$":              "",
		"-- /* reason: fake */\nSELECT 1":              "",
		"/* other */ /* reason: second */ SELECT 1":    "second",
		"/* reason: unterminated SELECT 1":             "",
		"SELECT 1 /* not /* reason: nested */ here */": "",
	} {
		if got := sqlReason(sql); got != want {
			t.Errorf("sqlReason(%q) = %q, want %q", sql, got, want)
		}
	}
}

// FuzzShapes: the shape and reason lexers and the Bind decoder never panic
// on untrusted text, and a SQL shape never loses a statement's structure:
// appending a different identifier always changes it.
func FuzzShapes(f *testing.F) {
	for _, s := range []string{"SELECT 1", "INSERT INTO t VALUES ('a''b', 1.5e3)", "/* a /* b */ */ $1", `"x""y"`, "E'\\'", "$$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = sqlReason(s)
		_ = jsonShape([]byte(s))
		_, _ = bindParams([]byte(s))
		a, b := sqlShape(s+"\n; SELECT colA"), sqlShape(s+"\n; SELECT colB")
		if a == b {
			t.Fatalf("%q: different statements share the shape %q", s, a)
		}
	})
}
