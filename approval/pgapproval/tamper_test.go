package pgapproval_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// A row of airlock_reviews changed behind the approver's back (by anyone
// who can write the table, an agent whose database holds it among them)
// never lets a request run: an approval counts only when the votes kept
// with it, checked against the review's own policy, approve that very
// digest.
func TestTamperedRowsApproveNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	agent := approvertest.Requester
	cases := []struct {
		name string
		// approve: a human approves the review first.
		approve bool
		// sql modifies the row; $1 is its id, $2 the digest under attack.
		sql string
	}{
		{"state set to approved without votes", false, `UPDATE airlock_reviews SET state = 'approved' WHERE id = $1 AND $2 <> ''`},
		{"an agent's vote written in", false, `UPDATE airlock_reviews SET state = 'approved', votes = jsonb_build_array(jsonb_build_object(
			'reviewer', jsonb_build_object('subject', 'someone-agent', 'kind', 'agent'), 'approve', true, 'time', now())) WHERE id = $1 AND $2 <> ''`},
		{"the requester's own vote written in", false, `UPDATE airlock_reviews SET state = 'approved', votes = jsonb_build_array(jsonb_build_object(
			'reviewer', jsonb_build_object('subject', request->'requester'->>'subject', 'kind', 'human'), 'approve', true, 'time', now())) WHERE id = $1 AND $2 <> ''`},
		{"a denying vote as approval", false, `UPDATE airlock_reviews SET state = 'approved', votes = jsonb_build_array(jsonb_build_object(
			'reviewer', jsonb_build_object('subject', 'alice', 'kind', 'human'), 'approve', false, 'time', now())) WHERE id = $1 AND $2 <> ''`},
		{"one vote of two needed", false, `UPDATE airlock_reviews SET state = 'approved', request = jsonb_set(request, '{policy,approvals}', '2'),
			votes = jsonb_build_array(jsonb_build_object('reviewer', jsonb_build_object('subject', 'alice', 'kind', 'human'), 'approve', true, 'time', now()))
			WHERE id = $1 AND $2 <> ''`},
		{"the same reviewer twice", false, `UPDATE airlock_reviews SET state = 'approved', request = jsonb_set(request, '{policy,approvals}', '2'),
			votes = jsonb_build_array(
				jsonb_build_object('reviewer', jsonb_build_object('subject', 'alice', 'kind', 'human'), 'approve', true, 'time', now()),
				jsonb_build_object('reviewer', jsonb_build_object('subject', 'alice', 'kind', 'human'), 'approve', true, 'time', now()))
			WHERE id = $1 AND $2 <> ''`},
		{"an approval moved to another digest", true, `UPDATE airlock_reviews SET digest = $2 WHERE id = $1`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, via := range []string{"Redeem", "Await"} {
				held := gate.ReviewRequest{Digest: "tamper-held-" + via + gate.NewID(), Requester: agent, Protocol: "postgres",
					Command: "DELETE FROM accounts", ReviewRules: []string{"hold"}, Policy: gate.ReviewPolicy{TTL: time.Minute}}
				target := held.Digest
				id, err := ap.Submit(ctx, held)
				if err != nil {
					t.Fatal(err)
				}
				if tc.approve {
					other := held
					other.Digest, other.Command = "tamper-approved-"+gate.NewID(), "SELECT 1"
					if id, err = ap.Submit(ctx, other); err != nil {
						t.Fatal(err)
					}
					if _, err := ap.Approve(ctx, id, approvertest.Human, "harmless"); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := pool.Exec(ctx, tc.sql, id, target); err != nil {
					t.Fatalf("case %d: %v", i, err)
				}
				var v gate.Verdict
				if via == "Redeem" {
					v, err = ap.Redeem(ctx, target)
				} else {
					actx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
					v, err = ap.Await(actx, id)
					cancel()
				}
				if err == nil && v.State == gate.ReviewApproved {
					t.Errorf("%s after %s: approved %+v", via, tc.name, v)
				}
			}
		})
	}
}

const tamperRules = `
default: deny
rules:
  - name: hold
    when: "true"
    action: review
    review: {max_grant: 1h}
`

// A grant written or widened behind the approver's back allows nothing:
// a grant counts only when the approval it came from, proven by its votes,
// gave exactly that grant.
func TestTamperedGrantsAllowNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	rs, err := gate.ParseRules("tamper.yaml", []byte(tamperRules))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Approver: ap, ReviewMode: gate.RefuseThenRetry})
	s := &gate.Session{Protocol: gate.ProtocolPostgres, Target: "prod", Identity: gate.Identity{Subject: "agent-9", Kind: gate.KindAgent}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	req := func(cmd string) *gate.Request {
		return &gate.Request{Session: s, Protocol: gate.ProtocolPostgres, Command: cmd, SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "DELETE", Text: cmd}}}}
	}
	// A real exact grant for one statement, its approval used up.
	_, err = g.Check(ctx, req("DELETE FROM t WHERE id = 1"))
	var ref *gate.RefusedError
	if !errors.As(err, &ref) {
		t.Fatalf("not held: %v", err)
	}
	if _, err := ap.ApproveGrant(ctx, ref.ApprovalID, approvertest.Human, "one row", gate.GrantSpec{Scope: gate.GrantExact, Uses: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, req("DELETE FROM t WHERE id = 1")); err != nil {
		t.Fatalf("the approved request: %v", err)
	}
	for _, tc := range []struct{ name, sql string }{
		{"the real grant widened to any request", `UPDATE airlock_grants SET doc = jsonb_set(doc, '{scope}', '"any"') WHERE review_id = $1`},
		{"the real grant given more uses", `UPDATE airlock_grants SET doc = jsonb_set(jsonb_set(doc, '{scope}', '"any"'), '{max_uses}', '0'), max_uses = 0 WHERE review_id = $1`},
		{"a grant written in from nothing", `INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at)
SELECT 'forged-' || md5(random()::text), $1, doc->>'subject', jsonb_set(jsonb_set(doc, '{scope}', '"any"'), '{id}', '"forged"'), 0, now(), now() + interval '1 hour'
FROM airlock_grants WHERE review_id = $1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pool.Exec(ctx, tc.sql, ref.ApprovalID); err != nil {
				t.Fatal(err)
			}
			if d, err := g.Check(ctx, req("DELETE FROM t")); err == nil {
				t.Fatalf("DELETE FROM t ran on a tampered grant: %+v", d)
			}
		})
	}
}

// An approval whose review expired is dead even when its expires_at
// column is pushed into the future: the expiry that counts is the one the
// gate filed with the request.
func TestExtendedExpiryApprovesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	for _, via := range []string{"Redeem", "Await"} {
		now := time.Now().UTC()
		r := gate.ReviewRequest{Digest: "extended-" + gate.NewID(), Requester: approvertest.Requester, Protocol: "postgres",
			Command: "DELETE FROM accounts", ReviewRules: []string{"hold"}, CreatedAt: now, ExpiresAt: now.Add(300 * time.Millisecond)}
		id, err := ap.Submit(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ap.Approve(ctx, id, approvertest.Human, "ok"); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `UPDATE airlock_reviews SET expires_at = now() + interval '1 hour' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(r.ExpiresAt) + 100*time.Millisecond)
		var v gate.Verdict
		if via == "Redeem" {
			v, err = ap.Redeem(ctx, r.Digest)
		} else {
			actx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			v, err = ap.Await(actx, id)
			cancel()
		}
		if err == nil && v.State == gate.ReviewApproved {
			t.Errorf("%s of an approval past the expiry it was filed with: approved", via)
		}
	}
}
