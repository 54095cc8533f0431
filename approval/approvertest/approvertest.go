// Package approvertest checks that a gate.Approver keeps the contract the
// gate documents, the way testing/slogtest checks a slog.Handler. Run it
// from the tests of every Approver:
//
//	func TestConformance(t *testing.T) {
//		approvertest.Run(t, func(t testing.TB) approvertest.Harness {
//			mem := &approval.Memory{}
//			return approvertest.Harness{Approver: mem, Reviewer: mem}
//		})
//	}
//
// What it checks, each on a fresh approver:
//
//   - Submit files a review; while it is pending, Submit of the same
//     digest returns the same id (also from concurrent callers), and of
//     another digest another id;
//   - Await returns an approval, a denial and an expiry (the request's
//     TTL), and ctx.Err() when its context ends first;
//   - an approval is used exactly once, by Await or by Redeem, also when
//     several callers race for it;
//   - an approval nobody used before the review's ExpiresAt is never used
//     afterwards, by Await or by Redeem;
//   - Withdraw ends a pending review: it is never approved afterwards;
//   - Redeem: ReviewNone for an unknown digest, ReviewPending while open,
//     an approval once, a denial once and then ReviewNone.
//
// Reviews are decided through the Harness's Reviewer, as a human would
// decide them through a console.
package approvertest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/conformance"
)

// Reviewer decides reviews as a human would. approval.Memory, the
// approval/pgapproval Approver and approval.Webhook implement it; a test
// can adapt any other front end (a console's API) to it.
type Reviewer interface {
	// Approve casts reviewer's approving vote on review id.
	Approve(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error)
	// Deny casts reviewer's denying vote on review id.
	Deny(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error)
}

// Harness is one approver under test and the way to decide its reviews.
type Harness struct {
	// Approver is the approver under test, with no reviews of the kit's.
	Approver gate.Approver
	// Reviewer decides the Approver's reviews.
	Reviewer Reviewer
}

// NewFunc returns a fresh Harness for one check. It may use t for cleanup
// and to fail.
type NewFunc func(t testing.TB) Harness

// The identities the kit uses: an agent asks, a human reviews.
var (
	Requester = gate.Identity{Subject: "approvertest-agent", Kind: gate.KindAgent}
	Human     = gate.Identity{Subject: "approvertest-reviewer", Name: "Reviewer", Kind: gate.KindHuman}
)

// Timeout bounds each wait of the kit for a verdict that is due.
const Timeout = 10 * time.Second

var checks = []conformance.Check[Harness]{
	{Name: "SubmitSameDigest", Run: checkSubmitSameDigest},
	{Name: "SubmitConcurrently", Run: checkSubmitConcurrently},
	{Name: "AwaitApproved", Run: checkAwaitApproved},
	{Name: "AwaitDenied", Run: checkAwaitDenied},
	{Name: "AwaitExpired", Run: checkAwaitExpired},
	{Name: "AwaitContextEnds", Run: checkAwaitContextEnds},
	{Name: "Withdraw", Run: checkWithdraw},
	{Name: "RedeemUnknown", Run: checkRedeemUnknown},
	{Name: "RedeemApprovedOnce", Run: checkRedeemApprovedOnce},
	{Name: "RedeemDeniedOnce", Run: checkRedeemDeniedOnce},
	{Name: "ApprovalUsedOnceUnderRace", Run: checkUsedOnceUnderRace},
	{Name: "ApprovalDiesWithItsReview", Run: checkApprovalDiesWithItsReview},
}

// Run checks the approvers newApprover makes against the contract of
// gate.Approver and reports every violation through t. With a *testing.T
// each check is a subtest; with another testing.TB they run one after
// another, each failure prefixed with the check's name.
func Run(t testing.TB, newApprover NewFunc) {
	t.Helper()
	conformance.Run(t, checks, newApprover)
}

// digest returns a digest no other check uses.
func digest(what string) string {
	return "approvertest-" + what + "-" + conformance.Nonce(8)
}

// request is a held request for digest that expires after ttl (0: the
// default TTL).
func request(digest string, ttl time.Duration) gate.ReviewRequest {
	return gate.ReviewRequest{Digest: digest, SessionID: "approvertest-session", Requester: Requester,
		Protocol: "postgres", Target: "db", Command: "DELETE FROM t WHERE id = 1", Rules: []string{"hold"},
		ReviewRules: []string{"hold"}, Policy: gate.ReviewPolicy{TTL: ttl}}
}

