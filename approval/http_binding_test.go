package approval_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/httpgate"
)

const deployRules = `
default: deny
rules:
  - name: hold-deploys
    when: http.method == "POST"
    action: review
`

// End to end through the HTTP proxy in refuse-then-retry mode: a reviewer
// approves a deploy sent with "X-Dry-Run: true"; the agent's retry with
// "X-Dry-Run: false" (same method, path and body) never reaches the
// upstream, and the approved request still does.
func TestHTTPRetryWithOtherHeadersDoesNotRun(t *testing.T) {
	rs, err := gate.ParseRules("deploy.yaml", []byte(deployRules))
	if err != nil {
		t.Fatal(err)
	}
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem, ReviewMode: gate.RefuseThenRetry})
	agent := gate.Identity{Subject: "agent-http", Kind: gate.KindAgent}
	gw, err := httpgate.New(httpgate.Config{Gate: g, Target: "deploy-api", Authenticator: gate.Tokens(map[string]gate.Identity{"agent-token": agent})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	var mu sync.Mutex
	var ran []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ran = append(ran, r.Header.Get("X-Dry-Run"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	ph, err := gw.Proxy(httpgate.ProxyConfig{Upstream: u})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(ph)
	t.Cleanup(proxy.Close)
	send := func(dryRun string) *http.Response {
		req, _ := http.NewRequest("POST", proxy.URL+"/deploy", strings.NewReader(`{"service":"billing"}`))
		req.Header.Set("Authorization", "Bearer agent-token")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Dry-Run", dryRun)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}
	resp := send("true")
	id := resp.Header.Get(httpgate.ApprovalHeader)
	if resp.StatusCode != http.StatusConflict || id == "" {
		t.Fatalf("first attempt: %d", resp.StatusCode)
	}
	reviewer := gate.Identity{Subject: "rita", Kind: gate.KindHuman}
	if _, err := mem.Approve(context.Background(), id, reviewer, "a dry run is fine"); err != nil {
		t.Fatal(err)
	}
	if resp := send("false"); resp.StatusCode < 400 {
		t.Errorf("the retry with X-Dry-Run: false got %d", resp.StatusCode)
	}
	if resp := send("true"); resp.StatusCode >= 300 {
		t.Errorf("the approved request got %d", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ran) != 1 || ran[0] != "true" {
		t.Fatalf("the upstream ran deploys with X-Dry-Run %q; want only the approved dry run", ran)
	}
}
