package pgsql

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// computedCatalog holds a table, a view passing its columns through, one
// computing on them, a SQL function, a PL/pgSQL function and a type of
// the database's with a cast function of its own.
type computedCatalog struct{}

func (computedCatalog) Relations(_ context.Context, schema, name string) ([]Relation, error) {
	for _, r := range []Relation{
		{OID: 1, Schema: "public", Name: "customers", Kind: 'r', Columns: []string{"id", "pin"}},
		{OID: 2, Schema: "public", Name: "v_plain", Kind: 'v', Columns: []string{"id", "x"}, ViewDef: "SELECT id, pin FROM customers"},
		{OID: 3, Schema: "public", Name: "v_calc", Kind: 'v', Columns: []string{"id", "x"}, ViewDef: "SELECT id, reverse(pin) FROM customers"},
	} {
		if r.Name == name && (schema == "" || schema == r.Schema) {
			return []Relation{r}, nil
		}
	}
	return nil, nil
}

func (computedCatalog) Functions(_ context.Context, schema, name string) ([]Function, error) {
	switch name {
	case "pins":
		return []Function{{OID: 10, Schema: "public", Lang: 14, Kind: 'f', Body: "SELECT pin FROM customers WHERE id = $1"}}, nil
	case "leak":
		return []Function{{OID: 11, Schema: "public", Lang: 13000, Kind: 'f'}}, nil
	case "reverse", "lower", "row_to_json":
		return []Function{{OID: 20, Schema: "pg_catalog", Lang: 12, Kind: 'f', Src: name}}, nil
	}
	return nil, nil
}

func (computedCatalog) UserOperator(context.Context, string) (bool, error) { return false, nil }
func (computedCatalog) UserCast(_ context.Context, name string) (bool, error) {
	return name == "lt", nil
}
func (computedCatalog) Refresh(context.Context) uint64 { return 1 }
func (computedCatalog) Generation() uint64             { return 1 }

// TestLineageComputed: a value passed through as it is — through
// sub-queries, CTEs, set operations and views, at any depth — is not
// Computed; anything else (an expression, a function's result, a whole
// row, a view's computed column) is, wherever it was computed. A cast
// that may run the database's own function is Unknown; a lineage that
// followed a view or SQL function of the database's says so.
func TestLineageComputed(t *testing.T) {
	items := []struct {
		expr              string
		computed, unknown bool
		defs              bool
	}{
		{"c.pin", false, false, false},
		{"x", false, false, true}, // from v_plain below
		{"lower(c.pin)", true, false, false},
		{"c.pin || ''", true, false, false},
		{"c", true, false, false},
		{"row_to_json(c)", true, false, false},
		{"pins(c.id)", true, false, true},
		{"leak(c.id)", true, true, false},
		{"c.id::lt", true, true, false},
		{"c.pin::text", true, false, false},
	}
	wraps := []string{
		"%s",
		"SELECT y FROM (%s) s",
		"WITH w AS (%s) SELECT y FROM w",
		"SELECT y FROM (SELECT y FROM (%s) a) b",
		"SELECT y FROM (%s) s UNION ALL SELECT pin FROM customers",
		"SELECT s.y FROM customers d, LATERAL (%s) s",
	}
	for _, it := range items {
		from := "customers c"
		if it.expr == "x" {
			from = "v_plain c"
		}
		for _, w := range wraps {
			q := fmt.Sprintf(w, fmt.Sprintf("SELECT %s AS y FROM %s", it.expr, from))
			res := resolveWith(t, computedCatalog{}, q)
			_, lins, ok := res.Columns()
			if !ok || len(lins) != 1 {
				t.Fatalf("%s: columns not known", q)
			}
			if l := lins[0]; l.Computed != it.computed || l.Unknown != it.unknown || res.Definitions() != it.defs {
				t.Errorf("%s: computed %v unknown %v definitions %v, want %v %v %v",
					q, l.Computed, l.Unknown, res.Definitions(), it.computed, it.unknown, it.defs)
			}
		}
	}
	for _, tc := range []struct {
		sql      string
		computed []bool
	}{
		{"SELECT * FROM v_plain", []bool{false, false}},
		{"SELECT * FROM v_calc", []bool{false, true}},
		{"SELECT x, id FROM v_calc", []bool{true, false}},
		{"SELECT v.x FROM v_calc v JOIN customers c USING (id)", []bool{true}},
	} {
		res := resolveWith(t, computedCatalog{}, tc.sql)
		_, lins, ok := res.Columns()
		if !ok || len(lins) != len(tc.computed) || !res.Definitions() {
			t.Fatalf("%s: %v %v definitions %v", tc.sql, lins, ok, res.Definitions())
		}
		for i, l := range lins {
			if l.Computed != tc.computed[i] || !strings.HasPrefix(strings.Join(l.Fields, ","), "customers.") {
				t.Errorf("%s: column %d: %+v, want computed %v", tc.sql, i, l, tc.computed[i])
			}
		}
	}
}

func resolveWith(t *testing.T, cat Catalog, sql string) *Resolved {
	t.Helper()
	c, err := ParserClassifier{}.Classify(sql)
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewResolver(cat).Resolve(context.Background(), &c.Statements[0], &Session{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
