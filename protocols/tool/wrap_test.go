package tool_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
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
	g   *gate.Gate
	mem *approval.Memory
	rec *record.Memory
	ctx context.Context
	s   *gate.Session
}

func newFixture(t *testing.T, mode gate.ReviewMode) *fixture {
	t.Helper()
	rs, err := gate.ParseRules("rules.yaml", []byte(rules))
	require.NoError(t, err)
	f := &fixture{mem: &approval.Memory{}, rec: &record.Memory{}}
	f.g = gate.New(gate.Config{Rules: rs, Approver: f.mem, Recorder: f.rec, ReviewMode: mode})
	f.s = &gate.Session{Protocol: gate.ProtocolTool, Target: "crm", Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}}
	require.NoError(t, f.g.OpenSession(context.Background(), f.s))
	f.ctx = gate.WithSession(context.Background(), f.s)
	return f
}

var alice = gate.Identity{Subject: "alice", Name: "Alice", Kind: gate.KindHuman}

func TestAllowedCallIsMaskedAndRecorded(t *testing.T) {
	f := newFixture(t, gate.Hold)
	get := tool.Wrap(f.g, "get_customer", func(ctx context.Context, a getArgs) (customer, error) {
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
	del := tool.Wrap(f.g, "delete_customers", func(ctx context.Context, a struct{ Filter string }) (int, error) {
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
	del := tool.Wrap(f.g, "delete_customer", func(ctx context.Context, a getArgs) (string, error) {
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
	del := tool.Wrap(f.g, "delete_customer", func(ctx context.Context, a getArgs) (string, error) {
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
	get := tool.Wrap(f.g, "get_customer", func(ctx context.Context, a getArgs) (customer, error) { return customer{}, nil })
	_, err := get(context.Background(), getArgs{})
	require.ErrorIs(t, err, tool.ErrNoSession)
}

func TestRecorderFailureFailsClosed(t *testing.T) {
	f := newFixture(t, gate.Hold)
	ran := false
	get := tool.Wrap(f.g, "get_customer", func(ctx context.Context, a getArgs) (customer, error) {
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
	get := tool.Wrap(f.g, "get_customer", func(ctx context.Context, a getArgs) (customer, error) {
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
	s := &gate.Session{Protocol: "tool", Identity: gate.Identity{Subject: "a"}}
	require.NoError(t, g.OpenSession(context.Background(), s))
	ctx := gate.WithSession(context.Background(), s)
	type refundArgs struct {
		Amount   float64 `json:"amount"`
		Currency string  `json:"currency"`
	}
	refund := tool.Wrap(g, "refund", func(ctx context.Context, a refundArgs) (bool, error) { return true, nil })
	ok, err := refund(ctx, refundArgs{Amount: 50, Currency: "EUR"})
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = refund(ctx, refundArgs{Amount: 5000, Currency: "EUR"})
	require.ErrorIs(t, err, gate.ErrDenied)
}
