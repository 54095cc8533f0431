package pgapproval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

// forger writes rows the way an attacker with table access would: plain
// SQL, no seal key.
type forger struct {
	t    *testing.T
	ctx  context.Context
	pool *pgxpool.Pool
	ap   *pgapproval.Approver
	rnd  *rand.Rand
}

// realReviewers are reviewers whose names a forger writes in: every one
// of them may review (a real vote of theirs would count).
var realReviewers = []gate.Identity{
	{Subject: "alice", Kind: gate.KindHuman},
	{Subject: "bob", Kind: gate.KindHuman, Groups: []string{"dba"}},
	approvertest.Human,
	{Subject: "deploy-bot", Kind: gate.KindService},
}

func (f *forger) reviewer() gate.Identity { return realReviewers[f.rnd.IntN(len(realReviewers))] }

func (f *forger) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.pool.Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// request is a held request of an agent; approvals is what its policy needs.
func (f *forger) request(approvals int) gate.ReviewRequest {
	return gate.ReviewRequest{Digest: "forged-" + gate.NewID(), Requester: gate.Identity{Subject: "agent-" + gate.NewID(), Kind: gate.KindAgent},
		Protocol: "postgres", Target: "prod", Command: fmt.Sprintf("DELETE FROM accounts WHERE id = %d", f.rnd.IntN(1000)),
		Rules: []string{"hold"}, ReviewRules: []string{"hold"}, ExactKey: "exact-" + gate.NewID(), ShapeKey: "shape",
		Policy: gate.ReviewPolicy{TTL: time.Minute, Approvals: approvals, MaxGrant: time.Hour}, RuleSetVersion: "v1"}
}

func (f *forger) submit(r gate.ReviewRequest) string {
	f.t.Helper()
	id, err := f.ap.Submit(f.ctx, r)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// approved files r and has a real reviewer approve it through the API.
func (f *forger) approved(r gate.ReviewRequest) string {
	f.t.Helper()
	id := f.submit(r)
	if _, err := f.ap.Approve(f.ctx, id, approvertest.Human, "looks fine"); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// mac is what a forger puts where a vote's MAC goes: none, random bytes,
// or a real MAC taken from another vote.
func (f *forger) mac() any {
	switch f.rnd.IntN(3) {
	case 0:
		return nil
	case 1:
		return f.randomBytes()
	default:
		other := f.approved(f.request(1))
		var votes []map[string]any
		if err := f.pool.QueryRow(f.ctx, `SELECT votes FROM airlock_reviews WHERE id = $1`, other).Scan(&votes); err != nil {
			f.t.Fatal(err)
		}
		return votes[0]["mac"]
	}
}

// randomBytes are 32 random bytes: a MAC or seal made up.
func (f *forger) randomBytes() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(f.rnd.IntN(256))
	}
	return b
}

// vote is a vote as JSON, in reviewer's name.
func (f *forger) vote(reviewer gate.Identity, approve bool) map[string]any {
	v := map[string]any{"reviewer": reviewer, "approve": approve, "time": time.Now().UTC(), "reason": fmt.Sprint("forged ", f.rnd.IntN(100))}
	if mac := f.mac(); mac != nil {
		v["mac"] = mac
	}
	return v
}

// seal is what a forger puts where a row's seal goes: none, random
// bytes, or the real seal of another review.
func (f *forger) seal() any {
	switch f.rnd.IntN(3) {
	case 0:
		return nil
	case 1:
		return f.randomBytes()
	default:
		var s []byte
		if err := f.pool.QueryRow(f.ctx, `SELECT seal FROM airlock_reviews WHERE id = $1`, f.approved(f.request(1))).Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		return s
	}
}

func toJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reviewForgeries each write rows that, if believed, would approve a
// request; they return the review's id and the digest under attack. (A
// real approval whose granted column is widened is used with the grant
// its votes gave: see TestTamperedColumnsNeverReachTheVerdict.)
var reviewForgeries = []struct {
	name  string
	forge func(f *forger) (id, digest string)
}{
	{"a vote in a real reviewer's name on a pending review", func(f *forger) (string, string) {
		r := f.request(1)
		id := f.submit(r)
		f.exec(`UPDATE airlock_reviews SET state = 'approved', decided_at = now(), votes = $2 WHERE id = $1`, id, toJSON(f.t, []any{f.vote(f.reviewer(), true)}))
		return id, r.Digest
	}},
	{"a vote in a real reviewer's name beside a real one", func(f *forger) (string, string) {
		r := f.request(2)
		id := f.submit(r)
		if _, err := f.ap.Approve(f.ctx, id, approvertest.Human, "one of two"); err != nil {
			f.t.Fatal(err)
		}
		f.exec(`UPDATE airlock_reviews SET state = 'approved', decided_at = now(), votes = votes || jsonb_build_array($2::jsonb) WHERE id = $1`,
			id, toJSON(f.t, f.vote(realReviewers[f.rnd.IntN(2)], true)))
		return id, r.Digest
	}},
	{"a whole approved review inserted", func(f *forger) (string, string) {
		r := f.request(1)
		now := time.Now().UTC()
		r.CreatedAt, r.ExpiresAt = now, now.Add(time.Minute)
		id := gate.NewID()
		f.exec(`INSERT INTO airlock_reviews (id, digest, state, request, votes, created_at, expires_at, decided_at, seal)
VALUES ($1, $2, 'approved', $3, $4, $5, $6, $5, $7)`, id, r.Digest, toJSON(f.t, r), toJSON(f.t, []any{f.vote(f.reviewer(), true)}), r.CreatedAt, r.ExpiresAt, f.seal())
		return id, r.Digest
	}},
	{"the votes of another review copied", func(f *forger) (string, string) {
		r := f.request(1)
		id := f.submit(r)
		other := f.approved(f.request(1))
		f.exec(`UPDATE airlock_reviews SET state = 'approved', decided_at = now(), votes = (SELECT votes FROM airlock_reviews WHERE id = $2) WHERE id = $1`, id, other)
		return id, r.Digest
	}},
	{"a real vote's MAC kept with a field changed", func(f *forger) (string, string) {
		r := f.request(1)
		id := f.submit(r)
		field := []string{"reason", "time", "approve", "subject", "groups"}[f.rnd.IntN(5)]
		if field == "approve" {
			// A real denial turned into an approval.
			if _, err := f.ap.Deny(f.ctx, id, approvertest.Human, "no"); err != nil {
				f.t.Fatal(err)
			}
		} else if _, err := f.ap.Approve(f.ctx, id, approvertest.Human, "ok"); err != nil {
			f.t.Fatal(err)
		}
		set := map[string]string{
			"reason":  `jsonb_set(votes, '{0,reason}', '"changed"')`,
			"time":    `jsonb_set(votes, '{0,time}', to_jsonb(now() + interval '1 second'))`,
			"approve": `jsonb_set(votes, '{0,approve}', 'true')`,
			"subject": `jsonb_set(votes, '{0,reviewer,subject}', '"alice"')`,
			"groups":  `jsonb_set(votes, '{0,reviewer,groups}', '["dba"]')`,
		}[field]
		f.exec(`UPDATE airlock_reviews SET state = 'approved', votes = `+set+` WHERE id = $1`, id)
		return id, r.Digest
	}},
	{"a sealed approval's request changed", func(f *forger) (string, string) {
		r := f.request(1)
		harmless := r
		harmless.Digest, harmless.Command = "harmless-"+gate.NewID(), "SELECT 1"
		id := f.approved(harmless)
		switch f.rnd.IntN(4) {
		case 0: // moved to the digest under attack, column and request alike
			f.exec(`UPDATE airlock_reviews SET digest = $2, request = jsonb_set(request, '{digest}', to_jsonb($2::text)) WHERE id = $1`, id, r.Digest)
			return id, r.Digest
		case 1:
			f.exec(`UPDATE airlock_reviews SET request = jsonb_set(request, '{command}', '"DROP TABLE accounts"') WHERE id = $1`, id)
		case 2:
			f.exec(`UPDATE airlock_reviews SET request = jsonb_set(request, '{expires_at}', to_jsonb(now() + interval '1 day')) WHERE id = $1`, id)
		default:
			f.exec(`UPDATE airlock_reviews SET request = jsonb_set(request, '{requester,subject}', '"other-agent"') WHERE id = $1`, id)
		}
		return id, harmless.Digest
	}},
	{"a sealed approval's seal set to NULL or garbage", func(f *forger) (string, string) {
		r := f.request(1)
		id := f.approved(r)
		seal := f.seal()
		if b, ok := seal.([]byte); ok && f.rnd.IntN(2) == 0 {
			seal = b[:f.rnd.IntN(len(b)+1)]
		}
		f.exec(`UPDATE airlock_reviews SET seal = $2 WHERE id = $1`, id, seal)
		return id, r.Digest
	}},
	{"an old row without seals", func(f *forger) (string, string) {
		r := f.request(1)
		id := f.approved(r)
		f.exec(`UPDATE airlock_reviews SET seal = NULL, votes = (SELECT jsonb_agg(v - 'mac') FROM jsonb_array_elements(votes) v) WHERE id = $1`, id)
		return id, r.Digest
	}},
}

