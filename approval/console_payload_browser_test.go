package approval

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgproto3"
)

const payloadRules = `
default: deny
rules:
  - name: hold-writes
    when: request.protocol in ["http", "postgres"]
    action: review
    review: {max_grant: 1h}
`

// payloadFixture is a gate in refuse-then-retry mode whose reviews a
// Console serves, with reviewer tokens that can be revoked.
type payloadFixture struct {
	mem    *Memory
	gate   *gate.Gate
	tokens *Tokens
	url    string
}

func newPayloadFixture(t *testing.T) *payloadFixture {
	t.Helper()
	rs, err := gate.ParseRules("payload.yaml", []byte(payloadRules))
	if err != nil {
		t.Fatal(err)
	}
	f := &payloadFixture{mem: &Memory{}, tokens: &Tokens{}}
	f.gate = gate.New(gate.Config{Rules: rs, Approver: f.mem, ReviewMode: gate.RefuseThenRetry})
	f.tokens.Add("alice-token", alice)
	con := &Console{Approver: f.mem, Authenticate: f.tokens.Authenticate}
	f.url = serveConsole(t, con)
	return f
}

// check runs req for agent on target prod and reports "held", "allow",
// "grant" or "deny".
func (f *payloadFixture) check(t *testing.T, req *gate.Request) string {
	t.Helper()
	if req.Session == nil {
		req.Session = &gate.Session{Protocol: req.Protocol, Target: "prod", Identity: agent}
	}
	d, err := f.gate.Check(context.Background(), req)
	var re *gate.RefusedError
	switch {
	case err == nil && d.Grant != "":
		return "grant"
	case err == nil:
		return "allow"
	case errors.As(err, &re) && re.Pending():
		return "held"
	}
	return "deny"
}

func httpReq(body string) *gate.Request {
	return &gate.Request{Protocol: "http", Command: "POST /review", Payload: []byte(body),
		HTTP: &gate.HTTP{Method: "POST", Path: "/review", Headers: map[string][]string{"content-type": {"application/json"}}}}
}

func pgReq(t *testing.T, sql string, params ...string) *gate.Request {
	t.Helper()
	b := &pgproto3.Bind{}
	for _, p := range params {
		b.Parameters = append(b.Parameters, []byte(p))
	}
	payload, err := b.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &gate.Request{Protocol: "postgres", Command: sql, Payload: payload,
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "INSERT", Text: sql}}}}
}

// The attack of issue 18, seen by a reviewer in Chromium: the console
// shows the HTTP body and the bound parameter, with personal data masked,
// and marks what it cannot show.
func TestConsoleBrowserShowsPayloadMasked(t *testing.T) {
	ctx := browser(t)
	f := newPayloadFixture(t)
	if got := f.check(t, httpReq(`{"amount":999999,"to":"attacker-account","notify":"eve@example.com"}`)); got != "held" {
		t.Fatalf("http: %s", got)
	}
	if got := f.check(t, pgReq(t, "INSERT INTO t VALUES ($1, $2)", "ATTACKER-CHOSEN VALUE", "card 4111 1111 1111 1111")); got != "held" {
		t.Fatalf("postgres: %s", got)
	}
	if got := f.check(t, httpReq("\x00\x01binary\x02")); got != "held" {
		t.Fatalf("binary: %s", got)
	}
	if err := chromedp.Do(ctx, login(f.url, "alice-token"),
		chromedp.WaitVisible(`//article[@class="card"][3]`)); err != nil {
		t.Fatal(err)
	}
	page := text(ctx, t, "#pending")
	for _, want := range []string{`"amount": 999999`, `"to": "attacker-account"`, "$1 = 'ATTACKER-CHOSEN VALUE'",
		"not shown: binary", "Part of this request cannot be shown"} {
		if !strings.Contains(page, want) {
			t.Errorf("the console does not show %q:\n%s", want, page)
		}
	}
	for _, secret := range []string{"eve@example.com", "4111 1111 1111 1111"} {
		if strings.Contains(page, secret) {
			t.Errorf("the console shows %q unmasked", secret)
		}
	}
	// The JSON API shows the same, masked.
	code, out := doAs(t, "alice-token", http.MethodGet, f.url+"api/pending", nil)
	if code != http.StatusOK || !strings.Contains(out, "attacker-account") || !strings.Contains(out, "ATTACKER-CHOSEN VALUE") ||
		strings.Contains(out, "eve@example.com") || strings.Contains(out, "4111 1111 1111 1111") || !strings.Contains(out, `"undisplayable":true`) {
		t.Fatalf("api/pending: %d %s", code, out)
	}
}

