package approval

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

var (
	agent   = gate.Identity{Subject: "agent-1", Kind: gate.KindAgent, Groups: []string{"agents"}}
	alice   = gate.Identity{Subject: "alice", Name: "Alice", Kind: gate.KindHuman, Groups: []string{"dba"}}
	bob     = gate.Identity{Subject: "bob", Name: "Bob", Kind: gate.KindHuman, Groups: []string{"dba"}}
	carol   = gate.Identity{Subject: "carol", Kind: gate.KindHuman, Groups: []string{"sre"}}
	oncall  = gate.Identity{Subject: "olga", Kind: gate.KindHuman, Groups: []string{"oncall"}}
	robot   = gate.Identity{Subject: "ci-bot", Kind: gate.KindService, Groups: []string{"dba"}}
	nokind  = gate.Identity{Subject: "ghost", Groups: []string{"dba"}}
	nobody  = gate.Identity{Kind: gate.KindHuman, Groups: []string{"dba"}}
	dbaHost = gate.Identity{Subject: "agent-1", Kind: gate.KindHuman, Groups: []string{"dba"}} // same subject as the agent
)

func request(digest string, p gate.ReviewPolicy) gate.ReviewRequest {
	return gate.ReviewRequest{
		Digest: digest, SessionID: "s1", Requester: agent, Protocol: "postgres",
		Command: "DELETE FROM users WHERE id = 1", Rules: []string{"hold-deletes"}, Reason: "deletes need review",
		Policy: p,
	}
}

