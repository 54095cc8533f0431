package approval_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const grantRules = `
default: allow
rules:
  - name: writes-need-review
    when: request.protocol == "postgres" && sql.statements.exists(s, !s.read_only)
    action: review
    review: {max_grant: 1h}
  - name: no-drop
    when: request.protocol == "postgres" && sql.statements.exists(s, s.kind == "DROP")
    action: deny
    reason: drops go through migrations
  - name: no-truncate-on-a-grant
    when: >-
      request.protocol == "postgres" && sql.statements.exists(s, s.kind == "TRUNCATE") &&
      session.grants.exists(g, "writes-need-review" in g.rules)
    action: deny
`

// grantStore is what these tests need of an approver with grants.
type grantStore interface {
	gate.Approver
	approval.Granter
}

func grantGate(t *testing.T, ap grantStore) *gate.Gate {
	t.Helper()
	rs, err := gate.ParseRules("grants.yaml", []byte(grantRules))
	require.NoError(t, err)
	return gate.New(gate.Config{Rules: rs, Approver: ap, ReviewMode: gate.RefuseThenRetry})
}

func grantSession(t *testing.T, g *gate.Gate, who gate.Identity) *gate.Session {
	t.Helper()
	s := &gate.Session{Protocol: "postgres", Target: "prod", Identity: who}
	require.NoError(t, g.OpenSession(context.Background(), s))
	return s
}

// holdAll holds every request for review.
const holdAll = `
rules:
  - name: hold
    when: "true"
    action: review
`

// holdAllGate is a gate that holds every request on ap (refuse, then
// retry), and a session of agent-7 on it.
func holdAllGate(t *testing.T, ap gate.Approver) (*gate.Gate, *gate.Session) {
	t.Helper()
	rs, err := gate.ParseRules("hold-all.yaml", []byte(holdAll))
	require.NoError(t, err)
	g := gate.New(gate.Config{Rules: rs, Approver: ap, ReviewMode: gate.RefuseThenRetry})
	return g, grantSession(t, g, gate.Identity{Subject: "agent-7", Kind: gate.KindAgent})
}

func sqlReq(s *gate.Session, kind, text string) *gate.Request {
	return &gate.Request{Session: s, Protocol: "postgres", Command: text,
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: kind, Text: text, ReadOnly: kind == "SELECT"}}}}
}

// outcome runs one request and says what became of it: "allow", "grant"
// (allowed by a grant), "held" or "deny".
func outcome(t *testing.T, g *gate.Gate, req *gate.Request) (string, *gate.Decision, string) {
	t.Helper()
	d, err := g.Check(context.Background(), req)
	var re *gate.RefusedError
	switch {
	case err == nil && d.Grant != "":
		return "grant", d, ""
	case err == nil:
		return "allow", d, ""
	case errors.As(err, &re) && re.Pending():
		return "held", d, re.ApprovalID
	case errors.Is(err, gate.ErrDenied):
		return "deny", d, ""
	}
	t.Fatalf("check: %v", err)
	return "", nil, ""
}

