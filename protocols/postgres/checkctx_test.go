package postgres

import (
	"context"
	"math/rand/v2"
	"testing"
)

// TestCheckContextGenerated drives checkContext through generated
// sequences of checks (a cancel request during the check or not, its
// context kept or not) against what a context per check gave: every check
// starts with a live context, a cancel reaches the check it was meant for,
// and a context given up is cancelled at once. It also counts the
// contexts made: one is reused only after a check that kept it uncancelled.
func TestCheckContextGenerated(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(19, 19))
	parent, stop := context.WithCancel(context.Background())
	defer stop()
	for round := range 200 {
		var k checkContext
		var prev context.Context
		prevLive := false
		for step := range 50 {
			ctx, cancel := k.context(parent)
			if ctx.Err() != nil {
				t.Fatalf("round %d step %d: the check starts with a cancelled context", round, step)
			}
			if reused := ctx == prev; reused != prevLive {
				t.Fatalf("round %d step %d: context reused %v, want %v", round, step, reused, prevLive)
			}
			canceled := rng.IntN(4) == 0
			if canceled {
				cancel() // a cancel request while the check runs
				if ctx.Err() == nil {
					t.Fatalf("round %d step %d: cancel did not reach the check", round, step)
				}
			}
			keep := rng.IntN(3) > 0
			k.done(keep)
			if !keep && ctx.Err() == nil {
				t.Fatalf("round %d step %d: a context given up is still live", round, step)
			}
			prev, prevLive = ctx, keep && !canceled
		}
	}
	// The session ending cancels the kept context.
	var k checkContext
	ctx, _ := k.context(parent)
	k.done(true)
	stop()
	if ctx.Err() == nil {
		t.Fatal("the session's end did not reach the kept context")
	}
}

// TestCheckContextAllocs: a kept context costs nothing per check.
func TestCheckContextAllocs(t *testing.T) {
	var k checkContext
	parent := context.Background()
	if n := testing.AllocsPerRun(100, func() {
		_, _ = k.context(parent)
		k.done(true)
	}); n != 0 {
		t.Fatalf("%v allocations per check, want 0", n)
	}
}
