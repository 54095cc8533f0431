package approval

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// browserClient logs in through the form like a browser would and returns
// a cookie-carrying client and the session's CSRF token.
// serveAt serves con at the root of a test server until the test ends,
// closing con then.
func serveAt(t *testing.T, con *Console) *httptest.Server {
	srv := httptest.NewServer(con)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { con.Close() })
	return srv
}

func browserClient(t *testing.T, base, token string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no login csrf in %s", body)
	}
	resp, err = c.PostForm(base+"login", url.Values{"csrf": {string(m[1])}, "token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`).FindSubmatch(body)
	if m == nil {
		return c, ""
	}
	return c, string(m[1])
}

func TestConsoleHTTP(t *testing.T) {
	f := newConsoleFixture(t)
	done := f.hold("DELETE FROM users WHERE id = 5 AND pw = 's3cret'")
	p, _ := f.mem.WaitPending(t.Context())

	// Security headers on every answer, scripts only from files.
	resp, err := http.Get(f.url + "login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Security-Policy") != ContentSecurityPolicy || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("headers %v", resp.Header)
	}
	if strings.Contains(string(page), "<script>") || strings.Contains(string(page), "onclick") {
		t.Fatal("inline script in the login page")
	}
	resp, _ = http.Get(f.url + "static/console.js")
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("console.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = http.Get(f.url + "static/..%2flayout.html")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("static traversal: %d", resp.StatusCode)
	}

	api := func(method, path, token, body string, hdr ...string) (int, string) {
		req, _ := http.NewRequest(method, f.url+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return do(t, req)
	}
	// Unauthenticated and badly authenticated.
	if c, _ := api("GET", "api/pending", "", ""); c != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", c)
	}
	if c, _ := api("GET", "api/pending", "nope", ""); c != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", c)
	}
	// The list is masked.
	c, out := api("GET", "api/pending", "alice-token", "")
	var list []ConsoleReview
	if c != 200 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("pending: %d %s", c, out)
	}
	if strings.Contains(out, "s3cret") || list[0].Command != "DELETE FROM users WHERE id = 5 AND pw = '[PASSWORD_ASSIGNMENT]'" || !list[0].CanReview {
		t.Fatalf("pending view %+v", list[0])
	}
	// The agent holds a token but can never review, not even its own request.
	if c, _ := api("POST", "api/decide", "agent-token", `{"id":"`+p.ID+`","decision":"approve","reason":"x"}`); c != http.StatusForbidden {
		t.Fatalf("agent vote: %d", c)
	}
	if c, _ := api("POST", "api/decide", "alice-token", `{"id":"`+p.ID+`","decision":"approve"}`); c != http.StatusUnprocessableEntity {
		t.Fatalf("no reason: %d", c)
	}
	if c, _ := api("POST", "api/decide", "alice-token", `{"id":"`+p.ID+`","decision":"approve","reason":"x","extra":1}`); c != http.StatusUnprocessableEntity {
		t.Fatalf("unknown field: %d", c)
	}
	if c, _ := api("POST", "api/decide", "alice-token", `{"id":"nope","decision":"approve","reason":"x"}`); c != http.StatusNotFound {
		t.Fatalf("unknown id: %d", c)
	}

	// Agents cannot log in to the console.
	if _, csrf := browserClient(t, f.url, "agent-token"); csrf != "" {
		t.Fatal("agent logged in")
	}
	// Login without the login form's token is refused (login CSRF).
	resp, _ = http.PostForm(f.url+"login", url.Values{"token": {"alice-token"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login without csrf: %d", resp.StatusCode)
	}

	bc, csrf := browserClient(t, f.url, "alice-token")
	if csrf == "" {
		t.Fatal("alice could not log in")
	}
	post := func(path, ctype, body string, hdr ...string) int {
		req, _ := http.NewRequest("POST", f.url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := bc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	vote := `{"id":"` + p.ID + `","decision":"approve","reason":"x"}`
	// Cookie without CSRF token, with a wrong one, or from another origin.
	if c := post("api/decide", "application/json", vote); c != http.StatusForbidden {
		t.Fatalf("no csrf: %d", c)
	}
	if c := post("api/decide", "application/json", vote, "X-CSRF-Token", "forged"); c != http.StatusForbidden {
		t.Fatalf("forged csrf: %d", c)
	}
	if c := post("api/decide", "application/json", vote, "X-CSRF-Token", csrf, "Origin", "https://evil.example"); c != http.StatusForbidden {
		t.Fatalf("cross origin: %d", c)
	}
	if c := post("decide", "application/x-www-form-urlencoded", url.Values{"id": {p.ID}, "decision": {"approve"}, "reason": {"x"}}.Encode()); c != http.StatusForbidden {
		t.Fatalf("form without csrf: %d", c)
	}
	if got, _ := f.mem.Get(p.ID); len(got.Votes) != 0 {
		t.Fatalf("a forged request voted: %+v", got.Votes)
	}
	// The form post works without JavaScript.
	form := url.Values{"csrf": {csrf}, "id": {p.ID}, "decision": {"approve"}, "reason": {"form vote"}}
	if c := post("decide", "application/x-www-form-urlencoded", form.Encode()); c != http.StatusOK {
		t.Fatalf("form vote: %d", c)
	}
	if got, _ := f.mem.Get(p.ID); len(got.Votes) != 1 || got.Votes[0].Reason != "form vote" {
		t.Fatalf("votes %+v", got.Votes)
	}
	c, out = api("POST", "api/decide", "bob-token", `{"id":"`+p.ID+`","decision":"approve","reason":"api vote"}`)
	if c != 200 || !strings.Contains(out, `"approved"`) {
		t.Fatalf("bob: %d %s", c, out)
	}
	if err := waitResult(t, done); err != nil {
		t.Fatal(err)
	}
	c, out = api("GET", "api/history", "bob-token", "")
	if c != 200 || !strings.Contains(out, "form vote") || !strings.Contains(out, "api vote") {
		t.Fatalf("history: %d %s", c, out)
	}
	// Logging out ends the session.
	if c := post("logout", "application/x-www-form-urlencoded", url.Values{"csrf": {csrf}}.Encode()); c != http.StatusOK {
		t.Fatalf("logout: %d", c)
	}
	resp, _ = bc.Get(f.url + "api/pending")
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
}

// The event stream announces changes.
func TestConsoleEvents(t *testing.T) {
	f := newConsoleFixture(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp := openEvents(t, ctx, f.url+"events", "alice-token")
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 4096)
		var all string
		for {
			n, err := resp.Body.Read(buf)
			all += string(buf[:n])
			if strings.Contains(all, "event: change") || err != nil {
				got <- all
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	f.mem.Submit(t.Context(), request("ev", gate.ReviewPolicy{}))
	select {
	case s := <-got:
		if !strings.Contains(s, "event: change") {
			t.Fatalf("stream %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no change event")
	}
}

// openEvents opens the console's event stream at url as the reviewer of
// token, until ctx ends; the body is closed when the test ends.
func openEvents(t *testing.T, ctx context.Context, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// plain exposes only Reviewable: no Watcher, no Historian.
type plain struct{ m *Memory }

func (p plain) Pending(ctx context.Context) ([]Pending, error) { return p.m.Pending(ctx) }
func (p plain) Approve(ctx context.Context, id string, who gate.Identity, reason string) (gate.Verdict, error) {
	return p.m.Approve(ctx, id, who, reason)
}
func (p plain) Deny(ctx context.Context, id string, who gate.Identity, reason string) (gate.Verdict, error) {
	return p.m.Deny(ctx, id, who, reason)
}

// The Console works over any Reviewable, polling for changes.
func TestConsolePlainReviewable(t *testing.T) {
	m := &Memory{}
	con := &Console{Approver: plain{m}, Authenticate: BearerTokens(reviewerTokens), PollInterval: 20 * time.Millisecond}
	srv := serveAt(t, con)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp := openEvents(t, ctx, srv.URL+"/events", "bob-token")
	id, _ := m.Submit(t.Context(), request("p", gate.ReviewPolicy{}))
	buf := make([]byte, 1024)
	var all string
	for !strings.Contains(all, "event: change") {
		n, err := resp.Body.Read(buf)
		if err != nil {
			t.Fatalf("stream ended: %v (%q)", err, all)
		}
		all += string(buf[:n])
	}
	if c, out := doAs(t, "bob-token", "POST", srv.URL+"/api/decide", strings.NewReader(`{"id":"`+id+`","decision":"deny"}`)); c != 200 || !strings.Contains(out, "denied") {
		t.Fatalf("deny: %d %s", c, out)
	}
	if c, out := doAs(t, "bob-token", "GET", srv.URL+"/api/history", nil); c != 200 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("history without Historian: %d %s", c, out)
	}
}

// Whatever an agent puts in its command reaches the reviewer's page as text.
func TestConsoleEscapesCommand(t *testing.T) {
	f := newConsoleFixture(t)
	evil := `DELETE FROM t WHERE x = '</pre><script>alert(1)</script><img src=x onerror=alert(2)>'`
	done := f.hold(evil)
	p, _ := f.mem.WaitPending(t.Context())
	_, csrf := browserClient(t, f.url, "alice-token")
	if csrf == "" {
		t.Fatal("login failed")
	}
	c, body := doAs(t, "alice-token", "GET", f.url+"fragment/pending", nil)
	if c != 200 || strings.Contains(body, "<script>") || strings.Contains(body, "<img") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("fragment not escaped: %d %s", c, body)
	}
	f.mem.Deny(t.Context(), p.ID, alice, "test over")
	<-done
}

func TestWebhookCallbackLimits(t *testing.T) {
	wh := &Webhook{URL: "http://127.0.0.1:1/", Secret: []byte("s"), Reviewers: map[string]WebhookReviewer{"alice": {Identity: alice, Secret: []byte("k")}}}
	defer wh.Close()
	srv := httptest.NewServer(wh.Callback())
	defer srv.Close()
	big := strings.Repeat("x", MaxCallbackBody+1)
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(big))
	if c, _ := do(t, req); c != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d", c)
	}
	req, _ = http.NewRequest("GET", srv.URL, nil)
	if c, _ := do(t, req); c != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", c)
	}
	req, _ = http.NewRequest("POST", srv.URL, strings.NewReader(`{}`))
	if c, _ := do(t, req); c != http.StatusUnauthorized {
		t.Fatalf("no credentials: %d", c)
	}
	// A webhook without URL or secret refuses to file reviews.
	if _, err := (&Webhook{}).Submit(t.Context(), request("d", gate.ReviewPolicy{})); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("unconfigured webhook: %v", err)
	}
}

// A review its store could not prove (Pending.Unproven) is shown as such,
// and the console offers nobody a vote on it.
func TestConsoleViewOfAnUnprovenReview(t *testing.T) {
	c := &Console{Approver: &Memory{}}
	reviewer := gate.Identity{Subject: "alice", Kind: gate.KindHuman}
	p := Pending{ID: "r1", State: gate.ReviewPending, Request: gate.ReviewRequest{Requester: gate.Identity{Subject: "agent", Kind: gate.KindAgent}, Command: "SELECT 1"}}
	if v := c.view(p, reviewer, time.Now()); !v.CanReview || v.Unproven != "" {
		t.Fatalf("a proven review: %+v", v)
	}
	p.Unproven = "review r1 does not carry a valid seal"
	v := c.view(p, reviewer, time.Now())
	if v.CanReview || v.Unproven != p.Unproven || !strings.Contains(v.WhyNot, "seal") {
		t.Fatalf("an unproven review: %+v", v)
	}
}
