package postgres

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// lineageBenchQueries are the shapes lineage follows, from a point query
// to a nest of sub-queries, CTEs, LATERAL, views and functions.
var lineageBenchQueries = []string{
	"SELECT abalance FROM pgbench_accounts WHERE aid = $1",
	"SELECT x FROM (SELECT name || '' AS x FROM customers) s",
	"WITH t AS (SELECT lower(name) AS x FROM customers) SELECT x FROM t",
	"SELECT v FROM customers c, LATERAL (SELECT c.name || '!' AS v) l",
	"SELECT * FROM customer_names2 n JOIN orders o ON o.customer_id = n.id WHERE o.total > 3 ORDER BY n.id",
	"WITH RECURSIVE r(n, x) AS (SELECT 1, name FROM customers UNION ALL SELECT n + 1, x || '' FROM r WHERE n < 2) " +
		"SELECT o.id, (SELECT max(x) FROM r), shout(string_agg(c.name, ',')) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY o.id",
}

// BenchmarkLineage compares, per statement, the parse (pg_query) with the
// whole classification (which builds the literal-free lineage plan) and
// resolving the plan against a warm catalog cache (with a fresh Resolver,
// so the walk itself is measured; with a warm one, a repeated statement
// costs a map lookup).
func BenchmarkLineage(b *testing.B) {
	db := newDB(b)
	ctx := context.Background()
	url := dbURL(db)
	c, err := pgconn.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Exec(ctx, lineageFixture+"; CREATE TABLE pgbench_accounts (aid int, bid int, abalance int, filler text)").ReadAll(); err != nil {
		b.Fatal(err)
	}
	_ = c.Close(ctx)
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cat := newCatalog(cfg)
	defer cat.close()
	stmts := make([]*pgsql.Statement, len(lineageBenchQueries))
	memo := pgsql.NewResolver(cat)
	for i, q := range lineageBenchQueries {
		cl, err := pgsql.ParserClassifier{}.Classify(q)
		if err != nil {
			b.Fatal(err)
		}
		stmts[i] = &cl.Statements[0]
		if _, err := memo.Resolve(ctx, stmts[i], nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("parse", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := pg_query.Parse(lineageBenchQueries[i%len(lineageBenchQueries)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("classify", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := (pgsql.ParserClassifier{}).Classify(lineageBenchQueries[i%len(lineageBenchQueries)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("resolve", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := pgsql.NewResolver(cat).Resolve(ctx, stmts[i%len(stmts)], nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memoised", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := memo.Resolve(ctx, stmts[i%len(stmts)], nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