func ctxT() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), Timeout)
}

func submit(t testing.TB, h Harness, r gate.ReviewRequest) string {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	id, err := h.Approver.Submit(ctx, r)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if id == "" {
		t.Fatalf("Submit returned no id")
	}
	return id
}

func decide(t testing.TB, h Harness, id string, approve bool) {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	var err error
	if approve {
		_, err = h.Reviewer.Approve(ctx, id, Human, "approvertest")
	} else {
		_, err = h.Reviewer.Deny(ctx, id, Human, "approvertest")
	}
	if err != nil {
		t.Fatalf("decide %s (approve %v): %v", id, approve, err)
	}
}

func await(t testing.TB, h Harness, id string) (gate.Verdict, error) {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	v, err := h.Approver.Await(ctx, id)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Await %s: no verdict within %v", id, Timeout)
	}
	return v, err
}

func redeem(t testing.TB, h Harness, d string) gate.Verdict {
	t.Helper()
	ctx, cancel := ctxT()
	defer cancel()
	v, err := h.Approver.Redeem(ctx, d)
	if err != nil {
		t.Fatalf("Redeem: %v", err)
	}
	return v
}

func wantState(t testing.TB, what string, v gate.Verdict, err error, want gate.ReviewState) {
	t.Helper()
	if err != nil || v.State != want {
		t.Errorf("%s: state %q, error %v; want %q", what, v.State, err, want)
	}
}

// notApproved fails when v, err grants the request.
func notApproved(t testing.TB, what string, v gate.Verdict, err error) {
	t.Helper()
	if err == nil && v.State == gate.ReviewApproved {
		t.Errorf("%s: approved (%+v); want no approval", what, v)
	}
}

func checkSubmitSameDigest(t testing.TB, h Harness) {
	d := digest("same")
	id := submit(t, h, request(d, 0))
	if again := submit(t, h, request(d, 0)); again != id {
		t.Errorf("Submit of a pending digest filed %s, want the pending %s", again, id)
	}
	if other := submit(t, h, request(digest("other"), 0)); other == id {
		t.Errorf("Submit of another digest returned the same id %s", id)
	}
	wantState(t, "Redeem while pending", redeem(t, h, d), nil, gate.ReviewPending)
}

func checkSubmitConcurrently(t testing.TB, h Harness) {
	d := digest("concurrent")
	const callers = 8
	ids := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := ctxT()
			defer cancel()
			ids[i], errs[i] = h.Approver.Submit(ctx, request(d, 0))
		}()
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Errorf("concurrent Submit: %v", errs[i])
		} else if ids[i] != ids[0] {
			t.Errorf("concurrent Submits of one digest filed %s and %s", ids[0], ids[i])
		}
	}
}

func checkAwaitApproved(t testing.TB, h Harness) {
	d := digest("approved")
	id := submit(t, h, request(d, 0))
	got := make(chan struct {
		v   gate.Verdict
		err error
	}, 1)
	go func() {
		ctx, cancel := ctxT()
		defer cancel()
		v, err := h.Approver.Await(ctx, id)
		got <- struct {
			v   gate.Verdict
			err error
		}{v, err}
	}()
	decide(t, h, id, true)
	r := <-got
	wantState(t, "Await of an approved review", r.v, r.err, gate.ReviewApproved)
	if r.v.ID != "" && r.v.ID != id {
		t.Errorf("Await returned the verdict of %s, want %s", r.v.ID, id)
	}
	v, err := await(t, h, id)
	notApproved(t, "a second Await of the approval", v, err)
	notApproved(t, "Redeem of an approval Await used", redeem(t, h, d), nil)
}

func checkAwaitDenied(t testing.TB, h Harness) {
	id := submit(t, h, request(digest("denied"), 0))
	decide(t, h, id, false)
	v, err := await(t, h, id)
	wantState(t, "Await of a denied review", v, err, gate.ReviewDenied)
}

func checkAwaitExpired(t testing.TB, h Harness) {
	d := digest("expired")
	id := submit(t, h, request(d, 300*time.Millisecond))
	v, err := await(t, h, id)
	wantState(t, "Await of a review nobody decided within its TTL", v, err, gate.ReviewExpired)
	ctx, cancel := ctxT()
	defer cancel()
	if _, err := h.Reviewer.Approve(ctx, id, Human, "too late"); err == nil {
		t.Errorf("an expired review took an approval")
	}
	notApproved(t, "Redeem of an expired review", redeem(t, h, d), nil)
}

