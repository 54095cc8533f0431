package pgapproval_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/internal/syncbuf"
)

func loggedStore(t *testing.T) (*pgapproval.Approver, *forger, *syncbuf.Buffer) {
	ctx := context.Background()
	pool := testPool(t)
	logs := &syncbuf.Buffer{}
	opts := pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond, Logger: hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Warn})}
	ap := pgtest.Store(t, pool, opts, pgapproval.Migrate, pgapproval.New)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return ap, &forger{t: t, ctx: ctx, pool: pool, ap: ap, rnd: rand.New(rand.NewPCG(seed, 5))}, logs
}

// A vote written into a pending review by someone without the seal key
// (in a real reviewer's name, before, between or after genuine votes,
// with no MAC, a made-up one or one taken from another vote) is ignored
// and reported: the review is still shown and votable, the forged vote
// counts toward nothing (one genuine approval of two leaves it pending),
// the reviewer whose name it took can still vote, and the approval the
// genuine votes make is used with exactly the genuine votes. On the old
// code the review could no longer be voted on at all.
func TestForgedVoteIsIgnoredNotBlocking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ap, f, logs := loggedStore(t)
	alice := realReviewers[0]
	for round := range 6 {
		for _, where := range []string{"first", "between", "last"} {
			r := f.request(2)
			id := f.submit(r)
			if where != "first" {
				if v, err := ap.Approve(ctx, id, approvertest.Human, "genuine one"); err != nil || v.State != gate.ReviewPending {
					t.Fatalf("the first genuine vote: %+v, %v", v, err)
				}
			}
			forged := toJSON(t, []any{f.vote(alice, f.rnd.IntN(3) > 0)})
			if where == "first" {
				f.exec(`UPDATE airlock_reviews SET votes = $2::jsonb || votes WHERE id = $1`, id, forged)
			} else {
				f.exec(`UPDATE airlock_reviews SET votes = votes || $2::jsonb WHERE id = $1`, id, forged)
			}
			before := ap.UnprovenSeen()
			if v, err := ap.Redeem(ctx, r.Digest); err != nil || v.State != gate.ReviewPending {
				t.Fatalf("round %d, %s: the review with a forged vote, redeemed: %+v, %v", round, where, v, err)
			}
			if ap.UnprovenSeen() == before || !strings.Contains(logs.String(), id) {
				t.Errorf("round %d, %s: the forged vote was not reported (%d; log %q)", round, where, ap.UnprovenSeen(), logs.String())
			}
			shown, err := ap.Review(ctx, id)
			if err != nil || shown.Unproven != "" || slices.ContainsFunc(shown.Votes, func(v gate.Vote) bool { return v.Reviewer.Subject == alice.Subject }) {
				t.Fatalf("round %d, %s: the review as shown: %+v, %v", round, where, shown, err)
			}
			if where == "first" {
				if v, err := ap.Approve(ctx, id, approvertest.Human, "genuine one"); err != nil || v.State != gate.ReviewPending {
					t.Fatalf("round %d, %s: one genuine approval of two beside a forged one: %+v, %v", round, where, v, err)
				}
			}
			if where == "between" {
				f.exec(`UPDATE airlock_reviews SET votes = votes || $2::jsonb WHERE id = $1`, id, toJSON(t, []any{f.vote(realReviewers[1], false)}))
			}
			v, err := ap.Approve(ctx, id, alice, "genuine two")
			if err != nil || v.State != gate.ReviewApproved {
				t.Fatalf("round %d, %s: the second genuine approval, by the reviewer the forger named: %+v, %v", round, where, v, err)
			}
			via := []string{"Redeem", "Await"}[round%2]
			v, err = use(ctx, ap, via, id, r.Digest, approvalWait)
			if err != nil || v.State != gate.ReviewApproved {
				t.Fatalf("round %d, %s: the genuine approval used through %s: %+v, %v", round, where, via, v, err)
			}
			var who []string
			for _, vote := range v.Votes {
				who = append(who, vote.Reviewer.Subject+":"+vote.Reason)
			}
			if want := []string{approvertest.Human.Subject + ":genuine one", alice.Subject + ":genuine two"}; !slices.Equal(who, want) {
				t.Errorf("round %d, %s: the verdict's votes %v, want the genuine %v", round, where, who, want)
			}
		}
	}
}

