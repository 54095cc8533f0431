package approval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// signatureSpellings returns spellings of a "v1=<hex>" signature that a
// lenient reader takes for the same bytes: the hex in upper case, in mixed
// case nibble by nibble, with the prefix in another case, with leading
// zeros, and wrapped in white space.
func signatureSpellings(sig string) []string {
	hexPart := strings.TrimPrefix(sig, "v1=")
	out := []string{
		"v1=" + strings.ToUpper(hexPart),
		"V1=" + hexPart,
		"v1=" + "00" + hexPart,
		"v1=" + "0x" + hexPart,
		" v1=" + hexPart + " ",
		"\tv1=" + hexPart,
		"v1= " + hexPart,
		"v1=" + hexPart + "\t",
		"sha256=" + hexPart,
		"SHA256=" + hexPart,
	}
	// Every letter nibble upper-cased on its own, then every other one.
	for i, c := range hexPart {
		if c >= 'a' && c <= 'f' {
			out = append(out, "v1="+hexPart[:i]+strings.ToUpper(string(c))+hexPart[i+1:])
		}
	}
	var alt strings.Builder
	for i, c := range hexPart {
		if i%2 == 0 {
			alt.WriteString(strings.ToUpper(string(c)))
		} else {
			alt.WriteRune(c)
		}
	}
	return append(out, "v1="+alt.String())
}

// timestampSpellings returns spellings of a Unix-seconds timestamp that
// strconv.ParseInt reads as the same instant.
func timestampSpellings(ts string) []string {
	return []string{"+" + ts, "0" + ts, "00" + ts, "+0" + ts}
}

// replayOutcome posts one callback and reports whether the replay guard
// stopped it (409 "replayed message") or something before it refused it
// (401); any other answer means the message reached the review store again.
func replayOutcome(t *testing.T, req *http.Request) (stopped bool, answer string) {
	t.Helper()
	code, out := do(t, req)
	if code == http.StatusUnauthorized || strings.Contains(out, ErrReplay.Error()) {
		return true, ""
	}
	return false, fmt.Sprintf("%d %s", code, out)
}

// TestWebhookReplayGuardKeysOnTheCanonicalMessage sends a signed vote once
// and then every equivalent spelling of its signature and timestamp (and,
// through a bearer token, of its timestamp): each must be stopped as a
// replay or refused before the store, never passed on to it as a new vote.
func TestWebhookReplayGuardKeysOnTheCanonicalMessage(t *testing.T) {
	ctx := context.Background()
	aliceKey := []byte("alice-secret")
	wh := &Webhook{URL: "http://127.0.0.1:1/", Secret: []byte("s"),
		Reviewers:    map[string]WebhookReviewer{"alice": {Identity: alice, Secret: aliceKey}},
		Authenticate: BearerTokens(map[string]gate.Identity{"tok-bob": bob})}
	defer wh.Close()
	cb := httptest.NewServer(wh.Callback())
	defer cb.Close()

	probes, leaked := 0, 0
	// Signed by a reviewer key: the vote, then its spellings.
	id, err := wh.Submit(ctx, request("signed", gate.ReviewPolicy{Approvals: 2}))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	req, body := signedCallback(t, cb.URL, "alice", aliceKey, Decision{ID: id, Decision: "approve", Reason: "ok"}, at)
	if code, out := do(t, req); code != http.StatusOK {
		t.Fatalf("first vote: %d %s", code, out)
	}
	ts, sig := Sign(aliceKey, at, body)
	send := func(ts, sig string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, cb.URL, bytes.NewReader(body))
		r.Header.Set(HeaderKey, "alice")
		r.Header.Set(HeaderTimestamp, ts)
		r.Header[HeaderSignature] = []string{sig}
		return r
	}
	for _, s := range signatureSpellings(sig) {
		probes++
		if ok, ans := replayOutcome(t, send(ts, s)); !ok {
			leaked++
			t.Errorf("signature %q passed the replay guard: %s", s, ans)
		}
	}
	for _, s := range timestampSpellings(ts) {
		probes++
		if ok, ans := replayOutcome(t, send(s, sig)); !ok {
			leaked++
			t.Errorf("timestamp %q passed the replay guard: %s", s, ans)
		}
	}

	// Through a bearer token: the timestamp is the only signed-by-nobody part.
	id2, err := wh.Submit(ctx, request("token", gate.ReviewPolicy{Approvals: 2}))
	if err != nil {
		t.Fatal(err)
	}
	tokBody, _ := json.Marshal(Decision{ID: id2, Decision: "approve", Reason: "fine"})
	tsTok := strconv.FormatInt(time.Now().Unix(), 10)
	post := func(ts string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, cb.URL, bytes.NewReader(tokBody))
		r.Header.Set("Authorization", "Bearer tok-bob")
		r.Header.Set(HeaderTimestamp, ts)
		return r
	}
	if code, out := do(t, post(tsTok)); code != http.StatusOK {
		t.Fatalf("token vote: %d %s", code, out)
	}
	for _, s := range timestampSpellings(tsTok) {
		probes++
		if ok, ans := replayOutcome(t, post(s)); !ok {
			leaked++
			t.Errorf("token timestamp %q passed the replay guard: %s", s, ans)
		}
	}
	t.Logf("%d of %d equivalent spellings passed the replay guard", leaked, probes)
	for _, rid := range []string{id, id2} {
		if p, _ := wh.Store.Review(ctx, rid); p.State != gate.ReviewPending || len(p.Votes) != 1 {
			t.Fatalf("review %s: %s with %d votes", rid, p.State, len(p.Votes))
		}
	}
}