func checkAwaitContextEnds(t testing.TB, h Harness) {
	id := submit(t, h, request(digest("ctx"), 0))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Approver.Await(ctx, id)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Await whose context ended: %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > Timeout/2 {
		t.Errorf("Await returned %v after its context ended", took)
	}
}

func checkWithdraw(t testing.TB, h Harness) {
	d := digest("withdrawn")
	id := submit(t, h, request(d, 0))
	ctx, cancel := ctxT()
	defer cancel()
	if err := h.Approver.Withdraw(ctx, id); err != nil {
		t.Fatalf("Withdraw of a pending review: %v", err)
	}
	actx, acancel := context.WithTimeout(ctx, 2*time.Second)
	v, err := h.Approver.Await(actx, id)
	acancel()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		t.Errorf("Await of a withdrawn review still waits 2s after Withdraw")
	case err == nil && (v.State == gate.ReviewApproved || v.State == gate.ReviewPending):
		t.Errorf("Await of a withdrawn review: state %q", v.State)
	}
	if _, err := h.Reviewer.Approve(ctx, id, Human, "after the requester gave up"); err == nil {
		t.Errorf("a withdrawn review took an approval")
	}
	notApproved(t, "Redeem of a withdrawn review", redeem(t, h, d), nil)
	// Filing the digest again opens a new review.
	if again := submit(t, h, request(d, 0)); again == id {
		t.Errorf("Submit after Withdraw returned the withdrawn review %s", id)
	}
}

func checkRedeemUnknown(t testing.TB, h Harness) {
	wantState(t, "Redeem of an unknown digest", redeem(t, h, digest("unknown")), nil, gate.ReviewNone)
}

func checkRedeemApprovedOnce(t testing.TB, h Harness) {
	d := digest("redeem-approved")
	id := submit(t, h, request(d, 0))
	decide(t, h, id, true)
	wantState(t, "Redeem of an approval", redeem(t, h, d), nil, gate.ReviewApproved)
	notApproved(t, "a second Redeem of the approval", redeem(t, h, d), nil)
	v, err := await(t, h, id)
	notApproved(t, "Await of an approval Redeem used", v, err)
}

func checkRedeemDeniedOnce(t testing.TB, h Harness) {
	d := digest("redeem-denied")
	id := submit(t, h, request(d, 0))
	decide(t, h, id, false)
	wantState(t, "Redeem of a denial", redeem(t, h, d), nil, gate.ReviewDenied)
	wantState(t, "a second Redeem of the denial", redeem(t, h, d), nil, gate.ReviewNone)
}

func checkUsedOnceUnderRace(t testing.TB, h Harness) {
	for _, via := range []string{"Redeem", "Await"} {
		d := digest("race-" + via)
		id := submit(t, h, request(d, 0))
		decide(t, h, id, true)
		const callers = 6
		var mu sync.Mutex
		wins := 0
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := ctxT()
				defer cancel()
				var v gate.Verdict
				var err error
				if via == "Redeem" {
					v, err = h.Approver.Redeem(ctx, d)
				} else {
					v, err = h.Approver.Await(ctx, id)
				}
				if err == nil && v.State == gate.ReviewApproved {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d concurrent %s calls: the approval was used %d times, want once", callers, via, wins)
		}
	}
}

// checkApprovalDiesWithItsReview: an approval is good until the review's
// ExpiresAt and no longer, whichever way it is used.
func checkApprovalDiesWithItsReview(t testing.TB, h Harness) {
	const ttl = 700 * time.Millisecond
	for _, via := range []string{"Redeem", "Await"} {
		d := digest("stale-" + via)
		r := request(d, ttl)
		r.CreatedAt = time.Now().UTC()
		r.ExpiresAt = r.CreatedAt.Add(ttl)
		id := submit(t, h, r)
		decide(t, h, id, true)
		time.Sleep(time.Until(r.ExpiresAt) + 100*time.Millisecond)
		if via == "Redeem" {
			notApproved(t, "Redeem of an approval past its review's expiry", redeem(t, h, d), nil)
			continue
		}
		v, err := await(t, h, id)
		notApproved(t, "Await of an approval past its review's expiry", v, err)
	}
}