// grantFlow proves the grant life cycle against one or two gates sharing
// the approver's store: gates[0] holds, a reviewer approves with a grant
// through reviewers[0], gates[len-1] then allows, and a revocation through
// reviewers[len-1] holds again everywhere.
func grantFlow(t *testing.T, gates []*gate.Gate, reviewers []approval.Granter) {
	ctx := context.Background()
	g0, gN := gates[0], gates[len(gates)-1]
	r0, rN := reviewers[0], reviewers[len(reviewers)-1]
	agent := gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}
	alice := gate.Identity{Subject: "alice", Kind: gate.KindHuman}
	s0, sN := grantSession(t, g0, agent), grantSession(t, gN, agent)

	// Before any grant, TRUNCATE is merely held: the rule that reads
	// session.grants does not match.
	got, _, _ := outcome(t, g0, sqlReq(s0, "TRUNCATE", "TRUNCATE t"))
	require.Equal(t, "held", got)

	got, _, id := outcome(t, g0, sqlReq(s0, "INSERT", "INSERT INTO t VALUES (1, 'a')"))
	require.Equal(t, "held", got)
	// A grant beyond the rule's max_grant is refused and changes nothing.
	_, err := r0.ApproveGrant(ctx, id, alice, "too long", gate.GrantSpec{TTL: 2 * time.Hour, Scope: gate.GrantShape})
	require.ErrorIs(t, err, gate.ErrGrantNotAllowed)
	v, err := r0.ApproveGrant(ctx, id, alice, "ticket 42", gate.GrantSpec{TTL: 30 * time.Minute, Uses: 2, Scope: gate.GrantShape})
	require.NoError(t, err)
	require.Equal(t, gate.ReviewApproved, v.State)
	require.NotNil(t, v.Grant)
	assert.Equal(t, gate.GrantShape, v.Grant.Scope)
	assert.Equal(t, []string{"writes-need-review"}, v.Grant.Rules)

	// The approved request itself goes through once, by its approval.
	got, _, _ = outcome(t, g0, sqlReq(s0, "INSERT", "INSERT INTO t VALUES (1, 'a')"))
	require.Equal(t, "allow", got)

	// Same shape, other literals, on the other gate: allowed by the grant,
	// twice (its uses), without a review.
	for _, sql := range []string{"INSERT INTO t VALUES (2, 'b')", "insert_placeholder"} {
		if sql == "insert_placeholder" {
			sql = "INSERT  INTO t VALUES (3, 'it''s') /* reason: backfill */"
		}
		got, d, _ := outcome(t, gN, sqlReq(sN, "INSERT", sql))
		require.Equal(t, "grant", got, sql)
		assert.Equal(t, v.Grant.ID, d.Grant)
	}
	// Uses spent: held again.
	got, _, _ = outcome(t, gN, sqlReq(sN, "INSERT", "INSERT INTO t VALUES (4, 'd')"))
	require.Equal(t, "held", got)

	// A second grant, scope any, no use bound.
	_, _, id = outcome(t, g0, sqlReq(s0, "UPDATE", "UPDATE t SET x = 1 WHERE id = 9"))
	v, err = r0.ApproveGrant(ctx, id, alice, "incident 7", gate.GrantSpec{Scope: gate.GrantAny})
	require.NoError(t, err)
	require.NotNil(t, v.Grant)
	assert.WithinDuration(t, time.Now().Add(time.Hour), v.Grant.ExpiresAt, time.Minute, "no TTL asked: the rule's max_grant")

	got, _, _ = outcome(t, gN, sqlReq(sN, "DELETE", "DELETE FROM other WHERE id = 1"))
	require.Equal(t, "grant", got, "scope any covers every request the rule holds")
	// A deny rule still wins over a grant.
	got, d, _ := outcome(t, gN, sqlReq(sN, "DROP", "DROP TABLE t"))
	require.Equal(t, "deny", got)
	assert.Equal(t, "no-drop", d.Rule)
	// Rules see the grant: TRUNCATE is now denied outright.
	got, d, _ = outcome(t, gN, sqlReq(sN, "TRUNCATE", "TRUNCATE t"))
	require.Equal(t, "deny", got)
	assert.Equal(t, "no-truncate-on-a-grant", d.Rule)
	// Another identity gets nothing from it.
	other := grantSession(t, gN, gate.Identity{Subject: "agent-8", Kind: gate.KindAgent})
	got, _, _ = outcome(t, gN, sqlReq(other, "DELETE", "DELETE FROM other WHERE id = 1"))
	require.Equal(t, "held", got)

	// Revoked through the other replica: held again at once.
	require.NoError(t, rN.RevokeGrant(ctx, v.Grant.ID, alice))
	got, _, _ = outcome(t, gN, sqlReq(sN, "DELETE", "DELETE FROM other WHERE id = 2"))
	require.Equal(t, "held", got)

	list, err := rN.Grants(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.NotNil(t, list[0].RevokedAt, "newest first, and revoked")
	assert.Equal(t, 2, list[1].Uses)

	// A short grant ends with its TTL.
	_, _, id = outcome(t, g0, sqlReq(s0, "INSERT", "INSERT INTO z VALUES (1)"))
	_, err = r0.ApproveGrant(ctx, id, alice, "brief", gate.GrantSpec{TTL: 300 * time.Millisecond, Scope: gate.GrantExact})
	require.NoError(t, err)
	outcome(t, g0, sqlReq(s0, "INSERT", "INSERT INTO z VALUES (1)")) // the approval itself
	got, _, _ = outcome(t, gN, sqlReq(sN, "INSERT", "INSERT INTO z VALUES (1)"))
	require.Equal(t, "grant", got, "exact scope: the identical request")
	got, _, _ = outcome(t, gN, sqlReq(sN, "INSERT", "INSERT INTO z VALUES (2)"))
	require.Equal(t, "held", got, "exact scope: not another value")
	time.Sleep(400 * time.Millisecond)
	got, _, _ = outcome(t, gN, sqlReq(sN, "INSERT", "INSERT INTO z VALUES (1)"))
	require.Equal(t, "held", got, "expired")
}