func TestMemoryPolicy(t *testing.T) {
	type vote struct {
		who     gate.Identity
		approve bool
		reason  string
		err     error
	}
	cases := []struct {
		name   string
		policy gate.ReviewPolicy
		votes  []vote
		state  gate.ReviewState
		glass  bool
	}{
		{"one approval", gate.ReviewPolicy{}, []vote{{who: alice, approve: true}}, gate.ReviewApproved, false},
		{"one denial", gate.ReviewPolicy{}, []vote{{who: alice}}, gate.ReviewDenied, false},
		{"self review", gate.ReviewPolicy{}, []vote{{who: dbaHost, approve: true, err: ErrSelfReview}}, gate.ReviewPending, false},
		{"agent cannot review", gate.ReviewPolicy{}, []vote{{who: gate.Identity{Subject: "agent-2", Kind: gate.KindAgent}, approve: true, err: ErrNotReviewer}}, gate.ReviewPending, false},
		{"empty kind cannot review", gate.ReviewPolicy{}, []vote{{who: nokind, approve: true, err: ErrNotReviewer}}, gate.ReviewPending, false},
		{"no subject cannot review", gate.ReviewPolicy{}, []vote{{who: nobody, approve: true, err: ErrNotReviewer}}, gate.ReviewPending, false},
		{"service may review", gate.ReviewPolicy{}, []vote{{who: robot, approve: true}}, gate.ReviewApproved, false},
		{"two approvals needed", gate.ReviewPolicy{Approvals: 2}, []vote{{who: alice, approve: true}}, gate.ReviewPending, false},
		{"two approvals given", gate.ReviewPolicy{Approvals: 2}, []vote{{who: alice, approve: true}, {who: bob, approve: true}}, gate.ReviewApproved, false},
		{"same reviewer twice", gate.ReviewPolicy{Approvals: 2}, []vote{{who: alice, approve: true}, {who: alice, approve: true, err: ErrAlreadyVoted}}, gate.ReviewPending, false},
		{"denial wins after one approval", gate.ReviewPolicy{Approvals: 2}, []vote{{who: alice, approve: true}, {who: bob}}, gate.ReviewDenied, false},
		{"two denials needed", gate.ReviewPolicy{Denials: 2}, []vote{{who: alice}}, gate.ReviewPending, false},
		{"two denials given", gate.ReviewPolicy{Denials: 2}, []vote{{who: alice}, {who: bob}}, gate.ReviewDenied, false},
		{"outside reviewer groups", gate.ReviewPolicy{ReviewerGroups: []string{"dba"}}, []vote{{who: carol, approve: true, err: ErrNotReviewer}}, gate.ReviewPending, false},
		{"inside reviewer groups", gate.ReviewPolicy{ReviewerGroups: []string{"dba"}}, []vote{{who: alice, approve: true}}, gate.ReviewApproved, false},
		{"break glass alone", gate.ReviewPolicy{Approvals: 3, ReviewerGroups: []string{"dba"}, BreakGlassGroups: []string{"oncall"}}, []vote{{who: oncall, approve: true}}, gate.ReviewApproved, true},
		{"break glass deny is a plain denial", gate.ReviewPolicy{Denials: 2, BreakGlassGroups: []string{"oncall"}}, []vote{{who: oncall}}, gate.ReviewPending, false},
		{"break glass cannot self approve", gate.ReviewPolicy{BreakGlassGroups: []string{"agents"}}, []vote{{who: gate.Identity{Subject: "agent-1", Kind: gate.KindHuman, Groups: []string{"agents"}}, approve: true, err: ErrSelfReview}}, gate.ReviewPending, false},
		{"reason required", gate.ReviewPolicy{RequireReason: true}, []vote{{who: alice, approve: true, reason: "  ", err: ErrReasonRequired}}, gate.ReviewPending, false},
		{"reason given", gate.ReviewPolicy{RequireReason: true}, []vote{{who: alice, approve: true, reason: "ticket 42"}}, gate.ReviewApproved, false},
		{"reason too long", gate.ReviewPolicy{}, []vote{{who: alice, approve: true, reason: string(make([]byte, MaxReasonLen+1)), err: ErrReasonTooLong}}, gate.ReviewPending, false},
		{"control characters", gate.ReviewPolicy{}, []vote{{who: alice, approve: true, reason: "ok\x1b[2J", err: ErrBadReason}}, gate.ReviewPending, false},
		{"invalid utf-8", gate.ReviewPolicy{}, []vote{{who: alice, approve: true, reason: "ok\xff", err: ErrBadReason}}, gate.ReviewPending, false},
		{"vote after decision", gate.ReviewPolicy{}, []vote{{who: alice}, {who: bob, approve: true, err: ErrNotPending}}, gate.ReviewDenied, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m := &Memory{}
			id, err := m.Submit(ctx, request("d-"+tc.name, tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			accepted := 0
			for i, v := range tc.votes {
				_, err := m.Vote(ctx, id, v.who, v.approve, v.reason)
				if !errors.Is(err, v.err) || (err != nil) != (v.err != nil) {
					t.Fatalf("vote %d by %s: err %v, want %v", i, v.who.Subject, err, v.err)
				}
				if err == nil {
					accepted++
				}
			}
			p, _ := m.Get(id)
			if p.State != tc.state || p.BreakGlass != tc.glass {
				t.Fatalf("state %s break-glass %v, want %s %v", p.State, p.BreakGlass, tc.state, tc.glass)
			}
			if len(p.Votes) != accepted {
				t.Fatalf("%d votes kept, want %d", len(p.Votes), accepted)
			}
			for _, v := range p.Votes {
				if v.Reviewer.Subject == "" || v.Time.IsZero() {
					t.Fatalf("vote without reviewer or time: %+v", v)
				}
				if tc.glass && v.Approve && !v.BreakGlass {
					t.Fatalf("break-glass vote not marked: %+v", v)
				}
			}
		})
	}
}

func TestMemorySubmitSameDigest(t *testing.T) {
	ctx := context.Background()
	m := &Memory{}
	a, _ := m.Submit(ctx, request("same", gate.ReviewPolicy{}))
	b, _ := m.Submit(ctx, request("same", gate.ReviewPolicy{}))
	c, _ := m.Submit(ctx, request("other", gate.ReviewPolicy{}))
	if a != b || a == c {
		t.Fatalf("ids %s %s %s", a, b, c)
	}
	if n := len(m.pending()); n != 2 {
		t.Fatalf("%d pending, want 2", n)
	}
	if _, err := m.Submit(ctx, gate.ReviewRequest{}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("no digest: %v", err)
	}
	// Once decided, the same digest files a new review.
	if _, err := m.Deny(ctx, a, alice, "no"); err != nil {
		t.Fatal(err)
	}
	d, _ := m.Submit(ctx, request("same", gate.ReviewPolicy{}))
	if d == a {
		t.Fatal("decided review reused")
	}
}

func TestMemorySingleUse(t *testing.T) {
	ctx := context.Background()
	m := &Memory{}
	id, _ := m.Submit(ctx, request("d", gate.ReviewPolicy{}))
	if _, err := m.Approve(ctx, id, alice, "ok"); err != nil {
		t.Fatal(err)
	}
	v, err := m.Await(ctx, id)
	if err != nil || v.State != gate.ReviewApproved || len(v.Votes) != 1 || v.Votes[0].Reason != "ok" {
		t.Fatalf("first await: %+v %v", v, err)
	}
	if _, err := m.Await(ctx, id); !errors.Is(err, ErrConsumed) {
		t.Fatalf("second await: %v", err)
	}
	if v, _ := m.Redeem(ctx, "d"); v.State == gate.ReviewApproved {
		t.Fatal("redeemed a used approval")
	}
	// Redeem consumes as well.
	id, _ = m.Submit(ctx, request("r", gate.ReviewPolicy{}))
	if v, _ := m.Redeem(ctx, "r"); v.State != gate.ReviewPending || v.ID != id {
		t.Fatalf("pending redeem: %+v", v)
	}
	m.Approve(ctx, id, alice, "")
	if v, _ := m.Redeem(ctx, "r"); v.State != gate.ReviewApproved {
		t.Fatalf("redeem: %+v", v)
	}
	if v, _ := m.Redeem(ctx, "r"); v.State == gate.ReviewApproved {
		t.Fatal("redeemed twice")
	}
	if _, err := m.Await(ctx, id); !errors.Is(err, ErrConsumed) {
		t.Fatalf("await after redeem: %v", err)
	}
	// A denial is returned once, then forgotten.
	id, _ = m.Submit(ctx, request("x", gate.ReviewPolicy{}))
	m.Deny(ctx, id, alice, "no")
	if v, _ := m.Redeem(ctx, "x"); v.State != gate.ReviewDenied || v.Reason != "no" {
		t.Fatalf("denied redeem: %+v", v)
	}
	if v, _ := m.Redeem(ctx, "x"); v.State != gate.ReviewNone {
		t.Fatalf("denied redeem twice: %+v", v)
	}
	if v, _ := m.Redeem(ctx, "never"); v.State != gate.ReviewNone {
		t.Fatalf("unknown digest: %+v", v)
	}
}

func TestMemoryExpiry(t *testing.T) {
	ctx := context.Background()
	m := &Memory{}
	id, _ := m.Submit(ctx, request("d", gate.ReviewPolicy{TTL: 50 * time.Millisecond}))
	start := time.Now()
	v, err := m.Await(ctx, id)
	if err != nil || v.State != gate.ReviewExpired {
		t.Fatalf("await: %+v %v", v, err)
	}
	if el := time.Since(start); el < 40*time.Millisecond {
		t.Fatalf("expired after %v", el)
	}
	if _, err := m.Approve(ctx, id, alice, ""); !errors.Is(err, ErrExpired) || !errors.Is(err, ErrNotPending) {
		t.Fatalf("approve after expiry: %v", err)
	}
	if len(m.pending()) != 0 {
		t.Fatal("expired review still pending")
	}
	// An approval not used before ExpiresAt dies too.
	id, _ = m.Submit(ctx, request("e", gate.ReviewPolicy{TTL: 30 * time.Millisecond}))
	m.Approve(ctx, id, alice, "")
	time.Sleep(40 * time.Millisecond)
	if v, _ := m.Redeem(ctx, "e"); v.State == gate.ReviewApproved {
		t.Fatal("redeemed an expired approval")
	}
}

func TestMemoryWithdraw(t *testing.T) {
	ctx := context.Background()
	m := &Memory{}
	id, _ := m.Submit(ctx, request("d", gate.ReviewPolicy{}))
	if err := m.Withdraw(ctx, id); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Await(ctx, id); err != nil || v.State != gate.ReviewWithdrawn {
		t.Fatalf("await withdrawn: %+v %v", v, err)
	}
	if _, err := m.Approve(ctx, id, alice, ""); !errors.Is(err, ErrNotPending) {
		t.Fatalf("approve withdrawn: %v", err)
	}
	if err := m.Withdraw(ctx, "nope"); !errors.Is(err, ErrUnknownReview) {
		t.Fatalf("unknown: %v", err)
	}
	// An approval nobody used yet is withdrawn with the request.
	id, _ = m.Submit(ctx, request("e", gate.ReviewPolicy{}))
	m.Approve(ctx, id, alice, "")
	if err := m.Withdraw(ctx, id); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Redeem(ctx, "e"); v.State == gate.ReviewApproved {
		t.Fatal("withdrawn approval redeemed")
	}
	// Await returns ctx.Err() when the caller gives up.
	id, _ = m.Submit(ctx, request("f", gate.ReviewPolicy{}))
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := m.Await(cctx, id); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("await cancelled: %v", err)
	}
}