// junkGrants insert grant rows for subject $1 that are no grant at all.
var junkGrants = []string{
	`INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at) VALUES (md5(random()::text), 'none', $1, '"not a grant"', 0, now(), now() + interval '1 hour')`,
	`INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at) VALUES (md5(random()::text), 'none', $1, '{"id": 5, "rules": "all"}', 0, now(), now() + interval '1 hour')`,
	`INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at)
SELECT 'junk-' || x, 'no-such-review-' || x, $1, jsonb_build_object('id', 'junk-' || x, 'review_id', 'no-such-review-' || x, 'subject', $1::text, 'scope', 'any', 'rules', jsonb_build_array('hold'), 'expires_at', now() + interval '1 hour'), 0, now(), now() + interval '1 hour'
FROM md5(random()::text) x`,
	`WITH r AS (INSERT INTO airlock_reviews (id, digest, state, request, created_at, expires_at) VALUES (md5(random()::text), md5(random()::text), 'approved', '"not a request"', now(), now() + interval '1 hour') RETURNING id)
INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at)
SELECT 'junk-' || r.id, r.id, $1, jsonb_build_object('id', 'junk-' || r.id, 'review_id', r.id, 'subject', $1::text, 'scope', 'any', 'rules', jsonb_build_array('hold'), 'expires_at', now() + interval '1 hour'), 0, now(), now() + interval '1 hour' FROM r`,
}

