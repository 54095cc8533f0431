package gate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
)

const scratchRules = `
default: deny
rules:
  - name: hold
    when: request.command.startsWith("DELETE FROM scratch")
    action: review
    review: {max_grant: 1h}
`

const widenedRules = `
default: deny
rules:
  - name: hold
    when: request.command.startsWith("DELETE")
    action: review
    review: {max_grant: 1h}
`

// A grant covers the requests its rules held when the reviewer gave it:
// once the rule set changes, a rule of the same name may hold other
// requests, and the grant covers none of them.
func TestGrantEndsWithItsRuleSet(t *testing.T) {
	ctx := context.Background()
	v1, err := gate.ParseRules("v1.yaml", []byte(scratchRules))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := gate.ParseRules("v2.yaml", []byte(widenedRules))
	if err != nil {
		t.Fatal(err)
	}
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: v1, Approver: mem, ReviewMode: gate.RefuseThenRetry})
	s := &gate.Session{Protocol: "postgres", Target: "prod", Identity: gate.Identity{Subject: "agent-4", Kind: gate.KindAgent}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	req := func(cmd string) *gate.Request { return &gate.Request{Session: s, Protocol: "postgres", Command: cmd} }
	_, err = g.Check(ctx, req("DELETE FROM scratch"))
	var ref *gate.RefusedError
	if !errors.As(err, &ref) || !ref.Pending() {
		t.Fatalf("not held: %v", err)
	}
	if _, err := mem.ApproveGrant(ctx, ref.ApprovalID, bindingReviewer, "scratch is scratch", gate.GrantSpec{Scope: gate.GrantAny}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, req("DELETE FROM scratch")); err != nil {
		t.Fatalf("the approved request: %v", err)
	}
	if d, err := g.Check(ctx, req("DELETE FROM scratch WHERE id = 2")); err != nil || d.Grant == "" {
		t.Fatalf("the grant does not cover another scratch delete under its own rules: %v", err)
	}
	g.SetRules(v2)
	if d, err := g.Check(ctx, req("DELETE FROM accounts")); err == nil {
		t.Fatalf("DELETE FROM accounts ran on a grant given for scratch under other rules: %+v", d)
	}
}
