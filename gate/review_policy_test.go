package gate_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
)

// policyRule is one review rule of a generated rule file.
type policyRule struct {
	reviewers, breakGlass string // YAML lists, "" for none
	approvals             int
}

func (r policyRule) yaml(name string) string {
	s := fmt.Sprintf("  - name: %s\n    when: request.command.startsWith(\"DELETE\")\n    action: review\n    review:\n      approvals: %d\n", name, max(r.approvals, 1))
	if r.reviewers != "" {
		s += "      reviewers: " + r.reviewers + "\n"
	}
	if r.breakGlass != "" {
		s += "      break_glass: " + r.breakGlass + "\n"
	}
	return s
}

// groupsOf reads a YAML list of group names.
func groupsOf(list string) []string {
	var out []string
	cur := ""
	for _, c := range list {
		switch c {
		case '[', ' ':
		case ',', ']':
			if cur != "" {
				out = append(out, cur)
			}
			cur = ""
		default:
			cur += string(c)
		}
	}
	return out
}

// allows reports whether a single vote of a member of groups approves
// under rule r alone.
func (r policyRule) allowsAlone(groups []string) bool {
	in := func(list string) bool {
		for _, g := range groupsOf(list) {
			for _, h := range groups {
				if g == h {
					return true
				}
			}
		}
		return false
	}
	if in(r.breakGlass) {
		return true
	}
	return max(r.approvals, 1) == 1 && (r.reviewers == "" || in(r.reviewers))
}

// When several review rules hold one request, a vote counts only as far as
// every one of them allows it: a reviewer (or break-glass member) that one
// rule names never approves alone what another rule gives to others, in
// whichever order the rules are written.
func TestEveryReviewRuleMustAllowTheApproval(t *testing.T) {
	rules := []policyRule{
		{approvals: 1, breakGlass: "[oncall]"},
		{approvals: 2, reviewers: "[dba]"},
		{approvals: 1, reviewers: "[support]"},
		{approvals: 1, reviewers: "[dba, support]"},
		{approvals: 1},
		{approvals: 1, reviewers: "[dba]", breakGlass: "[security]"},
	}
	voters := [][]string{{"oncall"}, {"dba"}, {"support"}, {"security"}, {"dba", "support"}, nil}
	for i, a := range rules {
		for j, b := range rules {
			if i == j {
				continue
			}
			for _, groups := range voters {
				want := a.allowsAlone(groups) && b.allowsAlone(groups)
				got := approvesAlone(t, "default: deny\nrules:\n"+a.yaml("a")+b.yaml("b"), groups)
				if got && !want {
					t.Errorf("rules %+v then %+v: one vote of a member of %v approved", a, b, groups)
				}
			}
		}
	}
}

// approvesAlone holds a DELETE under rules and reports whether one vote of
// a human in groups lets it run.
func approvesAlone(t *testing.T, rules string, groups []string) bool {
	t.Helper()
	rs, err := gate.ParseRules("policy.yaml", []byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem, ReviewMode: gate.RefuseThenRetry})
	s := &gate.Session{Protocol: "postgres", Target: "payments", Identity: gate.Identity{Subject: "agent-3", Kind: gate.KindAgent}}
	if err := g.OpenSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	req := func() *gate.Request {
		return &gate.Request{Session: s, Protocol: "postgres", Command: "DELETE FROM payments"}
	}
	_, err = g.Check(context.Background(), req())
	var ref *gate.RefusedError
	if !errors.As(err, &ref) || !ref.Pending() {
		t.Fatalf("not held: %v", err)
	}
	voter := gate.Identity{Subject: "reviewer", Kind: gate.KindHuman, Groups: groups}
	if _, err := mem.Approve(context.Background(), ref.ApprovalID, voter, "ok"); err != nil {
		return false
	}
	_, err = g.Check(context.Background(), req())
	return err == nil
}
