package runstoretest_test

import (
	"context"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/runstoretest"
	"github.com/airlock-sdk/airlock/internal/tbrecorder"
)

func TestMemoryRunsPasses(t *testing.T) {
	runstoretest.Run(t, func(testing.TB) gate.RunStore { return &gate.MemoryRuns{} })
	failures := tbrecorder.Run(t, func(tb testing.TB) {
		runstoretest.Run(tb, func(testing.TB) gate.RunStore { return &gate.MemoryRuns{} })
	})
	tbrecorder.WantNone(t, failures, "MemoryRuns")
}

// Broken stores, each failing one promise.
type (
	forgetsLabels struct{ gate.MemoryRuns }
	relabels      struct{ gate.MemoryRuns }
	dropsCounts   struct{ gate.MemoryRuns }
	newRunAlways  struct{ gate.MemoryRuns }
)

func (*forgetsLabels) AddLabel(context.Context, string, gate.Label) (bool, error) { return true, nil }

func (s *relabels) AddLabel(ctx context.Context, run string, l gate.Label) (bool, error) {
	_ = s.MemoryRuns.ClearLabel(ctx, run, l.Name)
	return s.MemoryRuns.AddLabel(ctx, run, l)
}

func (s *dropsCounts) Count(ctx context.Context, run, subject string, m gate.Metric, n int64, at time.Time) error {
	if m == gate.MetricBytes {
		return nil
	}
	return s.MemoryRuns.Count(ctx, run, subject, m, n, at)
}

func (*newRunAlways) Resolve(context.Context, string, time.Time, time.Duration) (string, error) {
	return gate.NewID(), nil
}

func TestKitFailsBrokenStores(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func() gate.RunStore
		want  string
	}{
		{"forgets labels", func() gate.RunStore { return &forgetsLabels{} }, "labels"},
		{"relabels", func() gate.RunStore { return &relabels{} }, "labels"},
		{"drops counts", func() gate.RunStore { return &dropsCounts{} }, "concurrent-counts"},
		{"new run always", func() gate.RunStore { return &newRunAlways{} }, "resolve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failures := tbrecorder.Run(t, func(tb testing.TB) {
				runstoretest.Run(tb, func(testing.TB) gate.RunStore { return tc.store() })
			})
			tbrecorder.WantCheckFailed(t, failures, tc.want)
		})
	}
}