func TestGrantLifeCycleMemory(t *testing.T) {
	mem := &approval.Memory{}
	g := grantGate(t, mem)
	grantFlow(t, []*gate.Gate{g}, []approval.Granter{mem})
}

// Two gate instances, each with its own pgapproval.Approver on one database:
// a grant given through one is used and revoked through the other.
func TestGrantLifeCyclePostgresReplicas(t *testing.T) {
	rs := replicas(t, 2)
	gates := []*gate.Gate{grantGate(t, rs[0]), grantGate(t, rs[1])}
	grantFlow(t, gates, []approval.Granter{rs[0], rs[1]})
}

// A rule without max_grant gives no grants, and a deny vote cannot carry one.
func TestGrantNeedsPolicy(t *testing.T) {
	ctx := context.Background()
	mem := &approval.Memory{}
	g, s := holdAllGate(t, mem)
	_, _, id := outcome(t, g, sqlReq(s, "INSERT", "INSERT INTO t VALUES (1)"))
	_, err := mem.ApproveGrant(ctx, id, gate.Identity{Subject: "alice", Kind: gate.KindHuman}, "", gate.GrantSpec{Scope: gate.GrantAny})
	require.ErrorIs(t, err, gate.ErrGrantNotAllowed)
	pend, err := mem.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, pend, 1, "a refused grant leaves the review pending")
}

// Concurrent requests never use a grant more often than its bound, across
// two replicas.
func TestGrantUsesBoundAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	rs := replicas(t, 2)
	gates := []*gate.Gate{grantGate(t, rs[0]), grantGate(t, rs[1])}
	agent := gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}
	s := []*gate.Session{grantSession(t, gates[0], agent), grantSession(t, gates[1], agent)}
	_, _, id := outcome(t, gates[0], sqlReq(s[0], "INSERT", "INSERT INTO t VALUES (0)"))
	_, err := rs[1].ApproveGrant(ctx, id, gate.Identity{Subject: "alice", Kind: gate.KindHuman}, "", gate.GrantSpec{Uses: 5, Scope: gate.GrantShape})
	require.NoError(t, err)
	results := make(chan string, 40)
	for i := 0; i < 40; i++ {
		go func() {
			d, err := gates[i%2].Check(ctx, sqlReq(s[i%2], "INSERT", "INSERT INTO t VALUES (7)"))
			if err == nil && d.Grant != "" {
				results <- "grant"
			} else {
				results <- "other"
			}
		}()
	}
	granted := 0
	for i := 0; i < 40; i++ {
		if <-results == "grant" {
			granted++
		}
	}
	assert.Equal(t, 5, granted)
}

