package approval_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// BenchmarkPostgresReplicas measures full review cycles (submit, approve,
// redeem) per second against one shared database, driven through one
// replica or spread over three, so the ratio shows what replicas cost or
// gain.
func BenchmarkPostgresReplicas(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			rs := replicas(b, n)
			ctx := context.Background()
			var seq atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N/(4*n) + 1
			for w := 0; w < 4*n; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					a := rs[w%n]
					reviewerSide := rs[(w+1)%n]
					for i := 0; i < per; i++ {
						digest := fmt.Sprint("bench-", seq.Add(1))
						id, err := a.Submit(ctx, pgReview(digest, gate.ReviewPolicy{}))
						if err != nil {
							b.Error(err)
							return
						}
						if _, err := reviewerSide.Approve(ctx, id, pgAlice, "ok"); err != nil {
							b.Error(err)
							return
						}
						if v, err := a.Redeem(ctx, digest); err != nil || v.State != gate.ReviewApproved {
							b.Error("redeem", err, v.State)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*4*n)/b.Elapsed().Seconds(), "cycles/s")
		})
	}
}
