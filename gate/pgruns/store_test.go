package pgruns_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/pgruns"
	"github.com/airlock-sdk/airlock/gate/runstoretest"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.Pool(t, "pgruns")
	require.NoError(t, pgruns.Migrate(context.Background(), pool, pgruns.Options{}))
	return pool
}

func TestConformance(t *testing.T) {
	pool := newPool(t)
	runstoretest.Run(t, func(t testing.TB) gate.RunStore {
		// Migrate again on every store: it is idempotent.
		return pgtest.Store(t, pool, pgruns.Options{}, pgruns.Migrate, pgruns.New)
	})
}

const rules = `
default: deny
rules:
  - name: read-customers
    when: tool.name == "read_customers"
    action: allow
    labels: [pii]
  - name: post
    when: tool.name == "post"
    action: allow
  - name: no-egress-after-pii
    when: tool.name == "post" && "pii" in run.labels
    action: review
    reason: this run read personal data
  - name: five-requests-a-minute
    when: run.requests_last_minute >= 5
    action: deny
    reason: budget spent
`

// Two replicas of a gateway share one database: a label one gives stops
// egress through the other, and the budget counts both.
func TestReplicasShareLabelsAndBudgets(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	rs, err := gate.ParseRules("rules.yaml", []byte(rules))
	require.NoError(t, err)
	replica := func() *gate.Gate {
		s, err := pgruns.New(pool, pgruns.Options{})
		require.NoError(t, err)
		return gate.New(gate.Config{Rules: rs, ReviewMode: gate.RefuseThenRetry, Runs: &gate.RunConfig{Store: s}})
	}
	a, b := replica(), replica()
	open := func(g *gate.Gate, run string) *gate.Conn {
		// One identity per run: labels of a client-named run are its
		// identity's too (gate.RunConfig.TrustClientRuns).
		c, err := g.Open(ctx, gate.Session{Protocol: "tool", Run: run, Identity: gate.Identity{Subject: "agent-of-" + run}})
		require.NoError(t, err)
		return c
	}
	call := func(name string) *gate.Request {
		return &gate.Request{Command: name, Tool: &gate.ToolCall{Kind: "call", Name: name}}
	}

	onA, onB := open(a, "run-1"), open(b, "run-1")
	_, err = onB.Check(ctx, call("post"))
	require.NoError(t, err, "egress before the read")
	_, err = onA.Check(ctx, call("read_customers"))
	require.NoError(t, err)
	d, err := onB.Check(ctx, call("post"))
	require.Error(t, err, "the label replica A gave holds egress on replica B")
	require.Equal(t, "no-egress-after-pii", d.Rule)

	// Budget: five requests a minute per run, whichever replica they reach.
	x, y := open(a, "run-2"), open(b, "run-2")
	for i := range 5 {
		c := x
		if i%2 == 1 {
			c = y
		}
		_, err := c.Check(ctx, call("post"))
		require.NoError(t, err, "request %d", i+1)
	}
	d, err = y.Check(ctx, call("post"))
	require.ErrorIs(t, err, gate.ErrDenied, "the sixth request across both replicas")
	require.Equal(t, "five-requests-a-minute", d.Rule)
}
