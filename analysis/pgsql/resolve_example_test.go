package pgsql_test

import (
	"context"
	"fmt"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// memCatalog is a catalog held in memory: two tables, a view and the
// built-in lower(). A proxy implements pgsql.Catalog over the database's
// own catalog instead.
type memCatalog struct{}

func (memCatalog) Relations(_ context.Context, schema, name string) ([]pgsql.Relation, error) {
	rels := map[string]pgsql.Relation{
		"customers": {OID: 1, Schema: "public", Name: "customers", Kind: 'r', Columns: []string{"id", "name", "email"}},
		"orders":    {OID: 2, Schema: "public", Name: "orders", Kind: 'r', Columns: []string{"id", "customer_id", "total"}},
		"big_spenders": {OID: 3, Schema: "public", Name: "big_spenders", Kind: 'v', Columns: []string{"who"},
			ViewDef: "SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.total > 1000"},
	}
	r, ok := rels[name]
	if !ok || (schema != "" && schema != r.Schema) {
		return nil, nil
	}
	return []pgsql.Relation{r}, nil
}

func (memCatalog) Functions(_ context.Context, schema, name string) ([]pgsql.Function, error) {
	if name == "lower" && (schema == "" || schema == "pg_catalog") {
		return []pgsql.Function{{OID: 870, Schema: "pg_catalog", Lang: 12, Kind: 'f'}}, nil
	}
	return nil, nil
}

func (memCatalog) UserOperator(context.Context, string) (bool, error) { return false, nil }
func (memCatalog) UserCast(context.Context, string) (bool, error)     { return false, nil }
func (memCatalog) Refresh(context.Context) uint64                     { return 1 }
func (memCatalog) Generation() uint64                                 { return 1 }

func ExampleResolver() {
	c, err := pgsql.ParserClassifier{}.Classify(
		"SELECT lower(b.who) AS w, o.total FROM big_spenders b, orders o WHERE o.id = 7 ORDER BY b.who")
	if err != nil {
		panic(err)
	}
	res, err := pgsql.NewResolver(memCatalog{}).Resolve(context.Background(), &c.Statements[0], &pgsql.Session{})
	if err != nil {
		panic(err)
	}
	names, lineages, ok := res.Columns()
	for i := range names {
		fmt.Println(names[i], lineages[i].Fields, ok)
	}
	fmt.Println("filter:", res.Filter().Fields)
	fmt.Println("computed:", res.Computed().Fields)
	// Output:
	// w [customers.name] true
	// total [orders.total] true
	// filter: [orders.id customers.name]
	// computed: [customers.name]
}
