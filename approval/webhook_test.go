package approval

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// receiver is a webhook endpoint that verifies what it gets.
type receiver struct {
	t      *testing.T
	secret []byte
	got    chan Notification
	fail   atomic.Int32 // answer 503 this many times first
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := standardWebhookVerify(SecretString(rc.secret), r.Header, body, time.Now()); err != nil {
		rc.t.Errorf("webhook signature: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.fail.Add(-1) >= 0 {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		rc.t.Errorf("webhook body: %v", err)
	}
	rc.got <- n
}

// standardWebhookVerify is a receiver's verifier written from the public
// Standard Webhooks specification alone (not from this package's code):
// the secret is "whsec_" + base64 key; the signed content is
// msg_id + "." + timestamp + "." + body; webhook-signature is a
// space-separated list of "v1,<base64 HMAC-SHA256>"; the timestamp must be
// within five minutes.
func standardWebhookVerify(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp too far from now")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Split(sigs, " ") {
		version, sig, _ := strings.Cut(s, ",")
		raw, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(raw, want) {
			return nil
		}
	}
	return errors.New("no matching v1 signature")
}

func signedCallback(t *testing.T, url, key string, secret []byte, d Decision, at time.Time) (*http.Request, []byte) {
	t.Helper()
	body, _ := json.Marshal(d)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	ts, sig := Sign(secret, at, body)
	req.Header.Set(HeaderKey, key)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, sig)
	return req, body
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// doAs sends a request with token as its bearer credential and returns
// the answer's status and body.
func doAs(t *testing.T, token, method, url string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return do(t, req)
}

func TestWebhookRoundTrip(t *testing.T) {
	ctx := context.Background()
	rc := &receiver{t: t, secret: []byte("hook-secret"), got: make(chan Notification, 4)}
	rc.fail.Store(2) // two failed deliveries, then success: retries work
	hook := httptest.NewServer(rc)
	defer hook.Close()

	aliceKey, bobKey := []byte("alice-secret"), []byte("bob-secret")
	rec := &events{}
	wh := &Webhook{
		URL: hook.URL, Secret: rc.secret, Backoff: 5 * time.Millisecond, Recorder: rec,
		MaskCommand: func(s string) string { return strings.ReplaceAll(s, "hunter2", "****") },
		Reviewers: map[string]WebhookReviewer{
			"alice": {Identity: alice, Secret: aliceKey},
			"bob":   {Identity: bob, Secret: bobKey},
			"agent": {Identity: agent, Secret: []byte("agent-secret")},
		},
	}
	defer wh.Close()
	cb := httptest.NewServer(wh.Callback())
	defer cb.Close()

	g := newGate(t, wh, gate.Hold, rec)
	s := openSession(t, g)
	done := checkAsync(g, s, "DELETE FROM users WHERE id = 1 AND pw = 'hunter2'")

	var n Notification
	select {
	case n = <-rc.got:
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	if n.Command != "DELETE FROM users WHERE id = 1 AND pw = '[PASSWORD_ASSIGNMENT]'" || n.Requester.Subject != "agent-1" ||
		n.Policy.Approvals != 2 || n.ExpiresAt.IsZero() || len(n.Rules) != 1 || n.Reason == "" {
		t.Fatalf("notification %+v", n)
	}

	// Tampered: the body changed after signing.
	req, body := signedCallback(t, cb.URL, "alice", aliceKey, Decision{ID: n.ID, Decision: "approve", Reason: "ok"}, time.Now())
	req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte(`"ok"`), []byte(`"OK"`), 1)))
	if code, _ := do(t, req); code != http.StatusUnauthorized {
		t.Fatalf("tampered: %d", code)
	}
	// Signed with another reviewer's secret.
	req, _ = signedCallback(t, cb.URL, "alice", bobKey, Decision{ID: n.ID, Decision: "approve", Reason: "ok"}, time.Now())
	if code, _ := do(t, req); code != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", code)
	}
	// Stale timestamp.
	req, _ = signedCallback(t, cb.URL, "alice", aliceKey, Decision{ID: n.ID, Decision: "approve", Reason: "ok"}, time.Now().Add(-time.Hour))
	if code, _ := do(t, req); code != http.StatusUnauthorized {
		t.Fatalf("stale: %d", code)
	}
	// The requester's own key cannot approve.
	req, _ = signedCallback(t, cb.URL, "agent", []byte("agent-secret"), Decision{ID: n.ID, Decision: "approve", Reason: "me"}, time.Now())
	if code, _ := do(t, req); code != http.StatusForbidden {
		t.Fatalf("agent: %d", code)
	}
	// A good one, then its replay.
	req, body = signedCallback(t, cb.URL, "alice", aliceKey, Decision{ID: n.ID, Decision: "approve", Reason: "ok"}, time.Now())
	replay := req.Clone(ctx)
	replay.Body = io.NopCloser(bytes.NewReader(body))
	if code, out := do(t, req); code != http.StatusOK || !strings.Contains(out, `"pending"`) {
		t.Fatalf("alice: %d %s", code, out)
	}
	if code, _ := do(t, replay); code != http.StatusConflict {
		t.Fatalf("replay: %d", code)
	}
	req, _ = signedCallback(t, cb.URL, "bob", bobKey, Decision{ID: n.ID, Decision: "approve", Reason: "fine"}, time.Now())
	if code, out := do(t, req); code != http.StatusOK || !strings.Contains(out, `"approved"`) {
		t.Fatalf("bob: %d %s", code, out)
	}
	if err := <-done; err != nil {
		t.Fatalf("held call: %v", err)
	}
	kinds := rec.kinds()
	if len(kinds) < 2 || kinds[0] != gate.EventApprovalRequested {
		t.Fatalf("events %v", kinds)
	}
	var notified bool
	for _, k := range kinds {
		notified = notified || k == gate.EventApprovalNotified
	}
	if !notified {
		t.Fatalf("no approval_notified in %v", kinds)
	}
}

