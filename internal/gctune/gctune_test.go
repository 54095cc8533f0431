package gctune

import (
	"runtime/debug"
	"testing"
)

// keepGC restores the collector's settings after a test that changes them.
func keepGC(t *testing.T) {
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestApplySetsPercentAndLimit(t *testing.T) {
	keepGC(t)
	got := apply(env(nil), 8<<30)
	if got.Percent != Percent || got.MemoryLimit != 6<<30 {
		t.Fatalf("apply = %+v, want GOGC %d and a 6 GiB limit", got, Percent)
	}
	if p := debug.SetGCPercent(100); p != Percent {
		t.Errorf("GC percent after apply = %d, want %d", p, Percent)
	}
	if l := debug.SetMemoryLimit(-1); l != 6<<30 {
		t.Errorf("memory limit after apply = %d, want %d", l, int64(6<<30))
	}
}

func TestApplyLeavesTheOperatorsSettings(t *testing.T) {
	for _, vars := range []map[string]string{{"GOGC": "100"}, {"GOGC": "off"}, {"GOMEMLIMIT": "1GiB"}} {
		keepGC(t)
		debug.SetGCPercent(123)
		if got := apply(env(vars), 8<<30); got != (Settings{}) {
			t.Errorf("with %v apply = %+v, want nothing set", vars, got)
		}
		if p := debug.SetGCPercent(100); p != 123 {
			t.Errorf("with %v the GC percent became %d", vars, p)
		}
	}
}

func TestApplyWithoutKnownMemorySetsNothing(t *testing.T) {
	keepGC(t)
	debug.SetGCPercent(123)
	if got := apply(env(nil), 0); got != (Settings{}) {
		t.Fatalf("apply = %+v, want nothing set", got)
	}
	if p := debug.SetGCPercent(100); p != 123 {
		t.Errorf("the GC percent became %d", p)
	}
}
