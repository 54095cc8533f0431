package gate_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventLog is a recorder for tests: it keeps every event and can be told
// to fail.
type eventLog struct {
	mu     sync.Mutex
	events []gate.Event
	fail   atomic.Bool
}

func (l *eventLog) Record(_ context.Context, e gate.Event) error {
	if l.fail.Load() {
		return errors.New("disk full")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	return nil
}

func (l *eventLog) kinds() []gate.EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []gate.EventKind
	for _, e := range l.events {
		out = append(out, e.Kind)
	}
	return out
}

const flowRules = `
default: deny
rules:
  - name: reads
    when: tool.name == "read"
    action: allow
  - name: deletes-need-review
    when: tool.name == "delete"
    action: review
    reason: deletes need a human
    review: {ttl: 300ms}
  - name: slow-down
    when: session.requests_last_minute >= 5 && tool.name == "burst"
    action: deny
    reason: too many requests
  - name: burst
    when: tool.name == "burst"
    action: allow
`

var reviewer = gate.Identity{Subject: "alice", Kind: gate.KindHuman}

// flowGate returns a gate on flowRules (parsed as file name) with the rest
// of cfg, and a session of agent "a" on protocol tool, not yet opened.
func flowGate(t *testing.T, name string, cfg gate.Config) (*gate.Gate, *gate.Session) {
	t.Helper()
	rs, err := gate.ParseRules(name, []byte(flowRules))
	require.NoError(t, err)
	cfg.Rules = rs
	return gate.New(cfg), &gate.Session{Protocol: "tool", Identity: gate.Identity{Subject: "a"}}
}

func newGate(t *testing.T, mode gate.ReviewMode) (*gate.Gate, *approval.Memory, *eventLog, *gate.Session) {
	t.Helper()
	rs, err := gate.ParseRules("flow.yaml", []byte(flowRules))
	require.NoError(t, err)
	mem := &approval.Memory{}
	log := &eventLog{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem, Recorder: log, ReviewMode: mode})
	s := &gate.Session{Protocol: "tool", Target: "crm", Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}}
	require.NoError(t, g.OpenSession(context.Background(), s))
	return g, mem, log, s
}

func call(s *gate.Session, name string, arg int) *gate.Request {
	return &gate.Request{Session: s, Protocol: "tool", Command: fmt.Sprintf("%s(%d)", name, arg),
		Tool: &gate.ToolCall{Kind: "call", Name: name, Args: map[string]any{"id": arg}}}
}

func TestCheckAllowDenyAndRecordFirst(t *testing.T) {
	g, _, log, s := newGate(t, gate.Hold)
	d, err := g.Check(context.Background(), call(s, "read", 1))
	require.NoError(t, err)
	assert.True(t, d.Allowed())
	assert.NotEmpty(t, d.ID)
	_, err = g.Check(context.Background(), call(s, "drop", 1))
	require.ErrorIs(t, err, gate.ErrDenied)
	assert.Equal(t, []gate.EventKind{gate.EventSessionStart, gate.EventDecision, gate.EventDecision}, log.kinds())
	st := s.Stats()
	assert.Equal(t, int64(2), st.Requests)
	assert.Equal(t, int64(1), st.Denied)
}

func TestHoldApproved(t *testing.T) {
	g, mem, log, s := newGate(t, gate.Hold)
	done := make(chan error, 1)
	go func() { _, err := g.Check(context.Background(), call(s, "delete", 1)); done <- err }()
	p, err := mem.WaitPending(ctxT(t))
	require.NoError(t, err)
	_, err = mem.Approve(context.Background(), p.ID, reviewer, "ok")
	require.NoError(t, err)
	require.NoError(t, <-done)
	assert.Equal(t, []gate.EventKind{gate.EventSessionStart, gate.EventDecision, gate.EventApprovalRequested,
		gate.EventApprovalReviewed, gate.EventApprovalApproved, gate.EventApprovalConsumed, gate.EventDecision}, log.kinds())
}

