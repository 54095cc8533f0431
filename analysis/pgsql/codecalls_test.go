package pgsql

import (
	"context"
	"testing"
)

// TestCallsCode: built-ins that store their arguments in state are
// StateWrites, in any spelling; volatile code of the database's own not
// in SQL, code behind a view that may write, and calls the catalog does
// not know are UserCode; built-ins that only compute, STABLE functions
// and SQL functions are neither. DO, CALL and the definition of code are
// HiddenCode.
func TestCallsCode(t *testing.T) {
	cat := procTable{
		"lower":             {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", OneArg: true, Fn: "lower"}},
		"random":            {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'v', Lang: "internal", Fn: "random"}},
		"set_config":        {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'v', Lang: "internal", Fn: "set_config"}},
		"pg_advisory_lock":  {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'v', Lang: "internal", OneArg: true, Fn: "pg_advisory_lock"}},
		"currval":           {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'v', Lang: "internal", OneArg: true, Fn: "currval"}},
		"nextval":           {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'v', Lang: "internal", OneArg: true, Fn: "nextval"}},
		"run_sql":           {{Schema: "public", FnSchema: "public", Volatile: 'v', Lang: "plpgsql", Fn: "run_sql"}},
		"reader":            {{Schema: "public", FnSchema: "public", Volatile: 's', Lang: "plpgsql", Fn: "reader"}},
		"name_of":           {{Schema: "public", FnSchema: "public", Volatile: 'v', Lang: "sql", Fn: "name_of"}},
		"rel:vw":            {{Schema: "public", Volatile: 'v', Lang: "sql", Fn: "SELECT run_sql(name) FROM t"}},
		"op:=":              {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "int4eq"}},
		"cast:int8":         {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "int8in"}},
		"cast:int4":         {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "int4in"}},
		"cast:*":            nil,
		"pg_catalog.lower":  nil,
		"public.run_sql":    nil,
		"pg_catalog.setval": nil,
		"public.set_config": nil,
	}
	for _, c := range []struct {
		sql               string
		user, state, hide bool
	}{
		{"SELECT lower(name) FROM t", false, false, false},
		{"SELECT random()", false, false, false},
		{"SELECT currval('s')", false, false, false},
		{"SELECT nextval('s')", false, false, false},
		{"SELECT set_config('work_mem', name, false) FROM t", false, true, false},
		{"SELECT pg_catalog.set_config('x.y', '1', false)", false, true, false},
		{"SELECT public.set_config('x.y', '1', false)", true, false, false},
		{"SELECT (id::int8).pg_advisory_lock FROM t", false, true, false},
		{"SELECT run_sql(name) FROM t", true, false, false},
		{"SELECT reader(1)", false, false, false},
		{"SELECT name_of(1)", false, false, false},
		{"SELECT * FROM vw", true, false, false},
		{"SELECT nowhere(1)", true, false, false},
		{"DO $$ BEGIN NULL; END $$", false, false, true},
		{"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", false, false, true},
		{"CREATE TRIGGER t AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", false, false, true},
		{"CREATE TABLE x (a int)", false, false, false},
		{"SELECT query_to_xml('SELECT 1', true, false, '')", true, false, false},
	} {
		cl, err := ParserClassifier{}.Classify(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		st := &cl.Statements[0]
		got := CallsCode(context.Background(), cat, st)
		if got.UserCode != c.user || got.StateWrites != c.state || HiddenCode(st) != c.hide {
			t.Errorf("%s: %+v hidden %v, want user %v state %v hidden %v", c.sql, got, HiddenCode(st), c.user, c.state, c.hide)
		}
	}
}
