package gate_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	log := &eventLog{}
	g, s := flowGate(t, "flow.yaml", gate.Config{Recorder: log, MeterProvider: mp})
	require.NoError(t, g.OpenSession(context.Background(), s))
	_, _ = g.Check(context.Background(), call(s, "read", 1))
	_, _ = g.Check(context.Background(), call(s, "drop", 1))
	require.NoError(t, g.RecordOutput(context.Background(), s, gate.Output{Findings: []gate.Finding{{Detector: "email", Count: 3}}}))
	log.fail.Store(true)
	_, _ = g.Check(context.Background(), call(s, "read", 2))

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, dp := range s.DataPoints {
					sums[m.Name] += dp.Value
				}
			}
		}
	}
	assert.Equal(t, int64(3), sums["airlock.decisions"])
	assert.Equal(t, int64(3), sums["airlock.mask.findings"])
	assert.Equal(t, int64(1), sums["airlock.record.failures"])
}

// Decisions take microseconds: the duration histogram must resolve them,
// not put every one in a first bucket that ends at milliseconds.
func TestDecisionHistogramResolvesMicroseconds(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	g, s := flowGate(t, "flow.yaml", gate.Config{Recorder: &eventLog{}, MeterProvider: mp})
	require.NoError(t, g.OpenSession(context.Background(), s))
	for i := 0; i < 20; i++ {
		_, _ = g.Check(context.Background(), call(s, "read", i))
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok || m.Name != "airlock.decision.duration" {
				continue
			}
			found = true
			for _, dp := range h.DataPoints {
				require.NotEmpty(t, dp.Bounds)
				assert.LessOrEqual(t, dp.Bounds[0], 1e-6, "the first boundary is a microsecond")
				assert.Equal(t, gate.DecisionBuckets, dp.Bounds)
				// Decisions are told apart below a millisecond: they fall
				// in buckets bounded at 10 ms or less (the default
				// boundaries put them all in one 0-5 ms bucket).
				var fine uint64
				for i, b := range dp.Bounds {
					if b <= 10e-3 {
						fine += dp.BucketCounts[i]
					}
				}
				assert.Equal(t, dp.Count, fine, "every decision falls in a sub-10ms bucket")
				assert.Greater(t, len(dp.Bounds), 8, "enough boundaries below a second to read p50 and p99")
			}
		}
	}
	assert.True(t, found, "decision duration histogram exported")
}
