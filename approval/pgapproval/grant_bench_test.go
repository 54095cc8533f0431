package pgapproval_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// BenchmarkGrantPath is what the gate does for a request a grant allows:
// ActiveGrants of the subject (holding n grants), then UseGrant.
func BenchmarkGrantPath(b *testing.B) {
	for _, n := range []int{1, 5} {
		b.Run(fmt.Sprintf("grants=%d", n), func(b *testing.B) {
			ctx := context.Background()
			ap := pgtest.Store(b, testPool(b), pgapproval.Options{SealKey: testKey}, pgapproval.Migrate, pgapproval.New)
			subject := "agent-bench"
			for i := range n {
				r := gate.ReviewRequest{Digest: "bench-" + gate.NewID(), Requester: gate.Identity{Subject: subject, Kind: gate.KindAgent},
					Protocol: "postgres", Command: fmt.Sprint("DELETE FROM t WHERE id = ", i), ReviewRules: []string{"hold"}, ExactKey: gate.NewID(),
					Policy: gate.ReviewPolicy{TTL: time.Minute, MaxGrant: time.Hour}}
				id, err := ap.Submit(ctx, r)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ap.ApproveGrant(ctx, id, approvertest.Human, "bench", gate.GrantSpec{Scope: gate.GrantExact}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				gs, err := ap.ActiveGrants(ctx, subject)
				if err != nil || len(gs) != n {
					b.Fatal(gs, err)
				}
				if ok, err := ap.UseGrant(ctx, gs[n-1].ID); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
