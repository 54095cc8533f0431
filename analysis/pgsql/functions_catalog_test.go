package pgsql

import (
	"context"
	"testing"
)

// procTable is a ProcCatalog held in memory.
type procTable map[string][]Proc

func (p procTable) Procs(_ context.Context, schema, name string, _ bool) ([]Proc, bool) {
	if p == nil {
		return nil, false
	}
	return MatchingProcs(p[name], schema), true
}

func (p procTable) Generation() uint64 { return 1 }

// TestWithProcCatalog judges functions by a catalog given in memory: the
// analyser needs no database, and fails closed on what the catalog does
// not vouch for.
func TestWithProcCatalog(t *testing.T) {
	cat := procTable{
		"lower":     {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", OneArg: true, Fn: "lower"}},
		"random":    {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'v', Lang: "internal", Fn: "random"}},
		"audit":     {{Schema: "public", FnSchema: "public", Volatile: 's', Lang: "plpgsql", Fn: "audit"}},
		"op:=":      {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "int4eq"}},
		"rel:vw":    {{Schema: "public", Volatile: 'v', Lang: "sql", Fn: "SELECT audit(name) FROM t"}},
		"cast:int4": {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "int4in"}},
	}
	cases := []struct {
		sql                 string
		cat                 ProcCatalog
		ro, volatile, heavy bool
	}{
		{"SELECT lower(name) FROM t WHERE id = 1", cat, true, false, false},
		{"SELECT random()", cat, true, true, false},
		{"SELECT audit(name) FROM t", cat, false, true, false},
		{"SELECT name FROM vw", cat, false, true, false},
		{"SELECT unknown_fn(1)", cat, false, true, false},
		{"SELECT lower(name) FROM t", procTable(nil), false, true, false},
		{"SELECT '1'::int", cat, true, false, false},
	}
	for _, c := range cases {
		cl, err := WithProcCatalog(ParserClassifier{}, c.cat).Classify(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		st := cl.Statements[0]
		if st.ReadOnly != c.ro || st.Volatile != c.volatile || st.Heavy != c.heavy {
			t.Errorf("%s: read_only=%v volatile=%v heavy=%v, want %v %v %v", c.sql, st.ReadOnly, st.Volatile, st.Heavy, c.ro, c.volatile, c.heavy)
		}
	}
}