// Revoking a reviewer's token ends their browser session at once: the open
// page is sent to the login form on its next update, and the cookie no
// longer works.
func TestConsoleBrowserRevokedTokenLogsOut(t *testing.T) {
	ctx := browser(t)
	f := newPayloadFixture(t)
	if err := chromedp.Do(ctx, login(f.url, "alice-token"), chromedp.WaitVisible(chromedp.CSS("#live.live:not(.off)"))); err != nil {
		t.Fatal(err)
	}
	f.tokens.Revoke("alice-token")
	// Any change makes the page update; the update finds the login gone.
	f.check(t, httpReq(`{"a":1}`))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("token"))); err != nil {
		t.Fatalf("still signed in after revocation: %v", err)
	}
	// Navigating back does not restore it.
	if err := chromedp.Do(ctx, chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.ID("token"))); err != nil {
		t.Fatal(err)
	}
}

// A reviewer approves with a grant in the browser: the next requests of
// the same shape are allowed without review until the reviewer revokes the
// grant on the grants page.
func TestConsoleBrowserGrant(t *testing.T) {
	ctx := browser(t)
	f := newPayloadFixture(t)
	if got := f.check(t, pgReq(t, "INSERT INTO t VALUES ($1)", "one")); got != "held" {
		t.Fatalf("first: %s", got)
	}
	if err := chromedp.Do(ctx, login(f.url, "alice-token"),
		chromedp.WaitVisible(chromedp.CSS("article.card select.grant-scope")),
		chromedp.SetValue(chromedp.CSS("article.card select.grant-scope"), "shape"),
		chromedp.SendKeys(chromedp.CSS("article.card input.grant-minutes"), "30"),
		chromedp.SendKeys(chromedp.CSS("article.card input.reason"), "backfill ticket 9"),
		chromedp.WaitEnabled(chromedp.CSS("article.card button.approve")), // the list settles after a change
		chromedp.Click(chromedp.CSS("article.card button.approve")),
		chromedp.WaitVisible(`//p[@id="flash"][contains(., "Approved")]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := f.check(t, pgReq(t, "INSERT INTO t VALUES ($1)", "one")); got != "allow" {
		t.Fatalf("the approved request: %s", got)
	}
	for _, v := range []string{"two", "three"} {
		if got := f.check(t, pgReq(t, "INSERT INTO t VALUES ($1)", v)); got != "grant" {
			t.Fatalf("same shape, value %s: %s", v, got)
		}
	}
	if got := f.check(t, pgReq(t, "INSERT INTO other VALUES ($1)", "x")); got != "held" {
		t.Fatalf("another shape: %s", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(f.url+"grants"),
		chromedp.WaitVisible(chromedp.CSS("table.grants form.revoke button")),
	); err != nil {
		t.Fatal(err)
	}
	row := strings.ToLower(text(ctx, t, "table.grants tbody tr"))
	for _, want := range []string{"active", "agent-1", "shape", "2 used", "backfill ticket 9"} {
		if !strings.Contains(row, want) {
			t.Errorf("grant row lacks %q: %s", want, row)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("table.grants form.revoke button")),
		chromedp.WaitVisible(`//p[@id="flash"][contains(., "revoked")]`),
		chromedp.WaitVisible(`//span[contains(@class,"grant-state")][contains(., "revoked")]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := f.check(t, pgReq(t, "INSERT INTO t VALUES ($1)", "four")); got != "held" {
		t.Fatalf("after revocation: %s", got)
	}
}
