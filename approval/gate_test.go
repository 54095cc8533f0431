package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

const testRules = `
default: deny
rules:
  - name: reads
    when: request.command.startsWith("SELECT")
    action: allow
  - name: hold-deletes
    when: request.command.startsWith("DELETE")
    action: review
    reason: deletes need two DBAs
    review:
      approvals: 2
      reviewers: [dba]
      break_glass: [oncall]
      require_reason: true
      ttl: 1m
`

// events collects what the gate records.
type events struct {
	mu sync.Mutex
	ev []gate.Event
}

func (e *events) Record(_ context.Context, ev gate.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ev = append(e.ev, ev)
	return nil
}

// kinds lists the kinds of the approval events, in order.
func (e *events) kinds() []gate.EventKind {
	return pick(e, func(ev gate.Event) (gate.EventKind, bool) { return ev.Kind, ev.Approval != nil })
}

// reviewed lists the approval_reviewed events' votes, in order.
func (e *events) reviewed() []gate.ApprovalInfo {
	return pick(e, func(ev gate.Event) (gate.ApprovalInfo, bool) {
		if ev.Kind != gate.EventApprovalReviewed {
			return gate.ApprovalInfo{}, false
		}
		return *ev.Approval, true
	})
}

// pick lists, in order, what of returns for the events it keeps.
func pick[T any](e *events, of func(gate.Event) (T, bool)) []T {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []T
	for _, ev := range e.ev {
		if v, ok := of(ev); ok {
			out = append(out, v)
		}
	}
	return out
}