func TestHoldDeniedAndExpired(t *testing.T) {
	g, mem, _, s := newGate(t, gate.Hold)
	done := make(chan error, 1)
	go func() { _, err := g.Check(context.Background(), call(s, "delete", 1)); done <- err }()
	p, err := mem.WaitPending(ctxT(t))
	require.NoError(t, err)
	_, err = mem.Deny(context.Background(), p.ID, reviewer, "no")
	require.NoError(t, err)
	err = <-done
	require.ErrorIs(t, err, gate.ErrDenied)
	assert.Contains(t, err.Error(), "no")

	// Nobody answers: the 300ms TTL ends the hold with a deny.
	start := time.Now()
	_, err = g.Check(context.Background(), call(s, "delete", 2))
	require.ErrorIs(t, err, gate.ErrDenied)
	assert.Contains(t, err.Error(), "expired")
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestHoldWithdrawnWhenClientGivesUp(t *testing.T) {
	g, mem, log, s := newGate(t, gate.Hold)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := g.Check(ctx, call(s, "delete", 1)); done <- err }()
	p, err := mem.WaitPending(ctxT(t))
	require.NoError(t, err)
	cancel()
	require.ErrorIs(t, <-done, gate.ErrDenied)
	pend, err := mem.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, pend, "the review is withdrawn")
	_, err = mem.Approve(context.Background(), p.ID, reviewer, "too late")
	require.Error(t, err, "a withdrawn review cannot be approved")
	assert.Contains(t, log.kinds(), gate.EventApprovalWithdrawn)
}

func TestRetryModeSingleUseAndBound(t *testing.T) {
	g, mem, _, s := newGate(t, gate.RefuseThenRetry)
	_, err := g.Check(context.Background(), call(s, "delete", 1))
	var ref *gate.RefusedError
	require.ErrorAs(t, err, &ref)
	require.True(t, ref.Pending())
	_, err = mem.Approve(context.Background(), ref.ApprovalID, reviewer, "ok")
	require.NoError(t, err)

	_, err = g.Check(context.Background(), call(s, "delete", 999))
	require.ErrorIs(t, err, gate.ErrReviewPending, "an approval for id 1 never covers id 999")
	_, err = g.Check(context.Background(), call(s, "delete", 1))
	require.NoError(t, err)
	_, err = g.Check(context.Background(), call(s, "delete", 1))
	require.ErrorIs(t, err, gate.ErrReviewPending, "an approval is used once")

	// Another identity cannot spend an approval granted to this one.
	_, err = g.Check(context.Background(), call(s, "delete", 5))
	require.ErrorAs(t, err, &ref)
	_, err = mem.Approve(context.Background(), ref.ApprovalID, reviewer, "ok")
	require.NoError(t, err)
	other := &gate.Session{ID: "other", Protocol: "tool", Target: "crm", Identity: gate.Identity{Subject: "agent-2", Kind: gate.KindAgent}}
	_, err = g.Check(context.Background(), call(other, "delete", 5))
	require.ErrorIs(t, err, gate.ErrReviewPending)

	// A new rule set version invalidates approvals granted under the old one.
	rs2, err := gate.ParseRules("flow2.yaml", []byte(flowRules+"\n# v2\n"))
	require.NoError(t, err)
	g.SetRules(rs2)
	_, err = g.Check(context.Background(), call(s, "delete", 5))
	require.ErrorIs(t, err, gate.ErrReviewPending)
}

