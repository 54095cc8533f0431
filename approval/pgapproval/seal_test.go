package pgapproval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

func TestNewRefusesToRunUnsealedUnlessTold(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	long := []byte(strings.Repeat("k", pgapproval.MinSealKeyLen))
	for _, tc := range []struct {
		name string
		opts pgapproval.Options
		ok   bool
	}{
		{"no key", pgapproval.Options{}, false},
		{"a short key", pgapproval.Options{SealKey: long[:31]}, false},
		{"a short verify key", pgapproval.Options{SealKey: long, VerifyKeys: [][]byte{[]byte("short")}}, false},
		{"a key and unsealed", pgapproval.Options{SealKey: long, Unsealed: true}, false},
		{"verify keys without a key", pgapproval.Options{VerifyKeys: [][]byte{long}, Unsealed: true}, false},
		{"a key", pgapproval.Options{SealKey: long}, true},
		{"unsealed, explicitly", pgapproval.Options{Unsealed: true}, true},
	} {
		_, err := pgapproval.New(pool, tc.opts)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// Rows sealed with an old key verify while it is among VerifyKeys, and
// no longer once it is dropped; rows sealed with another key never.
func TestSealKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	oldKey := []byte("the old seal key, 32 bytes or more")
	newKey := []byte("the new seal key, 32 bytes or more")
	open := func(o pgapproval.Options) *pgapproval.Approver {
		o.Poll = 20 * time.Millisecond
		return pgtest.Store(t, pool, o, pgapproval.Migrate, pgapproval.New)
	}
	before := open(pgapproval.Options{SealKey: oldKey})
	rotating := open(pgapproval.Options{SealKey: newKey, VerifyKeys: [][]byte{oldKey}})
	after := open(pgapproval.Options{SealKey: newKey})
	other := open(pgapproval.Options{SealKey: []byte("someone else's key, 32 bytes or more")})
	approved := func(filer, voter *pgapproval.Approver) string {
		r := gate.ReviewRequest{Digest: "rotate-" + gate.NewID(), Requester: approvertest.Requester, Protocol: "postgres",
			Command: "DELETE FROM t", Policy: gate.ReviewPolicy{TTL: time.Minute}}
		id, err := filer.Submit(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := voter.Approve(ctx, id, approvertest.Human, "ok"); err != nil {
			t.Fatal(err)
		}
		return r.Digest
	}
	for _, tc := range []struct {
		name          string
		filer, voter  *pgapproval.Approver
		user          *pgapproval.Approver
		wantApproved  bool
		wantSealError bool
	}{
		{"old rows, old key kept for verification", before, before, rotating, true, false},
		{"filed before, voted during the rotation", before, rotating, rotating, true, false},
		{"old rows after the old key is dropped", before, before, after, false, true},
		{"filed before and voted during, old key dropped", before, rotating, after, false, true},
		{"new rows after the rotation", rotating, rotating, after, true, false},
		{"rows of another key", other, other, rotating, false, true},
	} {
		seen := tc.user.UnprovenSeen()
		digest := approved(tc.filer, tc.voter)
		v, err := tc.user.Redeem(ctx, digest)
		if got := err == nil && v.State == gate.ReviewApproved; got != tc.wantApproved {
			t.Errorf("%s: approved %v, want %v (%v)", tc.name, got, tc.wantApproved, err)
		}
		// A row the Approver cannot verify is skipped (the gate files a
		// new review) and reported.
		if tc.wantSealError && (err != nil || v.State != gate.ReviewNone || tc.user.UnprovenSeen() == seen) {
			t.Errorf("%s: %+v, %v, reported %v: want it skipped and reported", tc.name, v, err, tc.user.UnprovenSeen() > seen)
		}
	}
}

// A review's seal covers the request as it reads back from jsonb, whatever
// it holds: claims of every JSON type (big integers, floats), markup and
// non-ASCII text, times with nanoseconds in any zone, details and policy
// parts. A real approval of any request is used.
func TestSealSurvivesTheStoreRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey}, pgapproval.Migrate, pgapproval.New)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 3))
	text := func() string {
		parts := []string{"a", "<b>", "&amp;", "é", "日本", "\"q\"", "\\", "\t", "💥", " ", "1e3", "\u2028"}
		var b strings.Builder
		for range rnd.IntN(6) {
			b.WriteString(parts[rnd.IntN(len(parts))])
		}
		return b.String()
	}
	zones := []*time.Location{time.UTC, time.FixedZone("x", 5*3600+1800), time.FixedZone("y", -7*3600), time.Local}
	for i := range 60 {
		now := time.Now().In(zones[rnd.IntN(len(zones))]).Add(time.Duration(rnd.IntN(1000)))
		claims := map[string]any{
			"big": int64(1)<<53 + int64(rnd.IntN(1000)), "float": rnd.Float64() * 1e6, "small": rnd.IntN(10),
			"text": text(), "list": []any{1, "two", 3.5, nil, true}, "nested": map[string]any{"z": 1, "a": text()},
		}
		pol := gate.ReviewPolicy{TTL: time.Minute, Approvals: 1, RequireReason: rnd.IntN(2) == 0, MaxGrant: time.Duration(rnd.IntN(3)) * time.Hour}
		r := gate.ReviewRequest{Digest: fmt.Sprintf("roundtrip-%d-%s", i, gate.NewID()), SessionID: text(),
			Requester: gate.Identity{Subject: "agent-" + text(), Name: text(), Groups: []string{text(), "agents"}, Claims: claims, Kind: gate.KindAgent},
			Protocol:  "postgres", Target: text(), Command: text(), Rules: []string{"hold", text()}, Reason: text(), Policy: pol,
			RuleSetVersion: text(), CreatedAt: now, ExpiresAt: now.Add(time.Minute), RequesterReason: text(),
			Details:     &gate.ReviewDetails{Items: []gate.DetailItem{{Label: "SQL", Text: text()}, {Label: "Body", Omitted: text()}}},
			ReviewRules: []string{"hold"}, ExactKey: text(), ShapeKey: text(), Shape: text(),
			PolicyParts: []gate.ReviewPolicy{pol, {Approvals: 1, ReviewerGroups: nil}},
		}
		id, err := ap.Submit(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		reason := fmt.Sprint("because é <", i, ">")
		// The reviewer's claims are sealed with the vote and reach the
		// verdict as they read back.
		reviewer := approvertest.Human
		reviewer.Claims = map[string]any{"email": text() + "@example.com", "n": int64(1)<<53 + int64(rnd.IntN(1000)),
			"roles": []any{text(), 2.5}, "org": map[string]any{"z": text(), "a": nil}}
		if _, err := ap.Approve(ctx, id, reviewer, reason); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		v, err := ap.Redeem(ctx, r.Digest)
		if err != nil || v.State != gate.ReviewApproved {
			t.Fatalf("request %d (%+v): %+v, %v", i, r, v, err)
		}
		want, _ := json.Marshal(reviewer.Claims)
		var wantBack map[string]any
		_ = json.Unmarshal(want, &wantBack)
		want, _ = json.Marshal(wantBack)
		if len(v.Votes) != 1 {
			t.Fatalf("request %d: votes %+v", i, v.Votes)
		}
		if got, _ := json.Marshal(v.Votes[0].Reviewer.Claims); string(got) != string(want) {
			t.Fatalf("request %d: the verdict's reviewer claims %s, want %s", i, got, want)
		}
	}
}

