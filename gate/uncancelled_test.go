package gate

import (
	"context"
	"testing"
	"time"
)

type ctxKey struct{}

// TestUncancelledOracle compares uncancelled with context.WithoutCancel,
// its oracle, over contexts that can and cannot be cancelled: the same
// values, deadline, Done and Err, live or cancelled.
func TestUncancelledOracle(t *testing.T) {
	canceled, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "c"))
	cancel()
	live, stop := context.WithCancel(context.Background())
	defer stop()
	past, cancelPast := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelPast()
	cases := map[string]context.Context{
		"background": context.Background(),
		"todo":       context.TODO(),
		"value":      context.WithValue(context.Background(), ctxKey{}, "v"),
		"canceled":   canceled,
		"live":       live,
		"deadline":   past,
		"without":    context.WithoutCancel(canceled),
	}
	for name, ctx := range cases {
		got, want := uncancelled(ctx), context.WithoutCancel(ctx)
		gd, gok := got.Deadline()
		wd, wok := want.Deadline()
		if gd != wd || gok != wok || (got.Done() == nil) != (want.Done() == nil) || got.Err() != want.Err() ||
			got.Value(ctxKey{}) != want.Value(ctxKey{}) {
			t.Errorf("%s: uncancelled differs from context.WithoutCancel", name)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = uncancelled(context.Background()) }); n != 0 {
		t.Errorf("%v allocations for a context that cannot be cancelled", n)
	}
}
