// Package runstoretest checks that a gate.RunStore keeps the contract the
// gate relies on, the way testing/slogtest checks a slog.Handler. Run it
// from the tests of every RunStore:
//
//	func TestConformance(t *testing.T) {
//		runstoretest.Run(t, func(t testing.TB) gate.RunStore { return &gate.MemoryRuns{} })
//	}
//
// What it checks, each on a fresh store: an identity keeps its run while it
// is active and gets a new one after the idle time, other identities get
// their own; a label is added once (the first setting is kept), seen in
// State with where it came from, and gone only when cleared; counters add
// up per run and per identity (across its runs), over the last minute and
// the last hour, and not across runs or identities; concurrent counts are
// not lost.
package runstoretest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/conformance"
)

// NewFunc returns a fresh store for one check; it may use t for cleanup.
type NewFunc func(t testing.TB) gate.RunStore

// Run runs every check against stores made by newStore, each as a subtest
// when t is a *testing.T, else one after another with every failure
// prefixed by the check's name.
func Run(t testing.TB, newStore NewFunc) {
	t.Helper()
	conformance.Run(t, checks, func(t testing.TB) gate.RunStore { return newStore(t) })
}

var checks = []conformance.Check[gate.RunStore]{
	{Name: "resolve", Run: checkResolve},
	{Name: "labels", Run: checkLabels},
	{Name: "counters", Run: checkCounters},
	{Name: "concurrent-counts", Run: checkConcurrentCounts},
}

var base = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// unique returns a name no other check uses, so stores shared between
// checks (one database) do not mix them.
func unique(prefix string) string { return prefix + "-" + conformance.Nonce(6) }

func checkResolve(t testing.TB, s gate.RunStore) {
	ctx := context.Background()
	alice, bob := unique("alice"), unique("bob")
	first, err := s.Resolve(ctx, alice, base, 10*time.Minute)
	if err != nil || first == "" {
		t.Fatalf("Resolve: run %q, error %v", first, err)
	}
	again, err := s.Resolve(ctx, alice, base.Add(9*time.Minute), 10*time.Minute)
	if err != nil || again != first {
		t.Errorf("Resolve within the idle time: run %q, want %q (error %v)", again, first, err)
	}
	later, err := s.Resolve(ctx, alice, base.Add(18*time.Minute), 10*time.Minute)
	if err != nil || later != first {
		t.Errorf("Resolve 9 minutes after the last activity: run %q, want %q (error %v)", later, first, err)
	}
	fresh, err := s.Resolve(ctx, alice, base.Add(40*time.Minute), 10*time.Minute)
	if err != nil || fresh == first || fresh == "" {
		t.Errorf("Resolve after the idle time: run %q, want a new one (error %v)", fresh, err)
	}
	other, err := s.Resolve(ctx, bob, base.Add(40*time.Minute), 10*time.Minute)
	if err != nil || other == fresh {
		t.Errorf("another identity shares run %q (error %v)", other, err)
	}
}

func checkLabels(t testing.TB, s gate.RunStore) {
	ctx := context.Background()
	run, other := unique("run"), unique("run")
	l := gate.Label{Name: "pii", Time: base, Source: "rule:read-customers", SessionID: "s1", DecisionID: "d1", Request: "SELECT * FROM customers"}
	added, err := s.AddLabel(ctx, run, l)
	if err != nil || !added {
		t.Fatalf("AddLabel: added %v, error %v", added, err)
	}
	second := l
	second.Time, second.Source, second.DecisionID = base.Add(time.Minute), "detector:email", "d2"
	if added, err := s.AddLabel(ctx, run, second); err != nil || added {
		t.Errorf("AddLabel of a label the run has: added %v, error %v", added, err)
	}
	st, err := s.State(ctx, run, unique("subject"), base.Add(2*time.Minute))
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	got, ok := st.Labels["pii"]
	if !ok || !got.Time.Equal(l.Time) || got.Source != l.Source || got.SessionID != l.SessionID || got.DecisionID != l.DecisionID || got.Request != l.Request {
		t.Errorf("State label = %+v (present %v), want the first setting %+v", got, ok, l)
	}
	if st, err := s.State(ctx, other, unique("subject"), base); err != nil || len(st.Labels) != 0 {
		t.Errorf("another run has labels %v (error %v)", st.Labels, err)
	}
	if err := s.ClearLabel(ctx, run, "pii"); err != nil {
		t.Fatalf("ClearLabel: %v", err)
	}
	if st, err := s.State(ctx, run, unique("subject"), base.Add(3*time.Minute)); err != nil || len(st.Labels) != 0 {
		t.Errorf("labels after ClearLabel: %v (error %v)", st.Labels, err)
	}
}

func checkCounters(t testing.TB, s gate.RunStore) {
	ctx := context.Background()
	run1, run2, alice, bob := unique("run"), unique("run"), unique("alice"), unique("bob")
	now := base.Add(2 * time.Hour)
	count := func(run, subject string, m gate.Metric, n int64, at time.Time) {
		if err := s.Count(ctx, run, subject, m, n, at); err != nil {
			t.Fatalf("Count: %v", err)
		}
	}
	count(run1, alice, gate.MetricRequests, 1, now.Add(-90*time.Minute)) // outside both windows
	count(run1, alice, gate.MetricRequests, 2, now.Add(-30*time.Minute)) // the hour only
	count(run1, alice, gate.MetricRequests, 3, now.Add(-5*time.Second))  // both
	count(run1, alice, gate.MetricRows, 100, now)
	count(run2, alice, gate.MetricRequests, 4, now) // alice's other run
	count(run2, bob, gate.MetricRequests, 8, now)   // another identity in run2
	st, err := s.State(ctx, run1, alice, now)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	want := func(what string, got, want int64) {
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}
	want("run requests last minute", st.Run.LastMinute[gate.MetricRequests], 3)
	want("run requests last hour", st.Run.LastHour[gate.MetricRequests], 5)
	want("run rows last hour", st.Run.LastHour[gate.MetricRows], 100)
	want("run refusals last hour", st.Run.LastHour[gate.MetricRefusals], 0)
	want("identity requests last minute", st.Identity.LastMinute[gate.MetricRequests], 7)
	want("identity requests last hour", st.Identity.LastHour[gate.MetricRequests], 9)
	for _, m := range gate.Metrics {
		if _, ok := st.Run.LastHour[m]; !ok {
			t.Errorf("State has no %s counter for the run", m)
		}
	}
}

func checkConcurrentCounts(t testing.TB, s gate.RunStore) {
	ctx := context.Background()
	run, subject := unique("run"), unique("subject")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Count(ctx, run, subject, gate.MetricBytes, 5, base); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Count: %v", err)
	}
	st, err := s.State(ctx, run, subject, base)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	if got := st.Run.LastMinute[gate.MetricBytes]; got != 200 {
		t.Errorf("40 concurrent counts of 5: %d, want 200", got)
	}
}
