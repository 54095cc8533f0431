package pgapproval_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// columnTampers are, for each column of airlock_reviews, kinds of change a
// writer of the table makes to a decided review (SET clauses; the row is
// WHERE id = $1).
var columnTampers = map[string][]string{
	"id":          {`id = id || 'x'`},
	"digest":      {`digest = digest || 'x'`},
	"state":       {`state = 'approved'`, `state = 'denied'`, `state = 'pending'`, `state = 'expired'`, `state = 'withdrawn'`, `state = 'consumed'`, `state = 'reported'`},
	"request":     {`request = jsonb_set(request, '{command}', '"DROP TABLE accounts"')`, `request = jsonb_set(request, '{requester,subject}', '"agent-other"')`, `request = jsonb_set(request, '{policy,approvals}', '1')`, `request = jsonb_set(request, '{expires_at}', to_jsonb(now() + interval '1 day'))`, `request = '"not a request"'`},
	"reason":      {`reason = 'approved by the CISO'`, `reason = ''`, `reason = reason || ' (and more)'`},
	"break_glass": {`break_glass = NOT break_glass`},
	"votes": {
		`votes = jsonb_set(votes, '{0,reason}', '"forged"')`,
		`votes = jsonb_set(votes, '{0,reviewer,claims}', '{"role": "ciso"}')`,
		`votes = jsonb_set(votes, '{0,reviewer,name}', '"The CISO"')`,
		`votes = jsonb_set(votes, '{0,break_glass}', 'true')`,
		`votes = jsonb_set(votes, '{0,time}', to_jsonb(now()))`,
		`votes = votes || jsonb_build_array(jsonb_build_object('reviewer', jsonb_build_object('subject', 'mallory', 'kind', 'human'), 'approve', true, 'time', now(), 'reason', 'forged'))`,
		`votes = jsonb_build_array(jsonb_build_object('reviewer', jsonb_build_object('subject', 'mallory', 'kind', 'human'), 'approve', true, 'time', now(), 'reason', 'forged')) || votes`,
		`votes = votes - 0`,
		`votes = '[]'`,
		`votes = (SELECT jsonb_agg(v ORDER BY o DESC) FROM jsonb_array_elements(votes) WITH ORDINALITY AS t(v, o))`,
		`votes = '{"not": "votes"}'`,
	},
	"created_at": {`created_at = now() + interval '1 hour'`},
	"expires_at": {`expires_at = now() - interval '1 second'`, `expires_at = now() + interval '1 day'`},
	"decided_at": {`decided_at = NULL`, `decided_at = now() - interval '1 day'`},
	"granted": {
		`granted = jsonb_set(granted, '{reason}', '"forged"')`,
		`granted = jsonb_set(granted, '{scope}', '"any"')`,
		`granted = jsonb_set(granted, '{max_uses}', '0')`,
		`granted = jsonb_set(granted, '{id}', to_jsonb(md5(random()::text)))`,
		`granted = jsonb_set(granted, '{granted_by}', '[{"subject": "ciso", "kind": "human"}]')`,
		`granted = jsonb_set(granted, '{display}', '"SELECT 1"')`,
		`granted = NULL`,
		`granted = '{"id": 5}'`,
		`granted = (SELECT granted FROM airlock_reviews o WHERE o.granted IS NOT NULL AND o.id <> airlock_reviews.id LIMIT 1)`,
	},
	"seal": {`seal = NULL`, `seal = '\x00'::bytea`, `seal = (SELECT seal FROM airlock_reviews o WHERE o.id <> airlock_reviews.id LIMIT 1)`},
}

// decidedBase files a review and decides it through the API; it returns
// the review's id, digest and the verdict the deciding vote gave (what
// the sealed rows say).
type decidedBase struct {
	name   string
	decide func(t *testing.T, ap *pgapproval.Approver, r gate.ReviewRequest) (string, gate.ReviewRequest, gate.Verdict)
}

var decidedBases = []decidedBase{
	{"approved with a grant by two reviewers", func(t *testing.T, ap *pgapproval.Approver, r gate.ReviewRequest) (string, gate.ReviewRequest, gate.Verdict) {
		r.Policy.Approvals = 2
		id := submit(t, ap, r)
		mustVote(t)(ap.ApproveGrant(context.Background(), id, realReviewers[0], "first", gate.GrantSpec{Scope: gate.GrantExact, Uses: 3}))
		return id, r, mustVote(t)(ap.ApproveGrant(context.Background(), id, approvertest.Human, "second", gate.GrantSpec{Scope: gate.GrantShape, Uses: 2}))
	}},
	{"approved by break-glass", func(t *testing.T, ap *pgapproval.Approver, r gate.ReviewRequest) (string, gate.ReviewRequest, gate.Verdict) {
		r.Policy.Approvals, r.Policy.BreakGlassGroups = 2, []string{"dba"}
		id := submit(t, ap, r)
		return id, r, mustVote(t)(ap.Approve(context.Background(), id, realReviewers[1], "incident 42"))
	}},
	{"denied", func(t *testing.T, ap *pgapproval.Approver, r gate.ReviewRequest) (string, gate.ReviewRequest, gate.Verdict) {
		id := submit(t, ap, r)
		return id, r, mustVote(t)(ap.Deny(context.Background(), id, approvertest.Human, "not today"))
	}},
}