func TestFailClosed(t *testing.T) {
	t.Run("recorder down denies", func(t *testing.T) {
		g, _, log, s := newGate(t, gate.Hold)
		log.fail.Store(true)
		d, err := g.Check(context.Background(), call(s, "read", 1))
		require.ErrorIs(t, err, gate.ErrDenied)
		assert.Equal(t, "gate", d.Rule)
		assert.Contains(t, d.Errors[0], "disk full")
		assert.NotContains(t, err.Error(), "disk full")
	})
	t.Run("recorder down refuses sessions", func(t *testing.T) {
		log := &eventLog{}
		log.fail.Store(true)
		g := gate.New(gate.Config{Recorder: log})
		require.Error(t, g.OpenSession(context.Background(), &gate.Session{Protocol: "tool"}))
	})
	t.Run("fail open is explicit and marked", func(t *testing.T) {
		log := &eventLog{}
		g, s := flowGate(t, "f.yaml", gate.Config{Recorder: log, FailOpen: true})
		require.NoError(t, g.OpenSession(context.Background(), s))
		assert.True(t, log.events[0].Session.FailOpen, "the record says the session ran fail-open")
		log.fail.Store(true)
		d, err := g.Check(context.Background(), call(s, "read", 1))
		require.NoError(t, err)
		assert.True(t, d.FailOpen)
	})
	t.Run("no approver denies reviews", func(t *testing.T) {
		g, s := flowGate(t, "f.yaml", gate.Config{})
		_, err := g.Check(context.Background(), call(s, "delete", 1))
		require.ErrorIs(t, err, gate.ErrDenied)
	})
	t.Run("dead approver denies", func(t *testing.T) {
		g, s := flowGate(t, "f.yaml", gate.Config{Approver: deadApprover{}})
		d, err := g.Check(context.Background(), call(s, "delete", 1))
		require.ErrorIs(t, err, gate.ErrDenied)
		assert.Contains(t, d.Errors[len(d.Errors)-1], "connection refused")
	})
	t.Run("no session denies", func(t *testing.T) {
		g, _, _, _ := newGate(t, gate.Hold)
		_, err := g.Check(context.Background(), &gate.Request{Protocol: "tool", Tool: &gate.ToolCall{Name: "read"}})
		require.ErrorIs(t, err, gate.ErrDenied)
	})
	t.Run("no rules deny", func(t *testing.T) {
		g := gate.New(gate.Config{})
		s := &gate.Session{Protocol: "tool", Identity: gate.Identity{Subject: "a"}}
		_, err := g.Check(context.Background(), call(s, "read", 1))
		require.ErrorIs(t, err, gate.ErrDenied)
	})
}

// deadApprover is an approver whose backend is unreachable.
type deadApprover struct{}

var errDead = errors.New("dial tcp 127.0.0.1:1: connection refused")

func (deadApprover) Submit(context.Context, gate.ReviewRequest) (string, error) { return "", errDead }
func (deadApprover) Await(context.Context, string) (gate.Verdict, error) {
	return gate.Verdict{}, errDead
}
func (deadApprover) Withdraw(context.Context, string) error { return errDead }
func (deadApprover) Redeem(context.Context, string) (gate.Verdict, error) {
	return gate.Verdict{}, errDead
}

func TestSessionCountersInRules(t *testing.T) {
	g, _, _, s := newGate(t, gate.Hold)
	for i := 0; i < 5; i++ {
		_, err := g.Check(context.Background(), call(s, "burst", i))
		require.NoError(t, err, "request %d", i)
	}
	_, err := g.Check(context.Background(), call(s, "burst", 6))
	require.ErrorIs(t, err, gate.ErrDenied)
	assert.Contains(t, err.Error(), "too many requests")
}

func TestConcurrentChecksAndHotSwap(t *testing.T) {
	g, _, log, s := newGate(t, gate.Hold)
	rsDeny, err := gate.ParseRules("deny.yaml", []byte("default: deny\nrules: []\n"))
	require.NoError(t, err)
	rsAllow, err := gate.ParseRules("allow.yaml", []byte(flowRules))
	require.NoError(t, err)
	var wg sync.WaitGroup
	var allowed, denied atomic.Int64
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess := s
			if i%2 == 0 {
				sess = &gate.Session{ID: fmt.Sprint("s", i), Protocol: "tool", Identity: gate.Identity{Subject: "agent"}}
			}
			d, err := g.Check(context.Background(), call(sess, "read", i))
			if err == nil {
				allowed.Add(1)
				if d.RuleSetVersion != rsAllow.Version() {
					t.Errorf("allowed under %s", d.RuleSetVersion)
				}
			} else {
				denied.Add(1)
			}
		}()
		if i%100 == 0 {
			if i%200 == 0 {
				g.SetRules(rsDeny)
			} else {
				g.SetRules(rsAllow)
			}
		}
	}
	wg.Wait()
	assert.Equal(t, int64(1000), allowed.Load()+denied.Load())
	assert.Len(t, log.kinds(), 1001)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
