package pgapproval_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// testPool connects to a throwaway database.
func testPool(t testing.TB) *pgxpool.Pool { return pgtest.Pool(t, "airlock_pgapproval") }

// testKey seals the rows of the tests' approvers.
var testKey = []byte("pgapproval test seal key, 32 bytes or more")

func TestApproverConformance(t *testing.T) {
	t.Parallel()
	approvertest.Run(t, func(t testing.TB) approvertest.Harness {
		pool := testPool(t)
		opts := pgapproval.Options{SealKey: testKey, Poll: 50 * time.Millisecond}
		ap := pgtest.Store(t, pool, opts, pgapproval.Migrate, pgapproval.New)
		return approvertest.Harness{Approver: ap, Reviewer: ap}
	})
}

// Two replicas on one database are one approver: reviews filed through
// one are decided and used through the other.
func TestApproverConformanceAcrossReplicas(t *testing.T) {
	t.Parallel()
	approvertest.Run(t, func(t testing.TB) approvertest.Harness {
		pool := testPool(t)
		other, err := pgxpool.New(context.Background(), pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(other.Close)
		a := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey}, pgapproval.Migrate, pgapproval.New)
		b, _ := pgapproval.New(other, pgapproval.Options{SealKey: testKey})
		return approvertest.Harness{Approver: a, Reviewer: b}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	for range 3 {
		if err := pgapproval.Migrate(context.Background(), pool, pgapproval.Options{SealKey: testKey}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pgapproval.New(nil, pgapproval.Options{SealKey: testKey}); err == nil {
		t.Fatal("New without a pool")
	}
}

// More requests held at once than the pool has connections: the waiters
// share one listening connection, so the votes that release them still
// get through (with a connection per waiter, all would wait until their
// deadline).
func TestMoreHeldRequestsThanConnections(t *testing.T) {
	t.Parallel()
	url := pgtest.Database(t, "airlock_pgapproval")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pgapproval.Migrate(ctx, pool, pgapproval.Options{SealKey: testKey}); err != nil {
		t.Fatal(err)
	}
	ap, _ := pgapproval.New(pool, pgapproval.Options{SealKey: testKey, Poll: time.Minute})
	const held = 6
	var ids []string
	for i := range held {
		id, err := ap.Submit(ctx, gate.ReviewRequest{Digest: fmt.Sprint("held-", i), Requester: approvertest.Requester, Command: "DELETE FROM t"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	verdicts := make(chan gate.ReviewState, held)
	for _, id := range ids {
		go func() {
			v, err := ap.Await(ctx, id)
			if err != nil {
				t.Errorf("Await %s: %v", id, err)
			}
			verdicts <- v.State
		}()
	}
	time.Sleep(200 * time.Millisecond) // every waiter is waiting
	for _, id := range ids {
		if _, err := ap.Approve(ctx, id, approvertest.Human, "ok"); err != nil {
			t.Fatalf("a vote could not get through while %d requests are held: %v", held, err)
		}
	}
	for range held {
		if s := <-verdicts; s != gate.ReviewApproved {
			t.Fatalf("verdict %q", s)
		}
	}
}
