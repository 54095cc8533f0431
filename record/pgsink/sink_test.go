package pgsink_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/record"
	"github.com/airlock-sdk/airlock/record/pgsink"
	"github.com/airlock-sdk/airlock/record/sinktest"
)

// testPool connects to a throwaway database.
func testPool(t testing.TB) *pgxpool.Pool { return pgtest.Pool(t, "airlock_pgsink") }

func TestSinkConformance(t *testing.T) {
	for name, table := range map[string]string{"default table": "", "schema-qualified table": "public.records"} {
		t.Run(name, func(t *testing.T) {
			sinktest.Run(t, func(t testing.TB) sinktest.Harness {
				pool := testPool(t)
				opts := pgsink.Options{Table: table}
				sink := pgtest.Store(t, pool, opts, pgsink.Migrate, pgsink.New)
				// A second sink on the pool reads what the first stored,
				// before and after the first is closed.
				return sinktest.Harness{Sink: sink, Open: func() (record.Reader, error) { return pgsink.New(pool, opts) }}
			})
		})
	}
}

func TestMigrateIsIdempotentAndNewTouchesNothing(t *testing.T) {
	pool := testPool(t)
	ctx := context.Background()
	// New does not create the table: writing without Migrate fails.
	sink, err := pgsink.New(pool, pgsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sink.Sessions(ctx); err == nil || !strings.Contains(err.Error(), "airlock_record") {
		t.Fatalf("a table nobody migrated was read: %v", err)
	}
	for range 2 {
		if err := pgsink.Migrate(ctx, pool, pgsink.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := sink.Sessions(ctx); err != nil || len(got) != 0 {
		t.Fatalf("after Migrate: %v %v", got, err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sink.Sessions(ctx); err != pgsink.ErrClosed {
		t.Fatalf("Sessions after Close: %v", err)
	}
	if pool.Ping(ctx) != nil {
		t.Fatal("Close closed the caller's pool")
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := pgsink.New(nil, pgsink.Options{}); err == nil {
		t.Fatal("New without a pool")
	}
	pool := testPool(t)
	for _, table := range []string{"Records", "a;drop table x", "a.b.c", `"quoted"`} {
		if _, err := pgsink.New(pool, pgsink.Options{Table: table}); err == nil {
			t.Errorf("New took table %q", table)
		}
		if err := pgsink.Migrate(context.Background(), pool, pgsink.Options{Table: table}); err == nil {
			t.Errorf("Migrate took table %q", table)
		}
	}
}
