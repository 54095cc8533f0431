package pgapproval_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// A grant's row changed after ActiveGrants proved it (or before a direct
// UseGrant) is never used beyond the bounds its reviewers sealed: not by
// the Approver that listed it, not by another replica that never saw it.
// The control, the row untouched, gives exactly its uses. On the old code
// UseGrant took its bound from the max_uses column, and a grant of 2 uses
// set to 0 (no bound) or 100 was used 5 times out of 5.
func TestUseGrantHoldsToTheSealedBounds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	opts := pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}
	ap := pgtest.Store(t, pool, opts, pgapproval.Migrate, pgapproval.New)
	f := &forger{t: t, ctx: ctx, pool: pool, ap: ap, rnd: rand.New(rand.NewPCG(1, 4))}
	const uses = 2
	tampers := []string{
		"", // the control
		`max_uses = 0`,
		`max_uses = 100`,
		`max_uses = 100, doc = jsonb_set(doc, '{max_uses}', '100')`,
		`max_uses = 0, doc = doc - 'max_uses'`,
		`max_uses = 100, uses = 0`,
		`expires_at = now() + interval '1 day'`,
		`expires_at = now() + interval '1 day', doc = jsonb_set(doc, '{expires_at}', to_jsonb(now() + interval '1 day'))`,
	}
	for _, set := range tampers {
		for _, replica := range []string{"the same Approver", "another replica"} {
			for _, listed := range []bool{true, false} {
				id := f.submit(f.request(1))
				v, err := ap.ApproveGrant(ctx, id, approvertest.Human, "two uses", gate.GrantSpec{Scope: gate.GrantExact, Uses: uses})
				if err != nil || v.Grant == nil {
					t.Fatalf("no grant: %+v, %v", v, err)
				}
				g := *v.Grant
				user := ap
				if replica != "the same Approver" {
					if user, err = pgapproval.New(pool, opts); err != nil {
						t.Fatal(err)
					}
				}
				if listed {
					active, err := user.ActiveGrants(ctx, g.Subject)
					if err != nil || !slices.ContainsFunc(active, func(a gate.Grant) bool { return a.ID == g.ID }) {
						t.Fatalf("the real grant is not active: %+v, %v", active, err)
					}
				}
				if set != "" {
					f.exec(`UPDATE airlock_grants SET `+set+` WHERE id = $1`, g.ID)
				}
				n := 0
				for range 5 {
					ok, err := user.UseGrant(ctx, g.ID)
					if err != nil {
						t.Fatalf("%q: %v", set, err)
					}
					if ok {
						n++
					}
				}
				switch {
				case set == "" && n != uses:
					t.Errorf("the control (%s, listed %v): %d uses of %d", replica, listed, n, uses)
				case n > uses:
					t.Errorf("%q between ActiveGrants and UseGrant (%s, listed %v): %d uses of a grant of %d", set, replica, listed, n, uses)
				}
			}
		}
	}
}
