package tool_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/protocols/tool"
	"github.com/airlock-sdk/airlock/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const rules = `
default: deny
rules:
  - name: reads
    when: tool.name.startsWith("get_")
    action: allow
  - name: no-bulk-delete
    when: tool.name == "delete_customers"
    action: deny
    reason: bulk deletes are not for agents
  - name: single-delete-needs-review
    when: tool.name == "delete_customer"
    action: review
    reason: deleting a customer needs a human
  - name: mask-customer-data
    when: identity.kind == "agent"
    mask: [credit_card, email]
`

type getArgs struct {
	ID int `json:"id"`
}

type customer struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Card  string `json:"card"`
	// CardNumber is a card held as a number: it must not survive masking.
	CardNumber int64 `json:"card_number"`
}

type fixture struct {
	g    *gate.Gate
	mem  *approval.Memory
	rec  *record.Memory
	ctx  context.Context
	conn *gate.Conn
	s    *gate.Session
}

func newFixture(t *testing.T, mode gate.ReviewMode) *fixture {
	t.Helper()
	rs, err := gate.ParseRules("rules.yaml", []byte(rules))
	require.NoError(t, err)
	f := &fixture{mem: &approval.Memory{}, rec: &record.Memory{}}
	f.g = gate.New(gate.Config{Rules: rs, Approver: f.mem, Recorder: f.rec, ReviewMode: mode})
	f.conn, err = f.g.Open(context.Background(), gate.Session{Protocol: gate.ProtocolTool, Target: "crm", Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}})
	require.NoError(t, err)
	f.s = f.conn.Session()
	f.ctx = f.conn.Context(context.Background())
	return f
}

var alice = gate.Identity{Subject: "alice", Name: "Alice", Kind: gate.KindHuman}

func TestAllowedCallIsMaskedAndRecorded(t *testing.T) {
	f := newFixture(t, gate.Hold)
	get := tool.Wrap("get_customer", func(ctx context.Context, a getArgs) (customer, error) {
		return customer{ID: a.ID, Name: "Ada", Email: "ada@example.com", Card: "4111 1111 1111 1111", CardNumber: 4111111111111111}, nil
	})
	c, err := get(f.ctx, getArgs{ID: 7})
	require.NoError(t, err)
	assert.Equal(t, 7, c.ID)
	assert.Equal(t, "Ada", c.Name)
	assert.NotContains(t, c.Email, "ada@example.com")
	assert.NotContains(t, c.Card, "4111")
	assert.Zero(t, c.CardNumber, "a card held as a JSON number must not survive")

	evs := f.rec.GateEvents(f.s.ID)
	var out *gate.Output
	for _, e := range evs {
		if e.Kind == gate.EventOutput {
			out = e.Output
		}
	}
	require.NotNil(t, out, "the result is recorded")
	assert.NotContains(t, string(out.Data), "4111111111111111")
	assert.NotContains(t, string(out.Data), "ada@example.com")
	assert.NotEmpty(t, out.Findings)
}

func TestDeniedCallNeverRuns(t *testing.T) {
	f := newFixture(t, gate.Hold)
	ran := false
	del := tool.Wrap("delete_customers", func(ctx context.Context, a struct{ Filter string }) (int, error) {
		ran = true
		return 0, nil
	})
	_, err := del(f.ctx, struct{ Filter string }{"all"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, gate.ErrDenied))
	assert.False(t, ran)
	assert.Equal(t, `airlock: denied by rule "no-bulk-delete": bulk deletes are not for agents`, err.Error())
}

func TestHeldCallApprovedAndDenied(t *testing.T) {
	f := newFixture(t, gate.Hold)
	calls := 0
	del := tool.Wrap("delete_customer", func(ctx context.Context, a getArgs) (string, error) {
		calls++
		return "deleted", nil
	})
	for _, approve := range []bool{true, false} {
		done := make(chan error, 1)
		go func() {
			_, err := del(f.ctx, getArgs{ID: 1})
			done <- err
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		p, err := f.mem.WaitPending(ctx)
		cancel()
		require.NoError(t, err)
		assert.Contains(t, p.Request.Command, "delete_customer")
		if approve {
			_, err = f.mem.Approve(context.Background(), p.ID, alice, "ticket 42")
		} else {
			_, err = f.mem.Deny(context.Background(), p.ID, alice, "not today")
		}
		require.NoError(t, err)
		err = <-done
		if approve {
			require.NoError(t, err)
		} else {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not today")
		}
	}
	assert.Equal(t, 1, calls, "only the approved call ran")
}

func TestRefuseThenRetryRunsOnce(t *testing.T) {
	f := newFixture(t, gate.RefuseThenRetry)
	calls := 0
	del := tool.Wrap("delete_customer", func(ctx context.Context, a getArgs) (string, error) {
		calls++
		return "deleted", nil
	})
	_, err := del(f.ctx, getArgs{ID: 1})
	var refused *gate.RefusedError
	require.ErrorAs(t, err, &refused)
	require.True(t, refused.Pending())
	assert.True(t, errors.Is(err, gate.ErrReviewPending))
	assert.Contains(t, err.Error(), refused.ApprovalID)

	// Retrying before approval is still pending, with the same id.
	_, err = del(f.ctx, getArgs{ID: 1})
	var again *gate.RefusedError
	require.ErrorAs(t, err, &again)
	assert.Equal(t, refused.ApprovalID, again.ApprovalID)

	_, err = f.mem.Approve(context.Background(), refused.ApprovalID, alice, "ok")
	require.NoError(t, err)
	// A different payload is not covered by the approval.
	_, err = del(f.ctx, getArgs{ID: 999})
	require.ErrorIs(t, err, gate.ErrReviewPending)
	// The identical request succeeds exactly once.
	_, err = del(f.ctx, getArgs{ID: 1})
	require.NoError(t, err)
	_, err = del(f.ctx, getArgs{ID: 1})
	require.ErrorIs(t, err, gate.ErrReviewPending)
	assert.Equal(t, 1, calls)
}

func TestNoSessionIsRefused(t *testing.T) {
	f := newFixture(t, gate.Hold)
	ran := false
	get := tool.Wrap("get_customer", func(ctx context.Context, a getArgs) (customer, error) {
		ran = true
		return customer{}, nil
	})
	_, err := get(context.Background(), getArgs{})
	require.ErrorIs(t, err, tool.ErrNoSession)
	// A session without its handle is not enough: the handle is what checks.
	_, err = get(gate.WithSession(context.Background(), f.s), getArgs{})
	require.ErrorIs(t, err, tool.ErrNoSession)
	assert.False(t, ran)
}

func TestRecorderFailureFailsClosed(t *testing.T) {
	f := newFixture(t, gate.Hold)
	ran := false
	get := tool.Wrap("get_customer", func(ctx context.Context, a getArgs) (customer, error) {
		ran = true
		return customer{}, nil
	})
	f.rec.SetErr(errors.New("disk full"))
	_, err := get(f.ctx, getArgs{ID: 1})
	require.ErrorIs(t, err, gate.ErrDenied)
	assert.False(t, ran)
	assert.NotContains(t, err.Error(), "disk full", "internal errors stay out of the model's view")
}

func TestToolErrorIsMasked(t *testing.T) {
	f := newFixture(t, gate.Hold)
	get := tool.Wrap("get_customer", func(ctx context.Context, a getArgs) (customer, error) {
		return customer{}, errors.New("upstream said: card 5500 0000 0000 0004 is blocked")
	})
	_, err := get(f.ctx, getArgs{ID: 1})
	var ce *tool.CallError
	require.ErrorAs(t, err, &ce)
	assert.NotContains(t, err.Error(), "5500 0000 0000 0004")
	assert.True(t, strings.Contains(err.Error(), "blocked"))
}

func TestArgsVisibleToRules(t *testing.T) {
	rs, err := gate.ParseRules("r.yaml", []byte(`