// Many waiters on one review: exactly one gets the approval.
func TestMemoryConcurrentWaitersSingleUse(t *testing.T) {
	ctx := context.Background()
	m := &Memory{}
	const n = 64
	id, _ := m.Submit(ctx, request("d", gate.ReviewPolicy{Approvals: 2}))
	var approved, consumed atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			v, err := m.Await(ctx, id)
			switch {
			case err == nil && v.State == gate.ReviewApproved:
				approved.Add(1)
			case errors.Is(err, ErrConsumed):
				consumed.Add(1)
			default:
				t.Errorf("await: %+v %v", v, err)
			}
		})
	}
	for range n {
		wg.Go(func() { m.Redeem(ctx, "zzz") }) // unrelated traffic
	}
	p, err := m.WaitPending(ctx)
	if err != nil || p.ID != id {
		t.Fatalf("wait pending: %+v %v", p, err)
	}
	m.Approve(ctx, id, alice, "one")
	m.Approve(ctx, id, bob, "two")
	wg.Wait()
	if approved.Load() != 1 || consumed.Load() != n-1 {
		t.Fatalf("approved %d consumed %d", approved.Load(), consumed.Load())
	}
}

// Many reviews, many waiters, expiring and withdrawn at once.
func TestMemoryConcurrentExpiryAndWithdraw(t *testing.T) {
	ctx := context.Background()
	m := &Memory{}
	const n = 50
	var wg sync.WaitGroup
	var expired, withdrawn, cancelled atomic.Int32
	for i := range n {
		id, err := m.Submit(ctx, request(fmt.Sprint("d", i), gate.ReviewPolicy{TTL: 400 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		for w := range 4 {
			wg.Go(func() {
				wctx := ctx
				if w == 0 {
					c, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
					defer cancel()
					wctx = c
				}
				v, err := m.Await(wctx, id)
				switch {
				case errors.Is(err, context.DeadlineExceeded):
					cancelled.Add(1)
					// Other waiters remain, so the review stays open.
					if err := m.Withdraw(ctx, id); err != nil {
						t.Error(err)
					}
				case err == nil && v.State == gate.ReviewExpired:
					expired.Add(1)
				case err == nil && v.State == gate.ReviewWithdrawn:
					withdrawn.Add(1)
				default:
					t.Errorf("await: %+v %v", v, err)
				}
			})
		}
		if i%2 == 1 {
			wg.Go(func() {
				time.Sleep(150 * time.Millisecond)
				m.Withdraw(ctx, id) // may find waiters and leave it open
			})
		}
	}
	wg.Wait()
	// A waiter with a deadline normally gives up first; on a machine
	// busy enough to start it after its review expired or was withdrawn
	// (the expiry is 390 ms after its deadline), it sees that instead.
	if cancelled.Load() == 0 || cancelled.Load()+expired.Load()+withdrawn.Load() != 4*n {
		t.Fatalf("cancelled %d expired %d withdrawn %d", cancelled.Load(), expired.Load(), withdrawn.Load())
	}
	if len(m.pending()) != 0 {
		t.Fatal("reviews left pending")
	}
	if len(m.history()) != n {
		t.Fatalf("history has %d", len(m.history()))
	}
}

func TestMemoryLimits(t *testing.T) {
	ctx := context.Background()
	m := &Memory{MaxPending: 2, HistoryLimit: 1}
	a, _ := m.Submit(ctx, request("a", gate.ReviewPolicy{}))
	m.Submit(ctx, request("b", gate.ReviewPolicy{}))
	if _, err := m.Submit(ctx, request("c", gate.ReviewPolicy{})); !errors.Is(err, ErrTooManyPending) {
		t.Fatalf("over limit: %v", err)
	}
	m.Deny(ctx, a, alice, "")
	c, err := m.Submit(ctx, request("c", gate.ReviewPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	m.Deny(ctx, c, alice, "")
	if _, ok := m.Get(a); ok {
		t.Fatal("history limit not applied")
	}
	if h := m.history(); len(h) != 1 || h[0].ID != c {
		t.Fatalf("history %+v", h)
	}
}
