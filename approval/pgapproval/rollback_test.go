package pgapproval_test

import (
	"context"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// An approval consumed once and set back to approved in the table (the
// row as it was: its seal and votes still verify) is not used again by
// the Approver that consumed it, whether the gate redeems it by digest
// or awaits it by id, and whatever the row's other states were on the
// way (consumed, expired by the table's clock, reported).
func TestRolledBackApprovalIsUsedOnce(t *testing.T) {
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	rollbacks := []string{
		`UPDATE airlock_reviews SET state = 'approved' WHERE id = $1`,
		`UPDATE airlock_reviews SET state = 'approved', created_at = now() WHERE id = $1`,
		`UPDATE airlock_reviews SET state = 'approved', decided_at = now() - interval '1 second' WHERE id = $1`,
	}
	for i, sql := range rollbacks {
		for _, via := range []string{"Redeem", "Await"} {
			r := gate.ReviewRequest{Digest: "rollback-" + via + gate.NewID(), Requester: approvertest.Requester, Protocol: "postgres",
				Command: "DELETE FROM accounts", ReviewRules: []string{"hold"}, Policy: gate.ReviewPolicy{TTL: time.Minute}}
			id, err := ap.Submit(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ap.Approve(ctx, id, approvertest.Human, "once"); err != nil {
				t.Fatal(err)
			}
			use := func() (gate.Verdict, error) {
				if via == "Redeem" {
					return ap.Redeem(ctx, r.Digest)
				}
				actx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				return ap.Await(actx, id)
			}
			v, err := use()
			if err != nil || v.State != gate.ReviewApproved {
				t.Fatalf("case %d via %s: the real approval was not used: %+v, %v", i, via, v, err)
			}
			for round := range 3 {
				if _, err := pool.Exec(ctx, sql, id); err != nil {
					t.Fatal(err)
				}
				if v, err := use(); err == nil && v.State == gate.ReviewApproved {
					t.Fatalf("case %d via %s, rollback %d: a consumed approval set back to approved was used again: %+v", i, via, round+1, v)
				}
			}
		}
	}
}