func TestWebhookTokenCallback(t *testing.T) {
	ctx := context.Background()
	wh := &Webhook{URL: "http://127.0.0.1:1/", Secret: []byte("s"), Authenticate: BearerTokens(map[string]gate.Identity{"tok-alice": alice})}
	defer wh.Close()
	cb := httptest.NewServer(wh.Callback())
	defer cb.Close()
	id, err := wh.Submit(ctx, request("d", gate.ReviewPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	post := func(tok string, ts time.Time, body string) int {
		req, _ := http.NewRequest(http.MethodPost, cb.URL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		code, _ := do(t, req)
		return code
	}
	body := `{"id":"` + id + `","decision":"deny","reason":"no"}`
	if c := post("wrong", time.Now(), body); c != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", c)
	}
	if c := post("tok-alice", time.Now().Add(-time.Hour), body); c != http.StatusUnauthorized {
		t.Fatalf("stale: %d", c)
	}
	if c := post("tok-alice", time.Now(), `{"id":"`+id+`","decision":"maybe"}`); c != http.StatusUnprocessableEntity {
		t.Fatalf("bad decision: %d", c)
	}
	now := time.Now()
	if c := post("tok-alice", now, body); c != http.StatusOK {
		t.Fatalf("deny: %d", c)
	}
	if c := post("tok-alice", now, body); c != http.StatusConflict {
		t.Fatalf("replay: %d", c)
	}
	if p, _ := wh.Store.Review(ctx, id); p.State != gate.ReviewDenied {
		t.Fatalf("state %s", p.State)
	}
}

// An unreachable webhook ends in deny at the TTL, never in allow.
func TestWebhookUnreachableDenies(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/hook"
	l.Close() // nothing listens there any more
	rs, err := gate.ParseRules("t.yaml", []byte(`
rules:
  - name: hold
    when: "true"
    action: review
    review: {ttl: 300ms}
`))
	if err != nil {
		t.Fatal(err)
	}
	rec := &events{}
	wh := &Webhook{URL: url, Secret: []byte("s"), Backoff: 10 * time.Millisecond, Recorder: rec}
	defer wh.Close()
	g := gate.New(gate.Config{Rules: rs, Approver: wh, Recorder: rec})
	s := openSession(t, g)
	start := time.Now()
	err = check(g, s, "DELETE FROM users")
	if !errors.Is(err, gate.ErrDenied) {
		t.Fatalf("unreachable webhook: %v", err)
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Fatalf("denied after %v, before the TTL", el)
	}
	wh.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var expired, gaveUp bool
	for _, e := range rec.ev {
		expired = expired || e.Kind == gate.EventApprovalExpired
		gaveUp = gaveUp || (e.Kind == gate.EventError && strings.Contains(e.Error, "webhook not delivered"))
		if e.Kind == gate.EventApprovalNotified {
			t.Fatal("recorded a delivery that never happened")
		}
	}
	if !expired || !gaveUp {
		t.Fatalf("expired %v gave-up %v", expired, gaveUp)
	}
}
