package approval

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/chromedp/chromedp"
)

// browser starts a headless Chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("chromium not installed")
		}
		t.Fatal("chromium not installed (Debian package chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// consoleFixture is a gate in hold mode whose reviews are served by a
// Console mounted under /review/.
type consoleFixture struct {
	gateFixture
	url string
}

var reviewerTokens = map[string]gate.Identity{"alice-token": alice, "bob-token": bob, "agent-token": agent}

func newConsoleFixture(t *testing.T) *consoleFixture {
	t.Helper()
	f := &consoleFixture{gateFixture: newGateFixture(t, gate.Hold)}
	con := &Console{
		Approver: f.mem, Authenticate: BearerTokens(reviewerTokens),
		MaskCommand: func(s string) string { return strings.ReplaceAll(s, "s3cret", "******") },
	}
	f.url = serveConsole(t, con)
	return f
}

// serveConsole serves con under /review/ until the test ends, closing it
// then, and returns its URL.
func serveConsole(t *testing.T, con *Console) string {
	mux := http.NewServeMux()
	mux.Handle("/review/", http.StripPrefix("/review", con))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { con.Close() })
	return srv.URL + "/review/"
}

func login(url, token string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("user")),
	)
}

func text(ctx context.Context, t *testing.T, sel chromedp.CSS) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func waitResult(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("held call did not complete")
		return nil
	}
}

// A rule requires two DBA approvals: bob approves through the JSON API,
// alice sees the vote arrive live and approves in the browser, and the held
// call proceeds. Every review step is recorded.
func TestConsoleBrowserApprove(t *testing.T) {
	ctx := browser(t)
	f := newConsoleFixture(t)

	if err := chromedp.Do(ctx, login(f.url, "alice-token"), chromedp.WaitVisible(chromedp.CSS("#live.live:not(.off)"))); err != nil {
		t.Fatal(err)
	}
	user := text(ctx, t, "#user")
	if user != "Alice (alice)" {
		t.Fatalf("signed in as %q", user)
	}

	done := f.hold("DELETE FROM users WHERE id = 1 AND name = 's3cret'")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("article.card"))); err != nil {
		t.Fatal(err)
	}
	command := text(ctx, t, "article.card .command")
	if command != "DELETE FROM users WHERE id = 1 AND name = '******'" {
		t.Fatalf("command shown %q", command)
	}
	p, _ := f.mem.WaitPending(ctx)

	// Bob votes from a script; alice's page shows it without a reload.
	if code, out := doAs(t, "bob-token", http.MethodPost, f.url+"api/decide",
		strings.NewReader(`{"id":"`+p.ID+`","decision":"approve","reason":"ran it on staging"}`)); code != http.StatusOK || !strings.Contains(out, `"pending"`) {
		t.Fatalf("bob via API: %d %s", code, out)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`//dd[contains(@class,"tally")][contains(., "1 of 2 approvals")]`),
		chromedp.WaitVisible(`//span[contains(@class,"vote")][contains(., "ran it on staging")]`),
	); err != nil {
		t.Fatal(err)
	}
	stillHeld(t, done, 0, "proceeded after one approval")

	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("article.card input.reason"), "checked with the owner")); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitEnabled(chromedp.CSS("article.card button.approve")), // the list settles after a change
		chromedp.Click(chromedp.CSS("article.card button.approve")),
		chromedp.WaitVisible(`//p[@id="flash"][contains(., "Approved")]`),
		chromedp.WaitVisible(chromedp.CSS("p.empty")),
	); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("AIRLOCK_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(dir+"/console-pending.png", shot, 0o644)
	}
	if err := waitResult(t, done); err != nil {
		t.Fatalf("held call: %v", err)
	}

	// The history view lists the decision with both votes.
	if err := chromedp.Do(ctx, chromedp.Navigate(f.url+"history"), chromedp.WaitVisible(chromedp.CSS("table.history"))); err != nil {
		t.Fatal(err)
	}
	history := text(ctx, t, "table.history")
	for _, want := range []string{"checked with the owner", "ran it on staging", "Bob (bob)", "Alice (alice)", "******"} {
		if !strings.Contains(history, want) {
			t.Fatalf("history lacks %q:\n%s", want, history)
		}
	}
	if dir := os.Getenv("AIRLOCK_SCREENSHOTS"); dir != "" {
		hs, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		_ = os.WriteFile(dir+"/console-history.png", hs, 0o644)
	}

	want := []gate.EventKind{gate.EventApprovalRequested, gate.EventApprovalReviewed, gate.EventApprovalReviewed,
		gate.EventApprovalApproved, gate.EventApprovalConsumed}
	if got := f.rec.kinds(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	rv := f.rec.reviewed()
	if rv[0].Reviewer.Subject != "bob" || rv[0].Reason != "ran it on staging" ||
		rv[1].Reviewer.Subject != "alice" || rv[1].Reason != "checked with the owner" || !rv[1].Approve {
		t.Fatalf("reviewed events %+v", rv)
	}
}

func TestConsoleBrowserDeny(t *testing.T) {
	ctx := browser(t)
	f := newConsoleFixture(t)
	done := f.hold("DELETE FROM users WHERE id = 2")
	if _, err := f.mem.WaitPending(ctx); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("AIRLOCK_SCREENSHOTS"); dir != "" {
		_ = chromedp.Do(ctx, chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.ID("token")))
		shot, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		_ = os.WriteFile(dir+"/console-login.png", shot, 0o644)
	}
	if err := chromedp.Do(ctx,
		login(f.url, "bob-token"),
		chromedp.WaitVisible(chromedp.CSS("article.card")),
		// The policy requires a reason: the browser refuses an empty one.
		chromedp.WaitEnabled(chromedp.CSS("article.card button.deny")), // the list settles after a change
		chromedp.Click(chromedp.CSS("article.card button.deny")),
		chromedp.Sleep(100*time.Millisecond),
	); err != nil {
		t.Fatal(err)
	}
	stillHeld(t, done, 0, "denied without a reason")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("article.card input.reason"), "wrong customer"),
		chromedp.WaitEnabled(chromedp.CSS("article.card button.deny")), // the list settles after a change
		chromedp.Click(chromedp.CSS("article.card button.deny")),
		chromedp.WaitVisible(`//p[@id="flash"][contains(., "Denied")]`),
	); err != nil {
		t.Fatal(err)
	}
	err := waitResult(t, done)
	if !errors.Is(err, gate.ErrDenied) || !strings.Contains(err.Error(), "wrong customer") {
		t.Fatalf("held call: %v", err)
	}
	if rv := f.rec.reviewed(); len(rv) != 1 || rv[0].Approve || rv[0].Reviewer.Subject != "bob" {
		t.Fatalf("reviewed %+v", rv)
	}
}
