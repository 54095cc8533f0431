package postgres

import (
	"testing"
)

// TestClientWatchArmIsFree: arming and disarming the client watch, done
// for every statement, allocates nothing (no timer, no closure, no
// goroutine); only a check that runs for watchDelay is watched.
func TestClientWatchArmIsFree(t *testing.T) {
	var w clientWatch
	cancel := func() {}
	allocs := testing.AllocsPerRun(1000, func() {
		w.arm(cancel)
		w.disarm()
	})
	if allocs != 0 {
		t.Fatalf("arm+disarm allocates %v times per check, want 0", allocs)
	}
	w.arm(cancel)
	now := monoNow()
	if w.overdue(now) {
		t.Fatal("a check that just started is overdue")
	}
	if !w.overdue(now + int64(watchDelay)) {
		t.Fatal("a check running for watchDelay is not overdue")
	}
	w.disarm()
	if w.overdue(now + int64(watchDelay)) {
		t.Fatal("a disarmed watch is overdue")
	}
}
