package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const grantRules = `default: deny
rules:
  - name: reads
    when: request.protocol == "postgres" && sql.statements.all(s, s.kind == "SELECT" && s.read_only && !s.opaque)
    action: allow
  - name: inserts-need-review
    when: request.protocol == "postgres" && sql.statements.exists(s, s.kind == "INSERT")
    action: review
    review: {ttl: 3s, max_grant: 1h}
  - name: no-ddl
    when: request.protocol == "postgres" && sql.statements.exists(s, s.kind in ["DROP", "TRUNCATE", "ALTER"])
    action: deny
`

// A reviewer answers a held INSERT with a grant, through another replica's
// console API: the next inserts of the same shape are allowed on either
// replica until the uses run out; a deny rule still wins; once revoked, the
// next insert is held again (and, unanswered, refused).
func TestServeGrantEndToEnd(t *testing.T) {
	bin, dir, stateURL, upstream := replicaFixture(t, grantRules)
	a := startReplica(t, bin, dir, stateURL, upstream, 0)
	b := startReplica(t, bin, dir, stateURL, upstream, 1)
	ctx := context.Background()
	count := func() string {
		out, err := a.psql(ctx, upstream, "SELECT count(*) FROM customers")
		require.NoError(t, err, out)
		return strings.TrimSpace(out)
	}
	require.Equal(t, "1", count())
	insert := func(r *replica, id string) (string, error) {
		return r.psql(ctx, upstream, "INSERT INTO customers (id, email, card) VALUES ("+id+", 'x@example.com', 'n/a')")
	}

	held := make(chan string, 1)
	go func() {
		out, err := insert(a, "10")
		if err != nil {
			out = "error: " + out
		}
		held <- out
	}()
	review := onePending(t, b)
	b.api(t, "POST", "/api/decide", approval.Decision{ID: review.ID, Decision: "approve", Reason: "backfill, ticket 9",
		Grant: &approval.GrantRequest{Minutes: 30, Uses: 2, Scope: "shape"}})
	select {
	case out := <-held:
		require.Equal(t, "INSERT 0 1\n", out)
	case <-time.After(15 * time.Second):
		t.Fatal("the held INSERT did not complete")
	}

	// Two more inserts of the same shape, on either replica, without a
	// hold: nobody approves them, so a held one would expire (ttl 3s) and
	// fail, however slow the machine (before: a 2 s timing, which a loaded
	// machine broke).
	for i, r := range []*replica{b, a} {
		out, err := insert(r, []string{"11", "12"}[i])
		require.NoError(t, err, out)
		assert.Empty(t, r.pending(t), "a granted request is not held")
	}
	assert.Equal(t, "4", count())
	var grants []approval.ConsoleGrant
	require.NoError(t, json.Unmarshal(a.api(t, "GET", "/api/grants", nil), &grants))
	require.Len(t, grants, 1)

	// A deny rule wins over the grant.
	out, err := b.psql(ctx, upstream, "DROP TABLE customers")
	require.Error(t, err, out)
	assert.Contains(t, out, "no-ddl")

	// The uses are spent: the next insert is held again, and unanswered it
	// is refused when the review expires.
	out, err = insert(a, "13")
	require.Error(t, err, out)
	assert.Equal(t, "4", count())

	// A fresh grant, revoked at once: the next insert is held again.
	go func() {
		out, err := insert(b, "20")
		if err != nil {
			out = "error: " + out
		}
		held <- out
	}()
	review = onePending(t, a)
	a.api(t, "POST", "/api/decide", approval.Decision{ID: review.ID, Decision: "approve", Reason: "one more",
		Grant: &approval.GrantRequest{Minutes: 30, Uses: 5, Scope: "shape"}})
	require.Equal(t, "INSERT 0 1\n", <-held)
	require.NoError(t, json.Unmarshal(b.api(t, "GET", "/api/grants", nil), &grants))
	var active string
	for _, g := range grants {
		if g.ReviewID == review.ID {
			active = g.ID
		}
	}
	require.NotEmpty(t, active)
	b.api(t, "POST", "/api/revoke", approval.RevokeRequest{ID: active})
	out, err = insert(a, "21")
	require.Error(t, err, out, "revoked: held, unanswered, refused")
	assert.Equal(t, "5", count())
}

// onePending waits until r's console lists exactly one pending review.
func onePending(t *testing.T, r *replica) approval.ConsoleReview {
	t.Helper()
	var review approval.ConsoleReview
	require.Eventually(t, func() bool {
		p := r.pending(t)
		if len(p) == 1 {
			review = p[0]
			return true
		}
		return false
	}, 15*time.Second, 50*time.Millisecond)
	return review
}
