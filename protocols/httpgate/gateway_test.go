package httpgate

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

func servers(e *env) map[string]*httptest.Server {
	return map[string]*httptest.Server{"proxy": e.proxy, "middleware": e.mw}
}

// eachServer runs check as a subtest on each of the env's servers, the
// reverse proxy and the middleware, named after it.
func (e *env) eachServer(t *testing.T, check func(t *testing.T, name string, srv *httptest.Server)) {
	for name, srv := range servers(e) {
		t.Run(name, func(t *testing.T) { check(t, name, srv) })
	}
}

func TestAllowedRequestReachesUpstreamWithGatewayCredential(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	resp := e.do(e.proxy, "GET", "/api/echo?b=2&a=1", "", "", "Cookie", "session=stolen-cookie-value", "Accept-Encoding", "br, gzip")
	body := readAll(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got["gateway_credential"] != "true" {
		t.Errorf("upstream did not see the gateway's credential: %s", body)
	}
	if got["authorization"] != "[GATEWAY_SECRET]" {
		t.Errorf("the echoed credential reached the client as %q, want it masked", got["authorization"])
	}
	if got["cookie"] != "" {
		t.Errorf("client cookie reached the upstream: %q", got["cookie"])
	}
	if got["accept_encoding"] != "gzip" {
		t.Errorf("upstream saw Accept-Encoding %q, want gzip (br is never advertised)", got["accept_encoding"])
	}
	if got["query"] != "a=1&b=2" {
		t.Errorf("upstream saw query %q, want the canonical a=1&b=2", got["query"])
	}
}

func TestDeniedRequestGetsProblemJSON(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		resp := e.do(srv, "GET", "/admin/users", "", "")
		body := readAll(t, resp)
		if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != ProblemContentType {
			t.Fatalf("got %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var p Problem
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		if p.Rule != "no-admin" || p.Reason != "admin is off limits" || p.Status != 403 || p.DecisionID == "" {
			t.Errorf("problem = %+v", p)
		}
	})
	if n := e.up.hit("/admin/users"); n != 0 {
		t.Errorf("upstream reached %d times", n)
	}
}

func TestUnknownClientGets401(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		resp, err := http.Get(srv.URL + "/api/echo")
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("got %d", resp.StatusCode)
		}
	})
}

func TestBodyRuleDeniesLargePayment(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		resp := e.do(srv, "POST", "/api/payments", "application/json", `{"amount": 5000}`)
		if b := readAll(t, resp); resp.StatusCode != 403 || !strings.Contains(b, "big-payments") {
			t.Errorf("big payment: %d %s", resp.StatusCode, b)
		}
		resp = e.do(srv, "POST", "/api/payments", "application/json", `{"amount": 10}`)
		if b := readAll(t, resp); resp.StatusCode != 200 {
			t.Errorf("small payment: %d %s", resp.StatusCode, b)
		}
	})
}

func TestReviewHoldThenApprove(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		errc := make(chan error, 1)
		go func() { _, err := e.approveNext(ctx); errc <- err }()
		resp := e.do(srv, "POST", "/api/refunds", "application/json", `{"order": 7}`)
		body := readAll(t, resp)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !strings.Contains(body, `"path":"/api/refunds"`) {
			t.Fatalf("held request after approval: %d %s", resp.StatusCode, body)
		}
	})
}

func TestReviewRefuseThenRetry(t *testing.T) {
	e := newEnv(t, gate.RefuseThenRetry, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		resp := e.do(srv, "POST", "/api/refunds", "application/json", `{"order": 8}`)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusConflict || resp.Header.Get("Retry-After") != "10" {
			t.Fatalf("first attempt: %d %v %s", resp.StatusCode, resp.Header, body)
		}
		var p Problem
		_ = json.Unmarshal([]byte(body), &p)
		if p.ApprovalID == "" || p.ApprovalID != resp.Header.Get(ApprovalHeader) || p.RetryAfter != 10 {
			t.Fatalf("problem = %+v", p)
		}
		if _, err := e.appr.Approve(context.Background(), p.ApprovalID, alice, "ok"); err != nil {
			t.Fatal(err)
		}
		// A different body is a different request: still held.
		resp = e.do(srv, "POST", "/api/refunds", "application/json", `{"order": 9}`)
		if readAll(t, resp); resp.StatusCode != http.StatusConflict {
			t.Errorf("other body after approval: %d", resp.StatusCode)
		}
		resp = e.do(srv, "POST", "/api/refunds", "application/json", `{"order": 8}`)
		if b := readAll(t, resp); resp.StatusCode != 200 {
			t.Fatalf("retry after approval: %d %s", resp.StatusCode, b)
		}
		resp = e.do(srv, "POST", "/api/refunds", "application/json", `{"order": 8}`)
		if readAll(t, resp); resp.StatusCode != http.StatusConflict {
			t.Errorf("an approval is used once; second retry got %d", resp.StatusCode)
		}
	})
}

