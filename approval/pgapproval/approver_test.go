package pgapproval_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// testPool connects to a throwaway database.
func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.Database(t, "airlock_pgapproval"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestApproverConformance(t *testing.T) {
	approvertest.Run(t, func(t testing.TB) approvertest.Harness {
		pool := testPool(t)
		opts := pgapproval.Options{Poll: 50 * time.Millisecond}
		if err := pgapproval.Migrate(context.Background(), pool, opts); err != nil {
			t.Fatal(err)
		}
		ap, err := pgapproval.New(pool, opts)
		if err != nil {
			t.Fatal(err)
		}
		return approvertest.Harness{Approver: ap, Reviewer: ap}
	})
}

// Two replicas on one database are one approver: reviews filed through
// one are decided and used through the other.
func TestApproverConformanceAcrossReplicas(t *testing.T) {
	approvertest.Run(t, func(t testing.TB) approvertest.Harness {
		pool := testPool(t)
		other, err := pgxpool.New(context.Background(), pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(other.Close)
		if err := pgapproval.Migrate(context.Background(), pool, pgapproval.Options{}); err != nil {
			t.Fatal(err)
		}
		a, _ := pgapproval.New(pool, pgapproval.Options{})
		b, _ := pgapproval.New(other, pgapproval.Options{})
		return approvertest.Harness{Approver: a, Reviewer: b}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	pool := testPool(t)
	for range 3 {
		if err := pgapproval.Migrate(context.Background(), pool, pgapproval.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pgapproval.New(nil, pgapproval.Options{}); err == nil {
		t.Fatal("New without a pool")
	}
}
