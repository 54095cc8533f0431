package postgres

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/jackc/pgx/v5"
)

// BenchmarkQuery measures one simple-protocol point query through the
// gateway (rules and masking on, recording to memory) and directly.
func BenchmarkQuery(b *testing.B) {
	tg := startGateway(b)
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, dbURL(tg.db))
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close(ctx)
	for _, target := range []string{"direct", "gateway"} {
		for _, mode := range []string{"simple", "extended"} {
			b.Run(target+"/"+mode, func(b *testing.B) {
				c := direct
				if target == "gateway" {
					c = tg.connect(b, "agent", modes[mode])
				}
				qm := pgx.QueryExecModeSimpleProtocol
				if mode == "extended" {
					qm = pgx.QueryExecModeCacheStatement
				}
				var name string
				for i := 0; b.Loop(); i++ {
					if err := c.QueryRow(ctx, "SELECT name FROM customers WHERE id = $1", qm, 1+i%2).Scan(&name); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkClassify measures classification of a repeated statement shape,
// fresh and cached.
func BenchmarkClassify(b *testing.B) {
	q := "SELECT abalance FROM pgbench_accounts WHERE aid = 12345"
	b.Run("parser", func(b *testing.B) {
		for b.Loop() {
			if _, err := (pgsql.ParserClassifier{}).Classify(q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := pgsql.NewClassifier(0)
		for b.Loop() {
			if _, err := c.Classify(q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