func TestMaskJSONResponse(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		resp := e.do(srv, "GET", "/api/users", "", "")
		body := readAll(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if strings.Contains(body, "4111") {
			t.Fatalf("card leaked: %s", body)
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("Content-Length %d, body %d bytes", resp.ContentLength, len(body))
		}
		var doc struct {
			Users []map[string]any `json:"users"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Users) != 1 || doc.Users[0]["note"] != "ok" {
			t.Fatalf("structure lost: %v %s", err, body)
		}
		if _, isNum := doc.Users[0]["card_number"].(float64); isNum {
			t.Errorf("card stored as a JSON number was not masked: %s", body)
		}
	})
}

func TestMaskGzipJSON(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	req, _ := http.NewRequest("GET", e.proxy.URL+"/api/gzip-json", nil)
	req.Header.Set("Authorization", "Bearer "+agentToken)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "4111") || !json.Valid(b) {
		t.Errorf("gzip JSON not masked: %s", b)
	}

	// A client that does not accept gzip gets the masked body decoded.
	for name, srv := range servers(e) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/gzip-json", nil)
		req.Header.Set("Authorization", "Bearer "+agentToken)
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.Header.Get("Content-Encoding") != "" || !json.Valid([]byte(body)) || strings.Contains(body, "4111") ||
			resp.ContentLength != int64(len(body)) {
			t.Errorf("%s: identity client got %v %q", name, resp.Header, body)
		}
	}
}

func TestMaskCardSplitAcrossGzipChunks(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		// net/http's transport asks for gzip and decodes it transparently.
		resp := e.do(srv, "GET", "/api/gzip-text", "", "")
		body := readAll(t, resp)
		if resp.StatusCode != 200 || strings.Contains(body, "1111") || !strings.Contains(body, "end") {
			t.Errorf("%d %q", resp.StatusCode, body)
		}
	})
}

func TestMaskSSEStreamsLive(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		e.up.sseStep = make(chan struct{})
		resp := e.do(srv, "GET", "/api/sse", "", "")
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		first := readEvent(t, br)
		// The upstream sends the second event only now.
		close(e.up.sseStep)
		rest, _ := io.ReadAll(br)
		all := first + string(rest)
		if strings.Contains(all, "4111") || strings.Contains(all, "5555") {
			t.Errorf("card leaked: %q", all)
		}
		if !strings.Contains(first, "first") || !strings.Contains(string(rest), "second") {
			t.Errorf("events lost: %q / %q", first, rest)
		}
	})
}

func TestBrotliResponseFailsClosed(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		resp := e.do(srv, "GET", "/api/br", "", "")
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadGateway || strings.Contains(body, "4111") {
			t.Errorf("br response: %d %q", resp.StatusCode, body)
		}
	})
}

func TestMaskResponseHeaders(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		resp := e.do(srv, "GET", "/api/headers", "", "")
		readAll(t, resp)
		if v := resp.Header.Get("X-Card"); v == "" || strings.Contains(v, "4111") {
			t.Errorf("X-Card = %q", v)
		}
	})
}

func TestRecordsRequestDecisionAndMaskedResponse(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	resp := e.do(e.proxy, "GET", "/api/users?access_token=query-secret-token", "", "", "X-Api-Key", "client-api-key-secret")
	readAll(t, resp)
	resp = e.do(e.proxy, "GET", "/api/big", "", "")
	readAll(t, resp)
	all := e.allRecorded()
	for _, leak := range []string{agentToken, "client-api-key-secret", "query-secret-token", card, cardDigits, upstreamToken} {
		if strings.Contains(all, leak) {
			t.Errorf("the record holds %q", leak)
		}
	}
	decisions := e.events(gate.EventDecision)
	if len(decisions) < 2 || decisions[0].Request == nil || decisions[0].Request.HTTP == nil ||
		!strings.HasPrefix(decisions[0].Request.Command, "GET /api/users?access_token=hmac-sha256:") || decisions[0].Decision.Action != gate.Allow {
		t.Fatalf("decision events: %+v", decisions)
	}
	outs := e.events(gate.EventOutput)
	if len(outs) != 2 {
		t.Fatalf("%d output events", len(outs))
	}
	for _, o := range outs {
		if d := string(o.Output.Data); strings.Contains(d, card) || strings.Contains(d, cardDigits) {
			t.Errorf("recorded output not masked: %s", d)
		}
	}
	o := outs[0].Output
	if o.DecisionID != decisions[0].Decision.ID || !strings.Contains(string(o.Data), "HTTP/1.1 200 OK") ||
		!strings.Contains(string(o.Data), `"note":"ok"`) || len(o.Findings) == 0 {
		t.Errorf("output record: %+v %s", o, o.Data)
	}
	if big := outs[1].Output; !big.Truncated || len(big.Data) > 1024+512 {
		t.Errorf("big response: truncated=%v, %d bytes recorded", big.Truncated, len(big.Data))
	}
}

func TestSessionPerIdentityClosesWhenIdle(t *testing.T) {
	e := newEnv(t, gate.Hold, func(c *Config) { c.IdleTimeout = time.Second })
	for range 3 {
		readAll(t, e.do(e.proxy, "GET", "/api/echo", "", ""))
	}
	if n := len(e.events(gate.EventSessionStart)); n != 1 {
		t.Fatalf("%d sessions for one identity", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(e.events(gate.EventSessionEnd)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("idle session never closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	readAll(t, e.do(e.proxy, "GET", "/api/echo", "", ""))
	if n := len(e.events(gate.EventSessionStart)); n != 2 {
		t.Errorf("after idle close, %d sessions", n)
	}
}

func TestSessionPerRequest(t *testing.T) {
	e := newEnv(t, gate.Hold, func(c *Config) { c.IdleTimeout = -1 })
	for range 2 {
		readAll(t, e.do(e.mw, "GET", "/api/echo", "", ""))
	}
	if s, end := len(e.events(gate.EventSessionStart)), len(e.events(gate.EventSessionEnd)); s != 2 || end != 2 {
		t.Errorf("%d starts, %d ends", s, end)
	}
}

func TestRecorderFailureFailsClosed(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	readAll(t, e.do(e.proxy, "GET", "/api/echo", "", "")) // the session is open
	e.rec.SetErr(errors.New("disk full"))
	resp := e.do(e.proxy, "GET", "/api/echo", "", "")
	if b := readAll(t, resp); resp.StatusCode != 403 || strings.Contains(b, "reached") {
		t.Errorf("with a failing recorder: %d %s", resp.StatusCode, b)
	}
	e2 := newEnv(t, gate.Hold, nil)
	e2.rec.SetErr(errors.New("disk full"))
	resp = e2.do(e2.mw, "GET", "/api/echo", "", "")
	if readAll(t, resp); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("session cannot be recorded: %d", resp.StatusCode)
	}
}

func TestHandlerSeesCanonicalRequestAndSession(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	var sawSession bool
	var sawPath, sawBody string
	h := e.gw.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawSession = gate.SessionFrom(r.Context()) != nil
		sawPath = r.URL.Path
		b, _ := io.ReadAll(r.Body)
		sawBody = string(b)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	var buf strings.Builder
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, `{"x":1}`)
	zw.Close()
	resp := e.do(srv, "POST", "/api//v1/./items/../echo", "application/json", buf.String(), "Content-Encoding", "gzip")
	readAll(t, resp)
	if resp.StatusCode != 200 || !sawSession || sawPath != "/api/v1/echo" || sawBody != `{"x":1}` {
		t.Errorf("%d session=%v path=%q body=%q", resp.StatusCode, sawSession, sawPath, sawBody)
	}
}

func TestMethodOverrideHonouredInModel(t *testing.T) {
	e := newEnv(t, gate.Hold, func(c *Config) { c.MethodOverride = MethodOverrideHonour })
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		resp := e.do(srv, "POST", "/api/echo", "", "", "X-HTTP-Method-Override", "DELETE")
		if b := readAll(t, resp); resp.StatusCode != 403 || !strings.Contains(b, "no-deletes") {
			t.Errorf("override to DELETE: %d %s", resp.StatusCode, b)
		}
		resp = e.do(srv, "POST", "/api/echo", "", "", "X-HTTP-Method-Override", "DELETE", "X-Method-Override", "GET")
		if readAll(t, resp); resp.StatusCode != 400 {
			t.Errorf("conflicting overrides: %d", resp.StatusCode)
		}
		resp = e.do(srv, "POST", "/api/echo", "", "", "X-HTTP-Method-Override", "GET")
		if b := readAll(t, resp); resp.StatusCode != 200 {
			t.Errorf("override to GET: %d %s", resp.StatusCode, b)
		}
	})
}

func TestMaskSSEGzip(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	for name, srv := range servers(e) {
		resp := e.do(srv, "GET", "/api/sse-gzip", "", "")
		body := readAll(t, resp)
		if resp.StatusCode != 200 || strings.Contains(body, "1111") || !strings.Contains(body, "data: ") {
			t.Errorf("%s: %d %q", name, resp.StatusCode, body)
		}
	}
}

func TestMaskingFailureFailsClosed(t *testing.T) {
	e := newEnv(t, gate.Hold, func(c *Config) { c.MaxEventBytes = 1024; c.MaxResponseBytes = 4096 })
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		// An event above the bound: the stream is cut, the held event
		// never sent.
		// The cut may come before or after the client saw the headers.
		req, _ := http.NewRequest("GET", srv.URL+"/api/long-event", nil)
		req.Header.Set("Authorization", "Bearer "+agentToken)
		resp, err := http.DefaultClient.Do(req)
		var b []byte
		if err == nil {
			b, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil || strings.Contains(string(b), "yyyy") || strings.Contains(string(b), "4111") {
			t.Errorf("long event: err=%v body=%q", err, b)
		}
		// A JSON body above the bound is refused whole.
		resp = e.do(srv, "GET", "/api/big-json", "", "")
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadGateway || strings.Contains(body, "4111") {
			t.Errorf("big JSON: %d %q", resp.StatusCode, body)
		}
	})
}

func TestHeldRequestWithdrawnWhenClientLeaves(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.proxy.URL+"/api/refunds", strings.NewReader(`{"order":1}`))
	req.Header.Set("Authorization", "Bearer "+agentToken)
	req.Header.Set("Content-Type", "application/json")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if _, err := e.appr.WaitPending(wctx); err != nil {
		t.Fatal(err)
	}
	cancel() // the client gives up while held
	if err := <-errc; err == nil {
		t.Fatal("a held request returned before review")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(e.events(gate.EventApprovalWithdrawn)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the review was not withdrawn")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := e.up.hit("/api/refunds"); n != 0 {
		t.Errorf("upstream reached %d times", n)
	}
}

func TestConcurrentRequestsShareOneSession(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, srv := range []*httptest.Server{e.proxy, e.mw} {
				resp := e.do(srv, "GET", "/api/users", "", "")
				if b := readAll(t, resp); resp.StatusCode != 200 || strings.Contains(b, "4111") {
					t.Errorf("%d %s", resp.StatusCode, b)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(e.events(gate.EventSessionStart)); n != 1 {
		t.Errorf("%d sessions for one identity", n)
	}
	if err := e.gw.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(e.events(gate.EventSessionEnd)); n != 1 {
		t.Errorf("Close recorded %d session ends", n)
	}
	resp := e.do(e.proxy, "GET", "/api/users", "", "")
	if readAll(t, resp); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d", resp.StatusCode)
	}
}

func TestMaskCardSplitAcrossSSEEvents(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	for name, srv := range servers(e) {
		resp := e.do(srv, "GET", "/api/sse-split", "", "")
		body := readAll(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, "data: [REDACTED]\n\n") || !strings.Contains(body, "data: bye") {
			t.Errorf("%s: %d %q", name, resp.StatusCode, body)
		}
		if strings.Count(body, "1111") > 1 {
			t.Errorf("%s: both halves of the card were sent: %q", name, body)
		}
	}
}

func TestResponseHeaderFieldRule(t *testing.T) {
	rules := `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
    mask: [upstream_session]
masking:
  fields:
    - name: upstream_session
      headers: [X-Upstream-Session]
`
	rs, err := gate.ParseRules("fields.yaml", []byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upstream-Session", "sess-a1b2c3d4")
		w.Header().Set("X-Other", "kept")
		io.WriteString(w, "ok")
	}))
	defer up.Close()
	gw, err := New(Config{Gate: gate.New(gate.Config{Rules: rs}), Authenticator: gate.Tokens(map[string]gate.Identity{agentToken: agent})})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	srv := httptest.NewServer(gw.Middleware(up.Config.Handler))
	defer srv.Close()
	e := &env{t: t}
	resp := e.do(srv, "GET", "/api/x", "", "")
	readAll(t, resp)
	if v := resp.Header.Get("X-Upstream-Session"); v == "" || strings.Contains(v, "a1b2c3d4") || resp.Header.Get("X-Other") != "kept" {
		t.Errorf("headers: %v", resp.Header)
	}
}