rules:
  - name: small-refunds
    when: tool.name == "refund" && tool.args.amount <= 100.0 && tool.args.currency == "EUR"
    action: allow
`))
	require.NoError(t, err)
	g := gate.New(gate.Config{Rules: rs})
	conn, err := g.Open(context.Background(), gate.Session{Protocol: "tool", Identity: gate.Identity{Subject: "a"}})
	require.NoError(t, err)
	ctx := conn.Context(context.Background())
	type refundArgs struct {
		Amount   float64 `json:"amount"`
		Currency string  `json:"currency"`
	}
	refund := tool.Wrap("refund", func(ctx context.Context, a refundArgs) (bool, error) { return true, nil })
	ok, err := refund(ctx, refundArgs{Amount: 50, Currency: "EUR"})
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = refund(ctx, refundArgs{Amount: 5000, Currency: "EUR"})
	require.ErrorIs(t, err, gate.ErrDenied)
}

// openFailing opens agent-1's session on a gate with the test rules whose
// recorder keeps events in rec until it has seen n of them, then fails
// every event.
func openFailing(t *testing.T, rec *record.Memory, n int64) *gate.Conn {
	t.Helper()
	rs, err := gate.ParseRules("rules.yaml", []byte(rules))
	require.NoError(t, err)
	failing := &gatetest.FailingRecorder{Next: rec}
	failing.FailAfter(n)
	g := gate.New(gate.Config{Rules: rs, Recorder: failing})
	conn, err := g.Open(context.Background(), gate.Session{Protocol: gate.ProtocolTool, Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}})
	require.NoError(t, err)
	return conn
}

// TestRecordingFailureMidResultEndsTheSession: when the recorder fails on a
// result, the caller receives nothing unrecorded (no result, no masked
// error message), and the session refuses every later call without running
// the tool.
func TestRecordingFailureMidResultEndsTheSession(t *testing.T) {
	rec := &record.Memory{}
	// session start, decision and result of the first call, decision of the
	// second: its result is the first event that fails.
	conn := openFailing(t, rec, 4)
	ctx := conn.Context(context.Background())
	calls := 0
	get := tool.Wrap("get_customer", func(ctx context.Context, a getArgs) (customer, error) {
		calls++
		if a.ID == 3 {
			return customer{}, errors.New("customer 3 is locked")
		}
		return customer{ID: a.ID, Name: "Ada"}, nil
	})
	c, err := get(ctx, getArgs{ID: 1})
	require.NoError(t, err)
	assert.Equal(t, "Ada", c.Name)

	c, err = get(ctx, getArgs{ID: 2})
	require.ErrorIs(t, err, gate.ErrSessionEnded)
	assert.Zero(t, c, "an unrecorded result is never returned")
	assert.NotContains(t, err.Error(), "Ada")
	assert.NotContains(t, err.Error(), "disk full", "internal errors stay out of the model's view")
	require.ErrorIs(t, conn.Err(), gate.ErrSessionEnded)
	select {
	case <-conn.Done():
	default:
		t.Fatal("the session is not ended")
	}

	for _, id := range []int{1, 3} {
		_, err = get(ctx, getArgs{ID: id})
		require.ErrorIs(t, err, gate.ErrDenied, "a broken session refuses every call")
		require.ErrorIs(t, err, gate.ErrSessionEnded)
		assert.NotContains(t, err.Error(), "disk full", "why the session broke stays out of the model's view")
		var ce *tool.CallError
		assert.False(t, errors.As(err, &ce))
	}
	assert.Equal(t, 2, calls, "the tool never runs on a broken session")

	var outputs []string
	for _, e := range rec.GateEvents(conn.Session().ID) {
		if e.Kind == gate.EventOutput {
			outputs = append(outputs, string(e.Output.Data))
		}
	}
	require.Len(t, outputs, 1, "only the first result was recorded")
	assert.Contains(t, outputs[0], "Ada")
}

// TestRecordingFailureOnErrorMessage: a tool's error message that cannot be
// recorded does not reach the caller either.
func TestRecordingFailureOnErrorMessage(t *testing.T) {
	conn := openFailing(t, &record.Memory{}, 2)
	get := tool.Wrap("get_customer", func(ctx context.Context, a getArgs) (customer, error) {
		return customer{}, errors.New("customer Ada is locked")
	})
	_, err := get(conn.Context(context.Background()), getArgs{ID: 1})
	require.ErrorIs(t, err, gate.ErrSessionEnded)
	var ce *tool.CallError
	assert.False(t, errors.As(err, &ce))
	assert.NotContains(t, err.Error(), "Ada")
}
