package pgsql

import (
	"context"
	"slices"
	"testing"
)

// TestLineageOfCopyOut: COPY table TO STDOUT has the lineage of SELECT
// cols FROM ONLY table, in every spelling: its columns by position, a
// column list in its order, a relation that holds other relations' values
// unknown.
func TestLineageOfCopyOut(t *testing.T) {
	var m Resolver
	m.cat = computedCatalog{}
	for _, c := range []struct {
		sql     string
		names   []string
		first   string // the first field of the first column
		unknown bool
	}{
		{"COPY customers TO STDOUT", []string{"id", "pin"}, "customers.id", false},
		{"COPY public.customers TO STDOUT", []string{"id", "pin"}, "customers.id", false},
		{`COPY "public"."customers" (pin, id) TO STDOUT`, []string{"pin", "id"}, "customers.pin", false},
		{"COPY customers (pin) TO STDOUT (FORMAT text)", []string{"pin"}, "customers.pin", false},
		{"COPY nowhere TO STDOUT", nil, "", true},
	} {
		cl, err := ParserClassifier{}.Classify(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		st := &cl.Statements[0]
		if !st.HasLineage() {
			t.Fatalf("%s: no lineage plan", c.sql)
		}
		res, err := m.Resolve(context.Background(), st, nil)
		if err != nil {
			t.Fatal(err)
		}
		names, lins, ok := res.Columns()
		if c.unknown {
			if ok && !res.Whole().Unknown {
				t.Errorf("%s: known lineage %v", c.sql, names)
			}
			continue
		}
		if !ok || !slices.Equal(names, c.names) || len(lins[0].Fields) == 0 || lins[0].Fields[0] != c.first {
			t.Errorf("%s: columns %v %v (positional %v)", c.sql, names, lins, ok)
		}
	}
}
