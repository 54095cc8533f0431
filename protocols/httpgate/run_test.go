package httpgate

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// sessionRuns lists the run of every recorded session start.
func (e *env) sessionRuns() []string {
	var runs []string
	for _, ev := range e.events(gate.EventSessionStart) {
		runs = append(runs, ev.Session.Run)
	}
	return runs
}

// The harness names the agent's run in the Airlock-Run header: the session
// joins it, sessions are per identity and run, and the upstream (or the
// handler behind the middleware) never sees the header.
func TestRunHeaderNamesTheSessionsRun(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, name string, srv *httptest.Server) {
		run := "run-" + name
		for range 2 {
			resp := e.do(srv, "GET", "/api/echo", "", "", RunHeader, run)
			if body := readAll(t, resp); resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if got := e.up.lastReq.Load().Header.Values(RunHeader); len(got) != 0 {
				t.Errorf("the upstream saw %s: %q", RunHeader, got)
			}
		}
		first := e.lastSession()
		if n := strings.Count(strings.Join(e.sessionRuns(), " "), run); n != 1 {
			t.Errorf("%d sessions of %s, want 1: %q", n, run, e.sessionRuns())
		}
		readAll(t, e.do(srv, "GET", "/api/echo", "", "", RunHeader, run+"-other"))
		if e.lastSession() == first {
			t.Errorf("another run went into the same session")
		}
	})
}

// A run header that is not a run id, or more than one, gets 400 and a
// recorded refusal; nothing reaches the upstream.
func TestInvalidRunHeaderIsRefused(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		for _, hdr := range [][]string{
			{RunHeader, "two words"},
			{RunHeader, strings.Repeat("r", gate.MaxRunIDBytes+1)},
			{RunHeader, "run-a", RunHeader, "run-b"},
		} {
			before := len(e.refusals())
			resp := e.do(srv, "GET", "/api/invalid-run", "", "", hdr...)
			body := readAll(t, resp)
			var p Problem
			if resp.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(body), &p) != nil || p.Type != "urn:airlock:problem:bad-request" {
				t.Fatalf("%q: %d %s", hdr, resp.StatusCode, body)
			}
			if got := e.refusals(); len(got) != before+1 || !strings.Contains(got[len(got)-1].Error, "invalid run") ||
				got[len(got)-1].Identity.Subject != agent.Subject {
				t.Errorf("%q: refusals %+v", hdr, got)
			}
		}
	})
	if n := e.up.hit("/api/invalid-run"); n != 0 {
		t.Errorf("upstream reached %d times", n)
	}
}

// A request refused before the rules is a deny decision of the check
// "http/<check>", in the problem the client receives and in the record,
// and counts in session.denied.
func TestPreRuleRefusalIsACountedDecision(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	resp := e.do(e.proxy, "GET", "/api/a%2Fb", "", "")
	body := readAll(t, resp)
	var p Problem
	if resp.StatusCode != 400 || json.Unmarshal([]byte(body), &p) != nil || p.Rule != "http/path" || p.DecisionID == "" ||
		!strings.HasPrefix(p.Detail, "airlock: refused by http/path: ") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var found bool
	for _, ev := range e.events(gate.EventDecision) {
		if ev.Decision.ID == p.DecisionID {
			found = ev.Decision.Action == gate.Deny && ev.Decision.Rule == "http/path" && ev.Request.Command == "GET /api/a%2Fb"
		}
	}
	if !found {
		t.Errorf("no deny decision %s recorded", p.DecisionID)
	}
	if err := e.gw.Close(); err != nil {
		t.Fatal(err)
	}
	ends := e.events(gate.EventSessionEnd)
	if len(ends) != 1 || ends[0].Session.Denied != 1 || ends[0].Session.Requests != 1 {
		t.Errorf("session end: %+v", ends)
	}
}

// Handler serves the proxy of Config.Proxy; without one it answers 500.
func TestHandlerServesConfigProxy(t *testing.T) {
	e := newEnv(t, gate.Hold, nil)
	u, _ := url.Parse(e.upSrv.URL)
	tokens := gate.Tokens(map[string]gate.Identity{agentToken: agent})
	gw, err := New(Config{Gate: e.g, Authenticator: tokens, Proxy: &ProxyConfig{Upstream: u}})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	if resp := e.do(srv, "GET", "/api/handler", "", ""); resp.StatusCode != 200 || readAll(t, resp) != "reached /api/handler" {
		t.Errorf("Handler: %d", resp.StatusCode)
	}

	bare, err := New(Config{Gate: e.g, Authenticator: tokens})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	rec := httptest.NewRecorder()
	bare.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/echo", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("Handler without a proxy: %d", rec.Code)
	}
	if _, err := New(Config{Gate: e.g, Authenticator: tokens, Proxy: &ProxyConfig{}}); err == nil {
		t.Errorf("New accepted a Proxy without an upstream")
	}
}

// New says what a Config lacks.
func TestNewValidatesConfig(t *testing.T) {
	g := gate.New(gate.Config{})
	if _, err := New(Config{Authenticator: gate.Tokens(nil)}); err == nil || !strings.Contains(err.Error(), "Gate") {
		t.Errorf("no Gate: %v", err)
	}
	if _, err := New(Config{Gate: g}); err == nil || !strings.Contains(err.Error(), "Authenticator") {
		t.Errorf("no Authenticator: %v", err)
	}
}

// An agent cannot grow the gateway's sessions without bound by naming a new
// run on every request: past MaxSessionsPerIdentity it gets 429 and a
// recorded refusal; a run it already holds still works, and once idle
// sessions close it may open new ones.
func TestSessionsPerIdentityAreBounded(t *testing.T) {
	e := newEnv(t, gate.Hold, func(c *Config) { c.MaxSessionsPerIdentity = 2 })
	e.eachServer(t, func(t *testing.T, name string, srv *httptest.Server) {
		e.gw.sessions.sweep(time.Now().Add(24 * time.Hour)) // the other server's
		for i := range 2 {
			resp := e.do(srv, "GET", "/api/echo", "", "", RunHeader, name+"-run-"+string(rune('a'+i)))
			if body := readAll(t, resp); resp.StatusCode != 200 {
				t.Fatalf("run %d: %d %s", i, resp.StatusCode, body)
			}
		}
		before := len(e.refusals())
		resp := e.do(srv, "GET", "/api/echo", "", "", RunHeader, name+"-run-c")
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "too-many-sessions") {
			t.Fatalf("third run: %d %s", resp.StatusCode, body)
		}
		if got := e.refusals(); len(got) != before+1 || !strings.Contains(got[len(got)-1].Error, "too many sessions") {
			t.Errorf("refusals %+v", got)
		}
		resp = e.do(srv, "GET", "/api/echo", "", "", RunHeader, name+"-run-a")
		if body := readAll(t, resp); resp.StatusCode != 200 {
			t.Errorf("a run it holds: %d %s", resp.StatusCode, body)
		}
		// Close the gateway's sessions (as the idle janitor would):
		// the identity may open new runs again.
		e.gw.sessions.sweep(time.Now().Add(24 * time.Hour))
		resp = e.do(srv, "GET", "/api/echo", "", "", RunHeader, name+"-run-c")
		if body := readAll(t, resp); resp.StatusCode != 200 {
			t.Errorf("after the idle sessions closed: %d %s", resp.StatusCode, body)
		}
	})
}