// The console shows a review whose seal fails as unproven, and nobody can
// vote on it.
func TestUnsealedReviewsAreMarkedAndCannotBeVotedOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey}, pgapproval.Migrate, pgapproval.New)
	r := gate.ReviewRequest{Digest: "marked-" + gate.NewID(), Requester: approvertest.Requester, Protocol: "postgres", Command: "SELECT 1"}
	id, err := ap.Submit(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE airlock_reviews SET request = jsonb_set(request, '{command}', '"DROP TABLE t"') WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	open, err := ap.Pending(ctx)
	if err != nil || len(open) != 1 || open[0].Unproven == "" {
		t.Fatalf("pending: %+v, %v", open, err)
	}
	if pd, err := ap.Review(ctx, id); err != nil || pd.Unproven == "" {
		t.Fatalf("review: %+v, %v", pd, err)
	}
	if _, err := ap.Approve(ctx, id, approvertest.Human, "ok"); !errors.Is(err, approval.ErrUnproven) {
		t.Fatalf("a vote on a changed review: %v", err)
	}
	// The console's API says so and offers no vote.
	console := &approval.Console{Approver: ap, Authenticate: approval.BearerTokens(map[string]gate.Identity{"tok": approvertest.Human})}
	req := httptest.NewRequest(http.MethodGet, "/api/pending", nil)
	req.Header.Set("Authorization", "Bearer tok")
	rec := httptest.NewRecorder()
	console.ServeHTTP(rec, req)
	var views []approval.ConsoleReview
	if err := json.Unmarshal(rec.Body.Bytes(), &views); err != nil || len(views) != 1 || views[0].Unproven == "" || views[0].CanReview {
		t.Fatalf("console: %d %s", rec.Code, rec.Body)
	}
}

// Migrate adds the seal columns to tables made before them, and the
// approver seals on them.
func TestMigrateAddsSealColumnsToOldTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	opts := pgapproval.Options{SealKey: testKey}
	if err := pgapproval.Migrate(ctx, pool, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE airlock_reviews DROP COLUMN seal; ALTER TABLE airlock_grants DROP COLUMN seal`); err != nil {
		t.Fatal(err)
	}
	ap := pgtest.Store(t, pool, opts, pgapproval.Migrate, pgapproval.New)
	r := gate.ReviewRequest{Digest: "migrated-" + gate.NewID(), Requester: approvertest.Requester, Protocol: "postgres", Command: "DELETE FROM t"}
	id, err := ap.Submit(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ap.Approve(ctx, id, approvertest.Human, "ok"); err != nil {
		t.Fatal(err)
	}
	if v, err := ap.Redeem(ctx, r.Digest); err != nil || v.State != gate.ReviewApproved {
		t.Fatalf("%+v, %v", v, err)
	}
}
