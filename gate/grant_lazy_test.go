package gate_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
)

// countingGrants counts the grant store's look-ups.
type countingGrants struct {
	*approval.Memory
	lookups int
}

func (c *countingGrants) ActiveGrants(ctx context.Context, subject string) ([]gate.Grant, error) {
	c.lookups++
	return c.Memory.ActiveGrants(ctx, subject)
}

// TestGrantsLookedUpOnlyWhenRead is a differential test of the grant
// look-up Check makes only when the rules read session.grants or a
// review needs it, against the look-up made for every request (the
// oracle: the same rules plus one that reads session.grants and never
// matches). Generated sequences of held, granted and plain requests get
// the same verdicts either way, and a rule set that never reads grants
// looks them up only for its reviews.
func TestGrantsLookedUpOnlyWhenRead(t *testing.T) {
	const oracleRule = `
  - name: reads-grants
    when: size(session.grants) < 0
    action: deny
`
	ids := regexp.MustCompile(`[0-9a-f]{32}`) // grant and review ids differ run to run
	ctx := context.Background()
	cmds := []string{"SELECT 1", "DELETE FROM scratch", "DELETE FROM scratch WHERE id = 2", "DROP TABLE x"}
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		type step struct {
			cmd     string
			approve bool
			uses    int
		}
		var steps []step
		for range 12 {
			steps = append(steps, step{cmd: cmds[r.IntN(len(cmds))], approve: r.IntN(2) == 0, uses: r.IntN(3)})
		}
		run := func(extra string) (verdicts []string, lookups, reviews int) {
			rs, err := gate.ParseRules("lazy.yaml", []byte(scratchRules+"  - name: reads\n    when: request.command.startsWith(\"SELECT\")\n    action: allow\n"+extra))
			if err != nil {
				t.Fatal(err)
			}
			store := &countingGrants{Memory: &approval.Memory{}}
			g := gate.New(gate.Config{Rules: rs, Approver: store.Memory, Grants: store, ReviewMode: gate.RefuseThenRetry})
			s := &gate.Session{Protocol: "postgres", Target: "prod", Identity: gate.Identity{Subject: "agent-9", Kind: gate.KindAgent}}
			if err := g.OpenSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			for _, st := range steps {
				d, err := g.Check(ctx, &gate.Request{Session: s, Protocol: "postgres", Command: st.cmd})
				var ref *gate.RefusedError
				if len(d.ReviewRules) > 0 {
					reviews++ // held, or allowed by a grant
				}
				if errors.As(err, &ref) && ref.Pending() {
					if st.approve {
						if _, err := store.ApproveGrant(ctx, ref.ApprovalID, bindingReviewer, "ok", gate.GrantSpec{Scope: gate.GrantAny, Uses: st.uses}); err != nil {
							t.Fatal(err)
						}
					}
				}
				verdicts = append(verdicts, ids.ReplaceAllString(fmt.Sprintf("%s %s %q grant=%v reviewed=%v errs=%v", d.Action, d.Rule, d.Reason, d.Grant != "", d.Reviewed, d.Errors), "ID"))
			}
			return verdicts, store.lookups, reviews
		}
		got, lookups, reviews := run("")
		want, _, _ := run(oracleRule)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("seed %d step %d (%+v): %s, with grants read by a rule %s", seed, i, steps[i], got[i], want[i])
			}
		}
		if lookups > reviews {
			t.Fatalf("seed %d: %d grant look-ups for %d reviews", seed, lookups, reviews)
		}
	}
}

// TestRulesReadingGrantsSeeThem: a rule that reads session.grants sees the
// grants in force (Check gives it the look-up).
func TestRulesReadingGrantsSeeThem(t *testing.T) {
	ctx := context.Background()
	rs, err := gate.ParseRules("seen.yaml", []byte(scratchRules+`
  - name: drop-once-granted
    when: size(session.grants) > 0 && request.command == "DROP TABLE x"
    action: allow
`))
	if err != nil {
		t.Fatal(err)
	}
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem, ReviewMode: gate.RefuseThenRetry})
	s := &gate.Session{Protocol: "postgres", Target: "prod", Identity: gate.Identity{Subject: "agent-8", Kind: gate.KindAgent}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	req := func(cmd string) *gate.Request { return &gate.Request{Session: s, Protocol: "postgres", Command: cmd} }
	if _, err := g.Check(ctx, req("DROP TABLE x")); err == nil {
		t.Fatal("allowed without a grant")
	}
	_, err = g.Check(ctx, req("DELETE FROM scratch"))
	var ref *gate.RefusedError
	if !errors.As(err, &ref) || !ref.Pending() {
		t.Fatalf("not held: %v", err)
	}
	if _, err := mem.ApproveGrant(ctx, ref.ApprovalID, bindingReviewer, "ok", gate.GrantSpec{Scope: gate.GrantAny, Uses: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, req("DROP TABLE x")); err != nil {
		t.Fatalf("the rule did not see the grant: %v", err)
	}
}