// TestWebhookReplayGuardWhateverTheSkew: a MaxSkew the verifier reads as
// the default (zero or negative) or one too large to double must still
// remember a message as long as it could pass the timestamp check.
func TestWebhookReplayGuardWhateverTheSkew(t *testing.T) {
	ctx := context.Background()
	aliceKey := []byte("alice-secret")
	for _, skew := range []time.Duration{0, -time.Second, -time.Hour, 1<<63 - 1, 200 * 365 * 24 * time.Hour} {
		wh := &Webhook{URL: "http://127.0.0.1:1/", Secret: []byte("s"), MaxSkew: skew,
			Reviewers: map[string]WebhookReviewer{"alice": {Identity: alice, Secret: aliceKey}}}
		cb := httptest.NewServer(wh.Callback())
		id, err := wh.Submit(ctx, request("skew", gate.ReviewPolicy{Approvals: 2}))
		if err != nil {
			t.Fatal(err)
		}
		req, body := signedCallback(t, cb.URL, "alice", aliceKey, Decision{ID: id, Decision: "approve", Reason: "ok"}, time.Now())
		again := req.Clone(ctx)
		again.Body = io.NopCloser(bytes.NewReader(body))
		if code, out := do(t, req); code != http.StatusOK {
			t.Errorf("skew %v: first vote %d %s", skew, code, out)
		}
		if ok, ans := replayOutcome(t, again); !ok {
			t.Errorf("skew %v: the same message passed the replay guard: %s", skew, ans)
		}
		cb.Close()
		wh.Close()
	}
}

// TestWebhookCallbackKeyNamesAreNoOracle: a callback naming a key that does
// not exist gets the same answer as one naming a real key with a wrong
// signature, so reviewer key names cannot be enumerated.
func TestWebhookCallbackKeyNamesAreNoOracle(t *testing.T) {
	aliceKey := []byte("alice-secret")
	wh := &Webhook{URL: "http://127.0.0.1:1/", Secret: []byte("s"),
		Reviewers: map[string]WebhookReviewer{"alice": {Identity: alice, Secret: aliceKey}}}
	defer wh.Close()
	cb := httptest.NewServer(wh.Callback())
	defer cb.Close()
	answer := func(key string) string {
		req, _ := signedCallback(t, cb.URL, key, []byte("guess"), Decision{ID: "x", Decision: "approve"}, time.Now())
		code, out := do(t, req)
		return fmt.Sprintf("%d %s", code, out)
	}
	known := answer("alice")
	for _, k := range []string{"bob", "Alice", "alice ", "root", "admin"} {
		if got := answer(k); got != known {
			t.Errorf("key %q answers %q, a known key %q", k, got, known)
		}
	}
}
