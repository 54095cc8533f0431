package pgapproval_test

import (
	"context"
	"errors"
	"testing"

	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

const twoRules = `
default: deny
rules:
  - name: writes
    when: "true"
    action: review
    review: {reviewers: [dba], break_glass: [oncall]}
  - name: payments
    when: request.command.contains("payments")
    action: review
    review: {reviewers: [support]}
`

// The policy of each rule holding a request survives the trip through
// PostgreSQL: neither a reviewer of one rule nor a break-glass member of
// it approves what another rule gives to support.
func TestEveryRulesPolicySurvivesTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ap := pgtest.Store(t, testPool(t), pgapproval.Options{SealKey: testKey}, pgapproval.Migrate, pgapproval.New)
	rs, err := gate.ParseRules("two.yaml", []byte(twoRules))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Approver: ap, ReviewMode: gate.RefuseThenRetry})
	s := &gate.Session{Protocol: "postgres", Target: "prod", Identity: gate.Identity{Subject: "agent-5", Kind: gate.KindAgent}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	req := func() *gate.Request {
		return &gate.Request{Session: s, Protocol: "postgres", Command: "DELETE FROM payments"}
	}
	_, err = g.Check(ctx, req())
	var ref *gate.RefusedError
	if !errors.As(err, &ref) || !ref.Pending() {
		t.Fatalf("not held: %v", err)
	}
	for _, who := range []gate.Identity{
		{Subject: "dora", Kind: gate.KindHuman, Groups: []string{"dba"}},
		{Subject: "olga", Kind: gate.KindHuman, Groups: []string{"oncall"}},
	} {
		if v, err := ap.Approve(ctx, ref.ApprovalID, who, "mine to approve"); err == nil && v.State == gate.ReviewApproved {
			t.Fatalf("a member of %v approved a request the payments rule gives to support: %+v", who.Groups, v)
		}
		if _, err := g.Check(ctx, req()); err == nil {
			t.Fatalf("the DELETE ran on the vote of a member of %v", who.Groups)
		}
	}
}