// failingGrants is a grant store that has lost its database.
type failingGrants struct{}

func (failingGrants) ActiveGrants(context.Context, string) ([]gate.Grant, error) {
	return nil, errors.New("connection refused")
}
func (failingGrants) UseGrant(context.Context, string) (bool, error) {
	return false, errors.New("connection refused")
}

// A grant store that fails never allows anything: a request is held as if
// there were no grant, and a rule reading session.grants denies.
func TestGrantStoreFailureFailsClosed(t *testing.T) {
	rs, err := gate.ParseRules("grants.yaml", []byte(grantRules))
	require.NoError(t, err)
	g := gate.New(gate.Config{Rules: rs, Approver: &approval.Memory{}, Grants: failingGrants{}, ReviewMode: gate.RefuseThenRetry})
	s := grantSession(t, g, gate.Identity{Subject: "agent-7", Kind: gate.KindAgent})
	got, d, _ := outcome(t, g, sqlReq(s, "INSERT", "INSERT INTO t VALUES (1)"))
	require.Equal(t, "held", got)
	assert.Contains(t, d.Errors[0], "connection refused")
	got, d, _ = outcome(t, g, sqlReq(s, "TRUNCATE", "TRUNCATE t"))
	require.Equal(t, "deny", got)
	assert.Equal(t, "no-truncate-on-a-grant", d.Rule)
}

// The shared review store keeps only the masked request: what reviewers on
// any replica read, and what a database dump shows.
func TestPostgresStoresMaskedReviews(t *testing.T) {
	ctx := context.Background()
	rs, pools := replicaPools(t, 1)
	g, s := holdAllGate(t, rs[0])
	got, _, _ := outcome(t, g, &gate.Request{Session: s, Protocol: "postgres",
		Command: "UPDATE users SET email = 'eve@example.com', card = '4111 1111 1111 1111'; ALTER ROLE app PASSWORD 'hunter2'",
		SQL:     &gate.SQL{Statements: []gate.SQLStatement{{Kind: "UPDATE"}, {Kind: "ALTER"}}}})
	require.Equal(t, "held", got)
	var row string
	require.NoError(t, pools[0].QueryRow(ctx, `SELECT request::text FROM airlock_reviews`).Scan(&row))
	for _, raw := range []string{"eve@example.com", "4111 1111 1111 1111", "hunter2"} {
		assert.NotContains(t, row, raw)
	}
	assert.Contains(t, row, "UPDATE users SET email")
}

// In hold mode the held request waits for the approval, and the grant it
// gives lets the next ones through at once.
func TestGrantHoldMode(t *testing.T) {
	ctx := context.Background()
	mem := &approval.Memory{}
	rs, err := gate.ParseRules("grants.yaml", []byte(grantRules))
	require.NoError(t, err)
	g := gate.New(gate.Config{Rules: rs, Approver: mem})
	s := grantSession(t, g, gate.Identity{Subject: "agent-7", Kind: gate.KindAgent})
	done := make(chan error, 1)
	go func() {
		_, err := g.Check(ctx, sqlReq(s, "DELETE", "DELETE FROM t WHERE id = 1"))
		done <- err
	}()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p, err := mem.WaitPending(wctx)
	require.NoError(t, err)
	_, err = mem.ApproveGrant(ctx, p.ID, gate.Identity{Subject: "alice", Kind: gate.KindHuman}, "ok", gate.GrantSpec{Uses: 1, Scope: gate.GrantShape})
	require.NoError(t, err)
	require.NoError(t, <-done)
	d, err := g.Check(ctx, sqlReq(s, "DELETE", "DELETE FROM t WHERE id = 2"))
	require.NoError(t, err)
	assert.NotEmpty(t, d.Grant)
	pend, err := mem.Pending(ctx)
	require.NoError(t, err)
	assert.Empty(t, pend, "allowed by the grant without a review")
}
