package record_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// BenchmarkPostgresReplicas measures events per second into one shared
// PostgreSQL record table from one recorder, or from three (as three gateway
// replicas would), each with its own sink and connection.
func BenchmarkPostgresReplicas(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			dsn := testDB(b)
			ctx := context.Background()
			var recs []*record.Recorder
			for i := 0; i < n; i++ {
				sink := openPG(b, dsn)
				recs = append(recs, record.New(sink, record.Options{SigningKey: testKey, AsyncOutput: true, BatchSize: 4096}))
			}
			data := []byte("id | name  | plan\n42 | alice | pro \n")
			now := time.Now()
			per := b.N/(8*n) + 1
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < 8*n; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rec := recs[w%n]
					id := fmt.Sprintf("replica-%d-session-%d", w%n, w)
					for i := 0; i < per; i++ {
						if err := rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: id, Time: now,
							Output: &gate.Output{Stream: "stdout", Data: data}}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			for _, r := range recs {
				if err := r.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(per*8*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