func submit(t *testing.T, ap *pgapproval.Approver, r gate.ReviewRequest) string {
	t.Helper()
	id, err := ap.Submit(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustVote(t *testing.T) func(gate.Verdict, error) gate.Verdict {
	return func(v gate.Verdict, err error) gate.Verdict {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Every field of a verdict that reaches the gate and its record comes from
// what the Approver sealed: whatever column of a decided review a writer
// of the table changes, alone or two at once, Redeem and Await either
// refuse (an error, or no verdict) or return the sealed verdict: the
// votes, the reason and break-glass of the deciding vote, and the grant
// the votes gave, as the API decided them. A verdict in a state after the
// decision (expired, withdrawn) carries the sealed votes and the reason
// the Approver writes for that end. On the old code the reason column,
// the granted column's fields beyond its bounds, and the claims of a
// reviewer reached the verdict.
func TestTamperedColumnsNeverReachTheVerdict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 3))
	f := &forger{t: t, ctx: ctx, pool: pool, ap: ap, rnd: rnd}
	var singles [][]string
	for col, sets := range columnTampers {
		for _, set := range sets {
			singles = append(singles, []string{col + ": " + set})
		}
	}
	slices.SortFunc(singles, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	cases := singles
	for range len(singles) {
		a, b := singles[rnd.IntN(len(singles))][0], singles[rnd.IntN(len(singles))][0]
		if strings.SplitN(a, ":", 2)[0] != strings.SplitN(b, ":", 2)[0] {
			cases = append(cases, []string{a, b})
		}
	}
	for _, base := range decidedBases {
		for _, tc := range cases {
			for _, via := range []string{"Redeem", "Await"} {
				id, r, want := base.decide(t, ap, f.request(1))
				var sets []string
				for _, c := range tc {
					sets = append(sets, strings.SplitN(c, ": ", 2)[1])
				}
				f.exec(`UPDATE airlock_reviews SET `+strings.Join(sets, ", ")+` WHERE id = $1`, id)
				v, err := use(ctx, ap, via, id, r.Digest, forgeryWait)
				if msg := sealedVerdict(v, err, want); msg != "" {
					t.Errorf("%s, %v, through %s: %s", base.name, tc, via, msg)
				}
			}
		}
	}
}

// sealedVerdict says what is wrong with verdict v (and err) of a review
// whose sealed verdict is want; "" when nothing is.
func sealedVerdict(v gate.Verdict, err error, want gate.Verdict) string {
	if err != nil || v.State == gate.ReviewNone {
		return "" // refused
	}
	if v.ID != want.ID {
		return fmt.Sprintf("the verdict of review %s, not %s", v.ID, want.ID)
	}
	after := map[gate.ReviewState]gate.ReviewState{gate.ReviewApproved: gate.ReviewConsumed, gate.ReviewDenied: "reported"}[want.State]
	switch v.State {
	case want.State, after:
		if got, w := jsonOf(v.Votes), jsonOf(want.Votes); got != w {
			return fmt.Sprintf("votes %s, sealed %s", got, w)
		}
		if v.Reason != want.Reason || v.BreakGlass != want.BreakGlass {
			return fmt.Sprintf("%s with reason %q, break-glass %v; sealed %q, %v", v.State, v.Reason, v.BreakGlass, want.Reason, want.BreakGlass)
		}
		if got, w := jsonOf(v.Grant), jsonOf(want.Grant); got != w {
			return fmt.Sprintf("grant %s, sealed %s", got, w)
		}
	case gate.ReviewPending, gate.ReviewExpired, gate.ReviewWithdrawn:
		// An earlier sealed state of the row (fewer votes: see
		// Options.SealKey), still pending, expired or withdrawn: the votes are a prefix of the
		// sealed ones, the reason the one the Approver writes.
		if len(v.Votes) > len(want.Votes) || len(v.Votes) > 0 && jsonOf(v.Votes) != jsonOf(want.Votes[:len(v.Votes)]) {
			return fmt.Sprintf("votes %s, sealed %s", jsonOf(v.Votes), jsonOf(want.Votes))
		}
		reasons := map[gate.ReviewState][]string{
			gate.ReviewExpired:   {"the review expired", "the approval was not used before the review expired"},
			gate.ReviewWithdrawn: {"withdrawn by the requester"},
			gate.ReviewPending:   {""},
		}[v.State]
		if !slices.Contains(reasons, v.Reason) {
			return fmt.Sprintf("%s with reason %q", v.State, v.Reason)
		}
		if got, w := jsonOf(v.Grant), jsonOf(want.Grant); v.Grant != nil && got != w {
			return fmt.Sprintf("grant %s, sealed %s", got, w)
		}
	default:
		return fmt.Sprintf("%s, sealed %s: %+v", v.State, want.State, v)
	}
	return ""
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