// Rows written by anyone without the seal key (an agent whose gated SQL
// reaches the database among them) approve nothing, through Redeem or
// Await, and the vote of a real reviewer made through the API still
// approves. On the unsealed approver (the old code) the first, third and
// fourth forgeries approve.
func TestForgedReviewsApproveNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	f := &forger{t: t, ctx: ctx, pool: pool, ap: ap, rnd: rand.New(rand.NewPCG(seed, 1))}
	for round := range 4 {
		for _, fg := range reviewForgeries {
			for _, via := range []string{"Redeem", "Await"} {
				id, digest := fg.forge(f)
				v, err := use(ctx, ap, via, id, digest, forgeryWait)
				if err == nil && v.State == gate.ReviewApproved {
					t.Errorf("round %d: %s, used through %s: approved", round, fg.name, via)
				}
				if err != nil && !errors.Is(err, approval.ErrUnproven) && !errors.Is(err, approval.ErrExpired) {
					t.Errorf("round %d: %s, through %s: %v, not ErrUnproven", round, fg.name, via, err)
				}
			}
		}
		// The control: a real approval through the API is used.
		for _, via := range []string{"Redeem", "Await"} {
			r := f.request(1 + f.rnd.IntN(2))
			id := f.submit(r)
			for i := range r.Policy.Approvals {
				if _, err := ap.Approve(ctx, id, realReviewers[i], "real"); err != nil {
					t.Fatal(err)
				}
			}
			if v, err := use(ctx, ap, via, id, r.Digest, approvalWait); err != nil || v.State != gate.ReviewApproved {
				t.Errorf("round %d: a real approval used through %s: %+v, %v", round, via, v, err)
			}
		}
	}
}

// How long use waits through Await: a forgery is given time to be
// taken for an approval; a real approval, time to be seen on a loaded
// machine (300 ms under the race detector with every package's tests
// running was too short: the control failed once in CI).
const (
	forgeryWait  = 300 * time.Millisecond
	approvalWait = 10 * time.Second
)

