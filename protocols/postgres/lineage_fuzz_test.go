package postgres

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// FuzzLineage builds and resolves the lineage plan of any statement the
// parser accepts, against a real catalog: untrusted SQL must never panic
// the gateway, and a statement that returns rows always gets a result.
func FuzzLineage(f *testing.F) {
	for _, s := range lineageBenchQueries {
		f.Add(s)
	}
	for _, s := range evasions {
		f.Add(s)
	}
	for _, s := range []string{
		"SELECT * FROM customers c, generate_series(1, 2) g, LATERAL (SELECT c.*) x",
		"WITH RECURSIVE a(x) AS (SELECT 1 UNION SELECT x FROM b), b(x) AS (SELECT x FROM a) SELECT * FROM a",
		"SELECT (SELECT (SELECT name)) FROM customers NATURAL JOIN orders",
		"INSERT INTO orders SELECT * FROM orders RETURNING *, (SELECT name FROM customers LIMIT 1)",
		"UPDATE orders o SET total = c.id FROM customers c WHERE c.id = o.customer_id RETURNING c.*",
		"DELETE FROM orders USING customers RETURNING customers",
		"SELECT xmin, ctid FROM customers ORDER BY 1, 2 DESC",
		"VALUES (1, 2), (3)",
		"SELECT * FROM ROWS FROM (generate_series(1, 2), unnest(ARRAY['a'])) WITH ORDINALITY t(a, b, c)",
		"SELECT * FROM XMLTABLE('/a' PASSING '<a/>' COLUMNS x text PATH '.')",
		"SELECT * FROM customer_names2 TABLESAMPLE SYSTEM (50)",
		"FETCH ALL FROM nowhere",
		"EXECUTE nothing(1, 2)",
	} {
		f.Add(s)
	}
	db := newDB(f)
	ctx := context.Background()
	url := dbURL(db)
	c, err := pgconn.Connect(ctx, url)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := c.Exec(ctx, lineageFixture).ReadAll(); err != nil {
		f.Fatal(err)
	}
	_ = c.Close(ctx)
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		f.Fatal(err)
	}
	cat := newCatalog(cfg)
	f.Cleanup(cat.close)
	lineage := pgsql.NewResolver(cat)
	f.Fuzz(func(t *testing.T, sql string) {
		if _, err := pg_query.Parse(sql); err != nil {
			return
		}
		cl, err := pgsql.ParserClassifier{}.Classify(sql)
		if err != nil {
			return
		}
		for i := range cl.Statements {
			st := &cl.Statements[i]
			if st.Nested {
				continue
			}
			if !st.HasLineage() {
				t.Fatalf("%q: no plan", sql)
			}
			res, err := lineage.Resolve(ctx, st, &pgsql.Session{})
			if err != nil {
				t.Fatalf("%q: %v", sql, err)
			}
			if names, lins, ok := res.Columns(); ok && len(names) != len(lins) {
				t.Fatalf("%q: %d names, %d lineages", sql, len(names), len(lins))
			}
		}
	})
}
