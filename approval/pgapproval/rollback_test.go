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
	t.Parallel()
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

// A grant's use count set back, or its revocation cleared, in the table
// gives nothing more through the Approver that took the uses or revoked
// it: ActiveGrants leaves it out and UseGrant refuses it.
func TestRolledBackGrantGivesNothingMore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	grant := func(uses int) gate.Grant {
		r := gate.ReviewRequest{Digest: "grant-" + gate.NewID(), Requester: gate.Identity{Subject: "agent-" + gate.NewID(), Kind: gate.KindAgent},
			Protocol: "postgres", Target: "prod", Command: "DELETE FROM accounts", Rules: []string{"hold"}, ReviewRules: []string{"hold"},
			ExactKey: "exact-" + gate.NewID(), ShapeKey: "shape", Policy: gate.ReviewPolicy{TTL: time.Minute, MaxGrant: time.Hour}, RuleSetVersion: "v1"}
		id, err := ap.Submit(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ap.ApproveGrant(ctx, id, approvertest.Human, "granted", gate.GrantSpec{Scope: gate.GrantExact, Uses: uses})
		if err != nil || v.Grant == nil {
			t.Fatalf("no grant: %+v, %v", v, err)
		}
		return *v.Grant
	}
	usable := func(g gate.Grant) bool {
		active, err := ap.ActiveGrants(ctx, g.Subject)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range active {
			if a.ID == g.ID {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name     string
		uses     int
		spend    func(g gate.Grant)
		rollback string
	}{
		{"uses set back", 2, func(g gate.Grant) {
			for range 2 {
				if ok, err := ap.UseGrant(ctx, g.ID); !ok || err != nil {
					t.Fatalf("a real use refused: %v", err)
				}
			}
		}, `UPDATE airlock_grants SET uses = 0 WHERE id = $1`},
		{"revocation cleared", 0, func(g gate.Grant) {
			if err := ap.RevokeGrant(ctx, g.ID, approvertest.Human); err != nil {
				t.Fatal(err)
			}
		}, `UPDATE airlock_grants SET revoked_at = NULL, revoked_by = NULL WHERE id = $1`},
	} {
		g := grant(tc.uses)
		if !usable(g) {
			t.Fatalf("%s: a real grant is not active", tc.name)
		}
		tc.spend(g)
		if usable(g) {
			t.Fatalf("%s: active once spent", tc.name)
		}
		if _, err := pool.Exec(ctx, tc.rollback, g.ID); err != nil {
			t.Fatal(err)
		}
		if usable(g) {
			t.Errorf("%s: the grant is active again after the table was set back", tc.name)
		}
		if ok, err := ap.UseGrant(ctx, g.ID); ok || err != nil {
			t.Errorf("%s: the grant was used again after the table was set back (%v)", tc.name, err)
		}
	}
}