func newGate(t testing.TB, ap gate.Approver, mode gate.ReviewMode, rec gate.Recorder) *gate.Gate {
	t.Helper()
	rs, err := gate.ParseRules("test.yaml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	return gate.New(gate.Config{Rules: rs, Approver: ap, Recorder: rec, ReviewMode: mode})
}

func openSession(t testing.TB, g *gate.Gate) *gate.Session {
	t.Helper()
	s := &gate.Session{Protocol: "postgres", Target: "prod", Identity: agent}
	if err := g.OpenSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func check(g *gate.Gate, s *gate.Session, cmd string) error {
	_, err := g.Check(context.Background(), &gate.Request{Session: s, Command: cmd})
	return err
}

// checkAsync runs a Check of cmd in the background, as a held agent would;
// its error arrives on the channel.
func checkAsync(g *gate.Gate, s *gate.Session, cmd string) <-chan error {
	done := make(chan error, 1)
	go func() { done <- check(g, s, cmd) }()
	return done
}

// stillHeld fails with what when the held call behind done returns within
// wait (0: has returned already).
func stillHeld(t testing.TB, done <-chan error, wait time.Duration, what string) {
	t.Helper()
	if wait == 0 {
		select {
		case err := <-done:
			t.Fatalf("%s: %v", what, err)
		default:
		}
		return
	}
	select {
	case err := <-done:
		t.Fatalf("%s: %v", what, err)
	case <-time.After(wait):
	}
}

// gateFixture is a gate over a Memory approver, what it records, and an
// open session of the agent.
type gateFixture struct {
	mem     *Memory
	rec     *events
	gate    *gate.Gate
	session *gate.Session
}

func newGateFixture(t testing.TB, mode gate.ReviewMode) gateFixture {
	t.Helper()
	f := gateFixture{mem: &Memory{}, rec: &events{}}
	f.gate = newGate(t, f.mem, mode, f.rec)
	f.session = openSession(t, f.gate)
	return f
}

// hold runs a Check of cmd in the background, as a held agent would.
func (f gateFixture) hold(cmd string) <-chan error { return checkAsync(f.gate, f.session, cmd) }

// A rule requires two approvals from a group; the held call proceeds once
// both are given, and every step is recorded.
func TestGateHoldTwoApprovals(t *testing.T) {
	ctx := context.Background()
	f := newGateFixture(t, gate.Hold)
	done := f.hold("DELETE FROM users WHERE id = 1")

	p, err := f.mem.WaitPending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Request.Policy.Approvals != 2 || !slices.Equal(p.Request.Policy.ReviewerGroups, []string{"dba"}) || p.Request.Policy.TTL != time.Minute {
		t.Fatalf("policy not carried: %+v", p.Request.Policy)
	}
	if _, err := f.mem.Approve(ctx, p.ID, alice, ""); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("no reason: %v", err)
	}
	if _, err := f.mem.Approve(ctx, p.ID, carol, "sure"); !errors.Is(err, ErrNotReviewer) {
		t.Fatalf("not a dba: %v", err)
	}
	if _, err := f.mem.Approve(ctx, p.ID, agent, "sure"); !errors.Is(err, ErrNotReviewer) {
		t.Fatalf("agent self: %v", err)
	}
	if v, err := f.mem.Approve(ctx, p.ID, alice, "ticket 7"); err != nil || v.State != gate.ReviewPending {
		t.Fatalf("first approval: %+v %v", v, err)
	}
	stillHeld(t, done, 50*time.Millisecond, "proceeded after one approval")
	if _, err := f.mem.Approve(ctx, p.ID, bob, "checked"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("held call: %v", err)
	}
	want := []gate.EventKind{gate.EventApprovalRequested, gate.EventApprovalReviewed, gate.EventApprovalReviewed, gate.EventApprovalApproved, gate.EventApprovalConsumed}
	if got := f.rec.kinds(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	rv := f.rec.reviewed()
	if rv[0].Reviewer.Subject != "alice" || rv[0].Reason != "ticket 7" || rv[1].Reviewer.Subject != "bob" || !rv[1].Approve {
		t.Fatalf("reviewed events %+v", rv)
	}
}

func TestGateHoldBreakGlassAndDeny(t *testing.T) {
	ctx := context.Background()
	f := newGateFixture(t, gate.Hold)
	done := f.hold("DELETE FROM users WHERE id = 1")
	p, _ := f.mem.WaitPending(ctx)
	if _, err := f.mem.Approve(ctx, p.ID, oncall, "incident 9"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rv := f.rec.reviewed(); len(rv) != 1 || !rv[0].BreakGlass {
		t.Fatalf("break-glass not recorded: %+v", rv)
	}
	done = f.hold("DELETE FROM users WHERE id = 2")
	p, _ = f.mem.WaitPending(ctx)
	f.mem.Deny(ctx, p.ID, alice, "wrong table")
	err := <-done
	if !errors.Is(err, gate.ErrDenied) {
		t.Fatalf("denied call: %v", err)
	}
}

// An approval for one statement never authorizes another.
func TestGateDigestBinding(t *testing.T) {
	ctx := context.Background()
	t.Run("refuse-then-retry", func(t *testing.T) {
		f := newGateFixture(t, gate.RefuseThenRetry)
		m, g, s := f.mem, f.gate, f.session
		one, other := "DELETE FROM users WHERE id = 1", "DELETE FROM users WHERE id = 999"
		err := check(g, s, one)
		var re *gate.RefusedError
		if !errors.As(err, &re) || !re.Pending() {
			t.Fatalf("first try: %v", err)
		}
		m.Approve(ctx, re.ApprovalID, alice, "a")
		m.Approve(ctx, re.ApprovalID, bob, "b")
		if err := check(g, s, other); !errors.Is(err, gate.ErrReviewPending) {
			t.Fatalf("other statement: %v", err)
		}
		if err := check(g, s, one); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if err := check(g, s, one); !errors.Is(err, gate.ErrReviewPending) {
			t.Fatalf("second retry reused the approval: %v", err)
		}
		// Another requester sending the same statement is another request.
		s2 := &gate.Session{Protocol: "postgres", Target: "prod", Identity: gate.Identity{Subject: "agent-2", Kind: gate.KindAgent}}
		g.OpenSession(ctx, s2)
		err = check(g, s2, other)
		if !errors.As(err, &re) {
			t.Fatal(err)
		}
		pend := m.pending()
		if len(pend) != 3 {
			t.Fatalf("%d pending", len(pend))
		}
	})
	t.Run("hold", func(t *testing.T) {
		f := newGateFixture(t, gate.Hold)
		m, g, s := f.mem, f.gate, f.session
		cctx, cancel := context.WithCancel(ctx)
		errs := make(chan error, 2)
		go func() {
			_, err := g.Check(cctx, &gate.Request{Session: s, Command: "DELETE FROM users WHERE id = 999"})
			errs <- err
		}()
		p999, _ := m.WaitPending(ctx)
		go func() { errs <- check(g, s, "DELETE FROM users WHERE id = 1") }()
		var p1 Pending
		for p1.ID == "" {
			for _, p := range m.pending() {
				if p.ID != p999.ID {
					p1 = p
				}
			}
			time.Sleep(time.Millisecond)
		}
		if p1.Request.Digest == p999.Request.Digest {
			t.Fatal("different statements share a digest")
		}
		m.Approve(ctx, p1.ID, alice, "a")
		m.Approve(ctx, p1.ID, bob, "b")
		if err := <-errs; err != nil {
			t.Fatalf("approved statement: %v", err)
		}
		select {
		case err := <-errs:
			t.Fatalf("id = 999 completed: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		cancel()
		if err := <-errs; !errors.Is(err, gate.ErrDenied) {
			t.Fatalf("withdrawn: %v", err)
		}
		if p, _ := m.Get(p999.ID); p.State != gate.ReviewWithdrawn {
			t.Fatalf("state %s", p.State)
		}
	})
}

// Many agents held at once; a scripted pair of reviewers approves the even
// ones and denies the odd ones. Every call ends as its review says.
func TestGateHoldManyConcurrent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := &Memory{}
	rec := &events{}
	g := newGate(t, m, gate.Hold, rec)
	const n = 30
	type result struct {
		i   int
		err error
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			s := &gate.Session{Protocol: "postgres", Identity: gate.Identity{Subject: fmt.Sprint("agent-", i), Kind: gate.KindAgent}}
			g.OpenSession(ctx, s)
			_, err := g.Check(ctx, &gate.Request{Session: s, Command: fmt.Sprintf("DELETE FROM t WHERE id = %d", i)})
			results <- result{i, err}
		}()
	}
	decided := map[string]bool{}
	for len(decided) < n {
		p, err := m.WaitPending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var i int
		fmt.Sscanf(p.Request.Command, "DELETE FROM t WHERE id = %d", &i)
		if i%2 == 0 {
			m.Approve(ctx, p.ID, alice, "even")
			m.Approve(ctx, p.ID, bob, "even")
		} else {
			m.Deny(ctx, p.ID, carol, "odd") // carol is no dba
			m.Deny(ctx, p.ID, bob, "odd")
		}
		decided[p.ID] = true
	}
	for range n {
		r := <-results
		if (r.i%2 == 0) != (r.err == nil) {
			t.Fatalf("request %d: %v", r.i, r.err)
		}
	}
	if rv := rec.reviewed(); len(rv) != n/2*2+n/2 {
		t.Fatalf("%d reviewed events", len(rv))
	}
}
