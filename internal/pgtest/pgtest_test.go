package pgtest_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestDatabaseIsFreshAndDropped(t *testing.T) {
	var url string
	t.Run("create", func(t *testing.T) {
		url = pgtest.Database(t, "airlock_pgtest")
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		var n int
		if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("want an empty database, got %d tables (%v)", n, err)
		}
	})
	if _, err := pgx.Connect(context.Background(), url); err == nil {
		t.Fatal("the database must be dropped when its test ends")
	}
}

func TestStoreMigratesThenOpens(t *testing.T) {
	pool := pgtest.Pool(t, "airlock_pgtest")
	migrate := func(ctx context.Context, p *pgxpool.Pool, table string) error {
		_, err := p.Exec(ctx, "CREATE TABLE "+table+" (n int)")
		return err
	}
	open := func(p *pgxpool.Pool, table string) (int, error) {
		var n int
		err := p.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
		return n, err
	}
	if n := pgtest.Store(t, pool, "t", migrate, open); n != 0 {
		t.Fatalf("fresh table holds %d rows", n)
	}
}
