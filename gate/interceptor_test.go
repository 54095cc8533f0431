package gate_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const interceptRules = `
default: deny
rules:
  - name: owners-may-read
    when: tool.name == "read" && identity.claims.owner_team == "payments"
    action: allow
`

func interceptGate(t *testing.T, ics ...gate.Interceptor) (*gate.Gate, *eventLog, *gate.Session) {
	t.Helper()
	rs, err := gate.ParseRules("i.yaml", []byte(interceptRules))
	require.NoError(t, err)
	log := &eventLog{}
	g := gate.New(gate.Config{Rules: rs, Recorder: log, Interceptors: ics})
	s := &gate.Session{Protocol: "tool", Target: "payments-db", Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}}
	require.NoError(t, g.OpenSession(context.Background(), s))
	return g, log, s
}

// An interceptor enriches the request before the rules read it.
func TestInterceptorEnriches(t *testing.T) {
	cmdb := map[string]string{"payments-db": "payments"}
	enrich := func(next gate.Decider) gate.Decider {
		return gate.DeciderFunc(func(ctx context.Context, req *gate.Request) *gate.Decision {
			req.Session.Identity.Claims = map[string]any{"owner_team": cmdb[req.Session.Target]}
			return next.Decide(ctx, req)
		})
	}
	g, _, s := interceptGate(t, enrich)
	d, err := g.Check(context.Background(), call(s, "read", 1))
	require.NoError(t, err)
	assert.Equal(t, "owners-may-read", d.Rule)

	plain, _, s2 := interceptGate(t)
	_, err = plain.Check(context.Background(), call(s2, "read", 1))
	assert.ErrorIs(t, err, gate.ErrDenied, "without the interceptor the rule cannot match")
}

// A refusal by an interceptor is a decision like any other: recorded,
// counted in session.denied, never forwarded.
func TestInterceptorRefusalIsRecordedAndCounted(t *testing.T) {
	limit := func(next gate.Decider) gate.Decider {
		return gate.DeciderFunc(func(ctx context.Context, req *gate.Request) *gate.Decision {
			if req.Session.Stats().Requests >= 2 {
				return &gate.Decision{Action: gate.Deny, Rule: "rate-limit", Reason: "too many requests"}
			}
			return next.Decide(ctx, req)
		})
	}
	g, log, s := interceptGate(t, limit)
	for i := range 2 {
		_, _ = g.Check(context.Background(), call(s, "read", i))
	}
	d, err := g.Check(context.Background(), call(s, "read", 9))
	require.ErrorIs(t, err, gate.ErrDenied)
	assert.Equal(t, "rate-limit", d.Rule)
	assert.NotEmpty(t, d.ID)
	assert.False(t, d.Time.IsZero())
	assert.Equal(t, int64(3), s.Stats().Denied, "the two unenriched reads and the rate-limited one")
	var last gate.Event
	for _, e := range log.events {
		if e.Kind == gate.EventDecision {
			last = e
		}
	}
	require.NotNil(t, last.Decision)
	assert.Equal(t, "rate-limit", last.Decision.Rule, "the refusal is in the record")
}

// Interceptors run first-outermost; a nil decision, an unknown action or a
// panic denies.
func TestInterceptorOrderAndFailures(t *testing.T) {
	var order []string
	tag := func(name string) gate.Interceptor {
		return func(next gate.Decider) gate.Decider {
			return gate.DeciderFunc(func(ctx context.Context, req *gate.Request) *gate.Decision {
				order = append(order, name)
				return next.Decide(ctx, req)
			})
		}
	}
	g, _, s := interceptGate(t, tag("outer"), tag("inner"))
	_, _ = g.Check(context.Background(), call(s, "read", 1))
	assert.Equal(t, []string{"outer", "inner"}, order)

	for name, ic := range map[string]gate.Interceptor{
		"nil": func(gate.Decider) gate.Decider {
			return gate.DeciderFunc(func(context.Context, *gate.Request) *gate.Decision { return nil })
		},
		"panic": func(gate.Decider) gate.Decider {
			return gate.DeciderFunc(func(context.Context, *gate.Request) *gate.Decision { panic("cmdb down") })
		},
		"bad action": func(gate.Decider) gate.Decider {
			return gate.DeciderFunc(func(context.Context, *gate.Request) *gate.Decision {
				return &gate.Decision{Action: "maybe"}
			})
		},
	} {
		t.Run(name, func(t *testing.T) {
			g, _, s := interceptGate(t, ic)
			d, err := g.Check(context.Background(), call(s, "read", 1))
			require.ErrorIs(t, err, gate.ErrDenied)
			assert.Equal(t, "gate", d.Rule)
			assert.NotEmpty(t, d.Errors)
		})
	}
}

// Interceptors wrap the rules: here one enriches requests from a CMDB and
// another refuses a session that sends too much, before any rule runs. Both
// outcomes are ordinary decisions: recorded, counted and metered.
func ExampleInterceptor() {
	rules, _ := gate.ParseRules("rules.yaml", []byte(`
rules:
  - name: owners-may-read
    when: tool.name == "read" && identity.claims.owner_team == "payments"
    action: allow
`))
	cmdb := map[string]string{"payments-db": "payments"}
	enrich := func(next gate.Decider) gate.Decider {
		return gate.DeciderFunc(func(ctx context.Context, req *gate.Request) *gate.Decision {
			req.Session.Identity.Claims = map[string]any{"owner_team": cmdb[req.Session.Target]}
			return next.Decide(ctx, req)
		})
	}
	rateLimit := func(next gate.Decider) gate.Decider {
		return gate.DeciderFunc(func(ctx context.Context, req *gate.Request) *gate.Decision {
			if req.Session.Stats().Requests >= 2 {
				return &gate.Decision{Action: gate.Deny, Rule: "rate-limit", Reason: "slow down"}
			}
			return next.Decide(ctx, req)
		})
	}
	g := gate.New(gate.Config{Rules: rules, Interceptors: []gate.Interceptor{rateLimit, enrich}})
	conn, _ := g.Open(context.Background(), gate.Session{Protocol: "tool", Target: "payments-db", Identity: gate.Identity{Subject: "agent-1"}})
	for i := range 3 {
		d, _ := conn.Check(context.Background(), &gate.Request{Command: fmt.Sprint("read ", i), Tool: &gate.ToolCall{Name: "read"}})
		fmt.Println(d.Action, d.Rule)
	}
	// Output:
	// allow owners-may-read
	// allow owners-may-read
	// deny rate-limit
}
