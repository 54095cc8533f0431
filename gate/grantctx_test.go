package gate

import (
	"context"
	"testing"
	"time"
)

// withGrantLookup is how a check carried its grant lookup before
// grantContext: the oracle of TestGrantContextOracle.
func withGrantLookup(ctx context.Context, l *grantLookup) context.Context {
	return context.WithValue(ctx, grantLookupKey{}, l)
}

type otherKey struct{}

// TestGrantContextOracle compares grantContext with context.WithValue
// over parents live, cancelled and with deadlines and values: the same
// lookup found (also through WithoutCancel and a child WithCancel), the
// parent's values, Done, Err and deadline, and cancellation reaching a
// child context without a goroutine of its own.
func TestGrantContextOracle(t *testing.T) {
	canceled, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "v"))
	cancel()
	live, stop := context.WithCancel(context.Background())
	defer stop()
	dl, cancelDL := context.WithDeadline(live, time.Now().Add(time.Hour))
	defer cancelDL()
	for name, parent := range map[string]context.Context{"background": context.Background(), "canceled": canceled, "live": live, "deadline": dl} {
		got := newGrantContext(parent, nil, "agent-1")
		want := withGrantLookup(parent, &grantLookup{subject: "agent-1"})
		for _, pair := range [][2]context.Context{{got, want}, {context.WithoutCancel(got), context.WithoutCancel(want)}} {
			g, w := pair[0], pair[1]
			gl, wl := grantLookupFrom(g), grantLookupFrom(w)
			if gl == nil || wl == nil || gl.subject != wl.subject {
				t.Fatalf("%s: lookup %v, want %v", name, gl, wl)
			}
			gd, gok := g.Deadline()
			wd, wok := w.Deadline()
			if g.Value(otherKey{}) != w.Value(otherKey{}) || g.Err() != w.Err() || (g.Done() == nil) != (w.Done() == nil) || gd != wd || gok != wok {
				t.Fatalf("%s: the grant context differs from context.WithValue", name)
			}
		}
		if gl := grantLookupFrom(got); gl != &got.lookup {
			t.Fatalf("%s: the lookup is not the context's own", name)
		}
	}
	// A child of a live grant context is cancelled with its parent.
	p, stopP := context.WithCancel(context.Background())
	child, stopChild := context.WithCancel(newGrantContext(p, nil, "x"))
	defer stopChild()
	stopP()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the parent did not reach the child")
	}
}