// use redeems digest, or awaits id for at most wait (running out of time
// is no error: the verdict is then the empty one).
func use(ctx context.Context, ap *pgapproval.Approver, via, id, digest string, wait time.Duration) (gate.Verdict, error) {
	if via == "Redeem" {
		return ap.Redeem(ctx, digest)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	v, err := ap.Await(ctx, id)
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	return v, err
}

// grantForgeries write grant rows; they return the subject whose active
// grants are read and the ids of grants that must not be among them.
var grantForgeries = []struct {
	name  string
	forge func(f *forger, real gate.Grant) (subject string, forged []string)
}{
	{"scope widened to any", func(f *forger, g gate.Grant) (string, []string) {
		f.exec(`UPDATE airlock_grants SET doc = jsonb_set(doc, '{scope}', '"any"') WHERE id = $1`, g.ID)
		return g.Subject, []string{g.ID}
	}},
	{"rules widened", func(f *forger, g gate.Grant) (string, []string) {
		f.exec(`UPDATE airlock_grants SET doc = jsonb_set(doc, '{rules}', '["hold", "prod-writes"]') WHERE id = $1`, g.ID)
		return g.Subject, []string{g.ID}
	}},
	{"expiry pushed out", func(f *forger, g gate.Grant) (string, []string) {
		f.exec(`UPDATE airlock_grants SET expires_at = expires_at + interval '1 day', doc = jsonb_set(doc, '{expires_at}', to_jsonb(expires_at + interval '1 day')) WHERE id = $1`, g.ID)
		return g.Subject, []string{g.ID}
	}},
	{"uses unbounded", func(f *forger, g gate.Grant) (string, []string) {
		f.exec(`UPDATE airlock_grants SET max_uses = 0, doc = doc - 'max_uses' WHERE id = $1`, g.ID)
		return g.Subject, []string{g.ID}
	}},
	{"given to another subject", func(f *forger, g gate.Grant) (string, []string) {
		f.exec(`UPDATE airlock_grants SET subject = 'agent-thief', doc = jsonb_set(doc, '{subject}', '"agent-thief"') WHERE id = $1`, g.ID)
		f.exec(`UPDATE airlock_reviews SET request = jsonb_set(request, '{requester,subject}', '"agent-thief"'),
    granted = jsonb_set(granted, '{subject}', '"agent-thief"') WHERE id = $1`, g.ReviewID)
		return "agent-thief", []string{g.ID}
	}},
	{"a copy with its seal inserted", func(f *forger, g gate.Grant) (string, []string) {
		f.exec(`INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at, seal)
SELECT 'forged-' || id, review_id, subject, jsonb_set(jsonb_set(doc, '{id}', to_jsonb('forged-' || id)), '{scope}', '"any"'), max_uses, created_at, expires_at, seal
FROM airlock_grants WHERE id = $1`, g.ID)
		return g.Subject, []string{"forged-" + g.ID}
	}},
	{"the seal set to NULL or garbage", func(f *forger, g gate.Grant) (string, []string) {
		f.exec(`UPDATE airlock_grants SET seal = $2, doc = jsonb_set(doc, '{scope}', '"any"') WHERE id = $1`, g.ID, f.seal())
		return g.Subject, []string{g.ID}
	}},
	{"a grant and its approved review written from nothing", func(f *forger, g gate.Grant) (string, []string) {
		r := f.request(1)
		r.Requester.Subject = g.Subject
		now := time.Now().UTC()
		r.CreatedAt, r.ExpiresAt = now, now.Add(time.Minute)
		id := gate.NewID()
		// Everything as the approver would have written it, but the seals.
		vote := f.vote(f.reviewer(), true)
		vote["grant"] = gate.GrantSpec{Scope: gate.GrantAny}
		vote["time"] = now
		fg := g
		fg.ID, fg.ReviewID, fg.Scope, fg.Key, fg.MaxUses, fg.Rules = "forged-"+gate.NewID(), id, gate.GrantAny, "", 0, r.ReviewRules
		fg.CreatedAt, fg.ExpiresAt, fg.Uses = now, now.Add(r.Policy.MaxGrant), 0
		f.exec(`INSERT INTO airlock_reviews (id, digest, state, request, votes, created_at, expires_at, decided_at, granted, seal)
VALUES ($1, $2, 'consumed', $3, $4, $5, $6, $5, $7, $8)`, id, r.Digest, toJSON(f.t, r), toJSON(f.t, []any{vote}), r.CreatedAt, r.ExpiresAt, toJSON(f.t, fg), f.seal())
		f.exec(`INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at, seal)
VALUES ($1, $2, $3, $4, 0, $5, $6, $7)`, fg.ID, id, fg.Subject, toJSON(f.t, fg), fg.CreatedAt, fg.ExpiresAt, f.seal())
		return g.Subject, []string{fg.ID}
	}},
}

// Grants written or widened by anyone without the seal key allow
// nothing: ActiveGrants, which the gate reads before it lets a grant
// allow a request, fails or leaves them out. A real grant still counts.
func TestForgedGrantsAllowNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	f := &forger{t: t, ctx: ctx, pool: pool, ap: ap, rnd: rand.New(rand.NewPCG(seed, 2))}
	realGrant := func() gate.Grant {
		id := f.submit(f.request(1))
		v, err := ap.ApproveGrant(ctx, id, approvertest.Human, "one row", gate.GrantSpec{Scope: gate.GrantExact, Uses: 3})
		if err != nil || v.Grant == nil {
			t.Fatalf("no real grant: %+v, %v", v, err)
		}
		return *v.Grant
	}
	for round := range 3 {
		for _, fg := range grantForgeries {
			g := realGrant()
			subject, forged := fg.forge(f, g)
			active, err := ap.ActiveGrants(ctx, subject)
			if err != nil {
				if !errors.Is(err, approval.ErrUnproven) {
					t.Errorf("round %d: %s: %v, not ErrUnproven", round, fg.name, err)
				}
				continue
			}
			for _, a := range active {
				if slices.Contains(forged, a.ID) {
					t.Errorf("round %d: %s: the forged grant is active: %+v", round, fg.name, a)
				}
			}
		}
		// The control: a real grant is active.
		g := realGrant()
		active, err := ap.ActiveGrants(ctx, g.Subject)
		if err != nil || len(active) != 1 || active[0].ID != g.ID {
			t.Errorf("round %d: a real grant: %+v, %v", round, active, err)
		}
	}
}
