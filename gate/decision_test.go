package gate

import (
	"fmt"
	"reflect"
	"testing"
)

// A clone shares nothing mutable with its original, and its lists, which
// share one allocation, never write into each other.
func TestDecisionCloneIsolated(t *testing.T) {
	id := Identity{Subject: "agent-1", Groups: []string{"agents"}, Kind: KindAgent}
	clones := map[string]func(*Decision) *Decision{
		"clone": (*Decision).clone,
		"event": func(d *Decision) *Decision {
			c, got := d.cloneForEvent(id)
			if !reflect.DeepEqual(*got, id) || got == &id {
				t.Fatalf("event identity %+v, want a copy of %+v", got, id)
			}
			return c
		},
	}
	for name, clone := range clones {
		t.Run(name, func(t *testing.T) { testCloneIsolated(t, clone) })
	}
}

func testCloneIsolated(t *testing.T, clone func(*Decision) *Decision) {
	for _, n := range []int{0, 1, 2, 3, 20} { // 5n names: each of clone's three ways
		names := func(p string) []string {
			var out []string
			for i := range n {
				out = append(out, fmt.Sprint(p, i))
			}
			return out
		}
		d := &Decision{Action: Review, Rules: names("r"), Mask: names("m"), Labels: names("l"), ReviewRules: names("v"), Errors: names("e"),
			Audit: []AuditOutcome{{Rule: "a"}}, Review: &ReviewPolicy{Approvals: 2}}
		want := *d.clone()
		c := clone(d)
		if !reflect.DeepEqual(*c, *d) {
			t.Fatalf("n=%d: clone differs", n)
		}
		lists := []*[]string{&c.Rules, &c.Mask, &c.Labels, &c.ReviewRules, &c.Errors}
		for _, l := range lists {
			*l = append(*l, "appended")
			(*l)[0] = "changed"
		}
		for i, l := range lists {
			exp := append(names("rmlve"[i:i+1]), "appended")
			exp[0] = "changed"
			if !reflect.DeepEqual(*l, exp) {
				t.Fatalf("n=%d: list %d is %v after appends to every list, want %v", n, i, *l, exp)
			}
		}
		c.Audit[0].Rule = "changed"
		c.Review.Approvals = 9
		if !reflect.DeepEqual(*d, want) {
			t.Fatalf("n=%d: changing the clone changed the original: %+v", n, d)
		}
	}
}

// TestCloneForEventOneAllocation: the usual decision's event copy is one
// allocation, decision, names and identity together.
func TestCloneForEventOneAllocation(t *testing.T) {
	id := Identity{Subject: "agent-1", Groups: []string{"agents"}, Kind: KindAgent}
	d := &Decision{Action: Allow, Rules: []string{"read-only", "mask-for-agents"}, Mask: []string{"pii", "filler_column"}}
	if n := testing.AllocsPerRun(100, func() { d.cloneForEvent(id) }); n != 1 {
		t.Fatalf("cloneForEvent: %v allocations, want 1", n)
	}
}