// One forged grant does not disable a subject's real grants: whatever
// grant row someone without the seal key writes or changes (each of
// grantForgeries, and rows that are no grant at all), ActiveGrants lists
// the subject's untouched real grant, without error, and never a forged
// one; the real grant is used; each forged row is reported; Grants and
// the console list the forged rows marked unproven, not active, and the
// real one active. On the old code ActiveGrants failed for the whole
// subject.
func TestForgedGrantsDoNotDisableRealOnes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ap, f, logs := loggedStore(t)
	realGrant := func(subject string) gate.Grant {
		r := f.request(1)
		r.Requester.Subject = subject
		v, err := ap.ApproveGrant(ctx, f.submit(r), approvertest.Human, "real", gate.GrantSpec{Scope: gate.GrantExact, Uses: 3})
		if err != nil || v.Grant == nil {
			t.Fatalf("no real grant: %+v, %v", v, err)
		}
		return *v.Grant
	}
	type forgery struct {
		name  string
		forge func(g gate.Grant) []string // the forged ids
	}
	var forgeries []forgery
	for _, fg := range grantForgeries {
		forgeries = append(forgeries, forgery{fg.name, func(g gate.Grant) []string { _, ids := fg.forge(f, g); return ids }})
	}
	for i, sql := range junkGrants {
		forgeries = append(forgeries, forgery{"junk " + string(rune('a'+i)), func(g gate.Grant) []string {
			var before []string
			if err := f.pool.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM airlock_grants`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			f.exec(sql, g.Subject)
			var ids []string
			if err := f.pool.QueryRow(ctx, `SELECT array_agg(id) FROM airlock_grants WHERE NOT id = ANY($1)`, before).Scan(&ids); err != nil {
				t.Fatal(err)
			}
			return ids
		}})
	}
	con := &approval.Console{Approver: ap, Authenticate: approval.BearerTokens(map[string]gate.Identity{"tok": approvertest.Human})}
	srv := httptest.NewServer(con)
	defer srv.Close()
	defer con.Close()
	for _, fg := range forgeries {
		subject := "agent-" + gate.NewID()
		victim, other := realGrant(subject), realGrant(subject)
		seen := ap.UnprovenSeen()
		forged := fg.forge(victim)
		active, err := ap.ActiveGrants(ctx, subject)
		if err != nil {
			t.Errorf("%s: ActiveGrants of the subject failed: %v", fg.name, err)
			continue
		}
		if !slices.ContainsFunc(active, func(a gate.Grant) bool { return a.ID == other.ID }) {
			t.Errorf("%s: the subject's untouched real grant is not active: %+v", fg.name, active)
		}
		for _, a := range active {
			if slices.Contains(forged, a.ID) {
				t.Errorf("%s: the forged grant %s is active", fg.name, a.ID)
			}
		}
		if ok, err := ap.UseGrant(ctx, other.ID); err != nil || !ok {
			t.Errorf("%s: the real grant was not used: %v, %v", fg.name, ok, err)
		}
		for _, id := range forged {
			if ok, err := ap.UseGrant(ctx, id); ok {
				t.Errorf("%s: the forged grant %s was used (%v)", fg.name, id, err)
			}
		}
		if fg.name != "given to another subject" && (ap.UnprovenSeen() == seen || !strings.Contains(logs.String(), forged[0])) {
			t.Errorf("%s: the forged grant was not reported", fg.name)
		}
		all, err := ap.Grants(ctx)
		if err != nil {
			t.Fatalf("%s: Grants: %v", fg.name, err)
		}
		for _, g := range all {
			if g.ID == other.ID && g.Unproven != "" || slices.Contains(forged, g.ID) && g.Unproven == "" {
				t.Errorf("%s: Grants lists %s with Unproven %q", fg.name, g.ID, g.Unproven)
			}
		}
		req, _ := http.NewRequest("GET", srv.URL+"/api/grants", nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var listed []approval.ConsoleGrant
		err = decodeJSON(resp, &listed)
		if err != nil {
			t.Fatalf("%s: the console's grants: %v", fg.name, err)
		}
		for _, g := range listed {
			switch {
			case g.ID == other.ID && (!g.Active || g.Unproven != "" || g.State() != "active"):
				t.Errorf("%s: the console shows the real grant as %+v", fg.name, g)
			case slices.Contains(forged, g.ID) && (g.Active || g.Unproven == "" || g.State() != "unproven"):
				t.Errorf("%s: the console shows the forged grant as %+v", fg.name, g)
			}
		}
	}
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// A review row written in by someone without the seal key hides no real
// review of its request: a forged pending review of a digest (expiring
// in a year) does not capture the next Submit of that digest, which files
// a real review reviewers can vote on; a forged review newer than a real
// approval (in any state) does not hide it from Redeem. Both are
// reported. On the old code Submit returned the forged review's id (which
// nobody can vote on) and Redeem stopped at the forged row.
func TestForgedReviewsDoNotHideRealOnes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ap, f, logs := loggedStore(t)
	forge := func(r gate.ReviewRequest, state string) string {
		id := gate.NewID()
		f.exec(`INSERT INTO airlock_reviews (id, digest, state, request, votes, created_at, expires_at, seal)
VALUES ($1, $2, $3, $4, $5, now() + interval '1 hour', now() + interval '1 year', $6)`,
			id, r.Digest, state, toJSON(t, r), toJSON(t, []any{f.vote(f.reviewer(), true)}), f.seal())
		return id
	}
	for round := range 4 {
		r := f.request(1)
		forged := forge(r, "pending")
		id, err := ap.Submit(ctx, r)
		if err != nil || id == forged {
			t.Fatalf("round %d: Submit beside a forged pending review: %s (forged %s), %v", round, id, forged, err)
		}
		if v, err := ap.Approve(ctx, id, approvertest.Human, "real"); err != nil || v.State != gate.ReviewApproved {
			t.Fatalf("round %d: the real review: %+v, %v", round, v, err)
		}
		if !strings.Contains(logs.String(), forged) {
			t.Errorf("round %d: the forged pending review was not reported", round)
		}
		for _, state := range []string{"approved", "pending", "denied", "expired"} {
			if state == "pending" {
				if n, _ := f.pool.Exec(ctx, `SELECT 1 FROM airlock_reviews WHERE digest = $1 AND state = 'pending'`, r.Digest); n.RowsAffected() > 0 {
					continue
				}
			}
			forged = forge(r, state)
		}
		if v, err := ap.Redeem(ctx, r.Digest); err != nil || v.State != gate.ReviewApproved || v.ID != id {
			t.Fatalf("round %d: the real approval behind forged newer reviews: %+v, %v", round, v, err)
		}
		if !strings.Contains(logs.String(), forged) {
			t.Errorf("round %d: the forged newer review was not reported", round)
		}
	}
}

// Pending reviews someone wrote in do not fill the open slots
// (Options.MaxPending): when Submit finds them full, the forged ones are
// withdrawn (and reported) and the real review is filed; real reviews
// still fill them. On the old code the forged rows refused every review.
func TestForgedPendingReviewsDoNotFillTheSlots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	const limit = 5
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, MaxPending: limit}, pgapproval.Migrate, pgapproval.New)
	f := &forger{t: t, ctx: ctx, pool: pool, ap: ap, rnd: rand.New(rand.NewPCG(7, 7))}
	for range limit {
		r := f.request(1)
		f.exec(`INSERT INTO airlock_reviews (id, digest, state, request, created_at, expires_at, seal)
VALUES (md5(random()::text), $1, 'pending', $2, now(), now() + interval '1 year', $3)`, r.Digest, toJSON(t, r), f.randomBytes())
	}
	seen := ap.UnprovenSeen()
	for i := range limit {
		if _, err := ap.Submit(ctx, f.request(1)); err != nil {
			t.Fatalf("real review %d beside %d forged pending ones: %v", i+1, limit, err)
		}
	}
	if ap.UnprovenSeen() < seen+limit {
		t.Errorf("the forged pending reviews were not reported: %d", ap.UnprovenSeen()-seen)
	}
	if _, err := ap.Submit(ctx, f.request(1)); !errors.Is(err, approval.ErrTooManyPending) {
		t.Errorf("a review beyond %d real pending ones: %v, want ErrTooManyPending", limit, err)
	}
}
