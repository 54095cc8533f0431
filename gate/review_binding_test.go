package gate_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
)

const bindingRules = `
default: deny
rules:
  - name: hold-all
    when: "true"
    action: review
    review: {max_grant: 1h, ttl: 1m}
`

var bindingReviewer = gate.Identity{Subject: "binding-reviewer", Kind: gate.KindHuman}

// bindingCase is a held request and another that must not ride on its
// approval or its exact grant: same Command, same Payload, but something
// else the rules judge, the reviewer is shown, or the upstream acts on
// differs.
type bindingCase struct {
	name        string
	protocol    string
	approved    func() *gate.Request
	other       func() *gate.Request
	differences string
}

func httpRequest(host string, headers map[string][]string) func() *gate.Request {
	return func() *gate.Request {
		return &gate.Request{Protocol: gate.ProtocolHTTP, Command: "POST /deploy", Payload: []byte(`{"service":"billing"}`),
			HTTP: &gate.HTTP{Method: "POST", Path: "/deploy", Host: host, Headers: headers, Body: map[string]any{"service": "billing"}}}
	}
}

func sqlRequest(nested string, params ...string) func() *gate.Request {
	return func() *gate.Request {
		return &gate.Request{Protocol: gate.ProtocolPostgres, Command: "EXECUTE purge", SQL: &gate.SQL{Params: params,
			Statements: []gate.SQLStatement{{Kind: "EXECUTE", Text: "EXECUTE purge", Opaque: true}, {Kind: "SELECT", Text: nested}}}}
	}
}

// settingsRequest is a DELETE whose meaning depends on the session's
// settings (DateStyle reads the date), run under settings.
func settingsRequest(settings map[string]string) func() *gate.Request {
	return func() *gate.Request {
		return &gate.Request{Protocol: gate.ProtocolPostgres, Command: "DELETE FROM t WHERE at < '01/12/2026'", SQL: &gate.SQL{
			Statements: []gate.SQLStatement{{Kind: "DELETE", Text: "DELETE FROM t WHERE at < '01/12/2026'", HasWhere: true}},
			Settings:   settings}}
	}
}

func toolRequest(args map[string]any) func() *gate.Request {
	return func() *gate.Request {
		return &gate.Request{Protocol: gate.ProtocolMCP, Command: "tools/call deploy",
			Tool: &gate.ToolCall{Kind: "call", Name: "deploy", Args: args}}
	}
}

func sshRequest(argv ...string) func() *gate.Request {
	return func() *gate.Request {
		return &gate.Request{Protocol: gate.ProtocolSSH, Command: "deploy.sh",
			SSH: &gate.SSH{Kind: "exec", Command: "deploy.sh", Programs: []string{"deploy.sh"}, Argv: argv}}
	}
}

func bindingCases() []bindingCase {
	dry := map[string][]string{"content-type": {"application/json"}, "x-dry-run": {"true"}}
	return []bindingCase{
		{"http header value", gate.ProtocolHTTP, httpRequest("api", dry),
			httpRequest("api", map[string][]string{"content-type": {"application/json"}, "x-dry-run": {"false"}}), "x-dry-run"},
		{"http header added", gate.ProtocolHTTP, httpRequest("api", dry),
			httpRequest("api", map[string][]string{"content-type": {"application/json"}, "x-dry-run": {"true"}, "x-tenant": {"all"}}), "x-tenant"},
		{"http header dropped", gate.ProtocolHTTP, httpRequest("api", dry),
			httpRequest("api", map[string][]string{"content-type": {"application/json"}}), "no x-dry-run"},
		{"http header split", gate.ProtocolHTTP, httpRequest("api", map[string][]string{"x-scope": {"a,b"}}),
			httpRequest("api", map[string][]string{"x-scope": {"a", "b"}}), "two values"},
		{"http header case of value", gate.ProtocolHTTP, httpRequest("api", dry),
			httpRequest("api", map[string][]string{"content-type": {"application/json"}, "x-dry-run": {"True"}}), "True"},
		{"http host", gate.ProtocolHTTP, httpRequest("api", dry), httpRequest("admin-api", dry), "host"},
		{"sql prepared statement behind the same EXECUTE", gate.ProtocolPostgres, sqlRequest("SELECT 1"), sqlRequest("DELETE FROM accounts"), "nested"},
		{"sql parameters", gate.ProtocolPostgres, sqlRequest("SELECT $1", "1"), sqlRequest("SELECT $1", "2"), "params"},
		{"sql session settings", gate.ProtocolPostgres, settingsRequest(map[string]string{"datestyle": "ISO, MDY", "search_path": "public"}),
			settingsRequest(map[string]string{"datestyle": "ISO, DMY", "search_path": "public"}), "datestyle"},
		{"sql session setting added", gate.ProtocolPostgres, settingsRequest(map[string]string{"datestyle": "ISO, MDY"}),
			settingsRequest(map[string]string{"datestyle": "ISO, MDY", "session_replication_role": "replica"}), "session_replication_role"},
		{"tool arguments", gate.ProtocolMCP, toolRequest(map[string]any{"env": "staging"}), toolRequest(map[string]any{"env": "production"}), "args"},
		{"ssh argv", gate.ProtocolSSH, sshRequest("deploy.sh", "--dry-run"), sshRequest("deploy.sh", "--force"), "argv"},
	}
}

// bindingGate opens a refuse-then-retry gate and one session per
// protocol of the same agent.
func bindingGate(t *testing.T) (*gate.Gate, *approval.Memory, map[string]*gate.Session) {
	t.Helper()
	rs, err := gate.ParseRules("binding.yaml", []byte(bindingRules))
	if err != nil {
		t.Fatal(err)
	}
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: mem, ReviewMode: gate.RefuseThenRetry})
	sessions := map[string]*gate.Session{}
	for _, p := range []string{gate.ProtocolHTTP, gate.ProtocolPostgres, gate.ProtocolMCP, gate.ProtocolSSH} {
		s := &gate.Session{Protocol: p, Target: "prod", Identity: gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}}
		if err := g.OpenSession(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		sessions[p] = s
	}
	return g, mem, sessions
}

// holdAndApprove files req for review and approves it, with a grant when
// spec is set.
func holdAndApprove(t *testing.T, g *gate.Gate, mem *approval.Memory, req *gate.Request, spec *gate.GrantSpec) {
	t.Helper()
	_, err := g.Check(context.Background(), req)
	var ref *gate.RefusedError
	if !errors.As(err, &ref) || !ref.Pending() {
		t.Fatalf("the first request was not held: %v", err)
	}
	if spec != nil {
		_, err = mem.ApproveGrant(context.Background(), ref.ApprovalID, bindingReviewer, "ok", *spec)
	} else {
		_, err = mem.Approve(context.Background(), ref.ApprovalID, bindingReviewer, "ok")
	}
	if err != nil {
		t.Fatal(err)
	}
}

// An approval (refuse-then-retry) and an exact grant are bound to
// everything the gate judged and showed the reviewer, not only to Command
// and Payload.
func TestApprovalBindsEveryAttribute(t *testing.T) {
	for _, tc := range bindingCases() {
		for _, via := range []string{"approval", "exact grant"} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				g, mem, sessions := bindingGate(t)
				s := sessions[tc.protocol]
				a, b := tc.approved(), tc.other()
				a.Session, b.Session = s, s
				if via == "exact grant" {
					holdAndApprove(t, g, mem, a, &gate.GrantSpec{Scope: gate.GrantExact, Uses: 5})
					// a's retry uses the approval; what is left is the grant.
					if _, err := g.Check(context.Background(), sessionOf(s, tc.approved())); err != nil {
						t.Fatalf("the approved request itself: %v", err)
					}
				} else {
					holdAndApprove(t, g, mem, a, nil)
				}
				if d, err := g.Check(context.Background(), b); err == nil {
					t.Fatalf("%s: a request differing in %s ran on the %s of another: %+v", tc.name, tc.differences, via, d)
				}
				// The request that was approved still runs: the test can tell.
				if _, err := g.Check(context.Background(), sessionOf(s, tc.approved())); err != nil {
					t.Fatalf("the approved request itself was refused: %v", err)
				}
			})
		}
	}
}

func sessionOf(s *gate.Session, r *gate.Request) *gate.Request {
	r.Session = s
	return r
}

// A generator of header spellings: any one change to the name or value
// of one header of an approved HTTP request makes another request, which
// the approval does not cover.
func TestApprovalBindsHeaderSpellings(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	const alphabet = "aAzZ09-_ ,;\t\u00a0\u200b\u0131\u212a"
	runes := []rune(alphabet)
	mutate := func(s string) string {
		r := []rune(s)
		i := rng.IntN(len(r) + 1)
		switch rng.IntN(3) {
		case 0: // insert
			r = append(r[:i], append([]rune{runes[rng.IntN(len(runes))]}, r[i:]...)...)
		case 1: // replace
			if i == len(r) {
				i--
			}
			r[i] = runes[rng.IntN(len(runes))]
		default: // delete
			if i == len(r) {
				i--
			}
			r = append(r[:i], r[i+1:]...)
		}
		return string(r)
	}
	g, mem, sessions := bindingGate(t)
	s := sessions[gate.ProtocolHTTP]
	for i := range 40 {
		name, value := "x-mode", "dry-run-"+fmt.Sprint(i)
		headers := map[string][]string{name: {value}}
		other := map[string][]string{name: {value}}
		if rng.IntN(2) == 0 {
			other = map[string][]string{mutate(name): {value}}
		} else {
			other[name] = []string{mutate(value)}
		}
		if fmt.Sprint(other) == fmt.Sprint(headers) {
			continue
		}
		a := sessionOf(s, httpRequest("api", headers)())
		holdAndApprove(t, g, mem, a, nil)
		b := sessionOf(s, httpRequest("api", other)())
		if _, err := g.Check(context.Background(), b); err == nil {
			t.Fatalf("headers %q ran on the approval of %q", other, headers)
		}
		if _, err := g.Check(context.Background(), sessionOf(s, httpRequest("api", headers)())); err != nil {
			t.Fatalf("the approved request itself was refused: %v", err)
		}
	}
}

// A shape grant covers other literal values of the same request, never
// another request: another statement behind the same EXECUTE, another
// host, another set of header names.
func TestShapeGrantBindsWhatRuns(t *testing.T) {
	dry := map[string][]string{"content-type": {"application/json"}, "x-dry-run": {"true"}}
	for _, tc := range []struct {
		name     string
		protocol string
		approved func() *gate.Request
		other    func() *gate.Request
		covered  bool
	}{
		{"another prepared statement behind the same EXECUTE", gate.ProtocolPostgres, sqlRequest("SELECT * FROM t WHERE id = 1"), sqlRequest("DELETE FROM accounts"), false},
		{"another literal in the prepared statement", gate.ProtocolPostgres, sqlRequest("SELECT * FROM t WHERE id = 1"), sqlRequest("SELECT * FROM t WHERE id = 2"), true},
		{"another parameter value", gate.ProtocolPostgres, sqlRequest("SELECT $1", "1"), sqlRequest("SELECT $1", "2"), true},
		{"another session setting", gate.ProtocolPostgres, settingsRequest(map[string]string{"search_path": "public"}),
			settingsRequest(map[string]string{"search_path": "other, public"}), false},
		{"another host", gate.ProtocolHTTP, httpRequest("api", dry), httpRequest("admin-api", dry), false},
		{"another header", gate.ProtocolHTTP, httpRequest("api", dry),
			httpRequest("api", map[string][]string{"content-type": {"application/json"}, "x-dry-run": {"true"}, "x-tenant": {"all"}}), false},
		{"another header value", gate.ProtocolHTTP, httpRequest("api", dry),
			httpRequest("api", map[string][]string{"content-type": {"application/json"}, "x-dry-run": {"1"}}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, mem, sessions := bindingGate(t)
			s := sessions[tc.protocol]
			holdAndApprove(t, g, mem, sessionOf(s, tc.approved()), &gate.GrantSpec{Scope: gate.GrantShape, Uses: 5})
			if _, err := g.Check(context.Background(), sessionOf(s, tc.approved())); err != nil {
				t.Fatalf("the approved request itself: %v", err)
			}
			d, err := g.Check(context.Background(), sessionOf(s, tc.other()))
			if covered := err == nil && d.Grant != ""; covered != tc.covered {
				t.Fatalf("covered by the shape grant: %v, want %v (%v)", covered, tc.covered, err)
			}
		})
	}
}

// Reviewers are shown what an EXECUTE runs, not only its own text.
func TestReviewShowsWhatExecuteRuns(t *testing.T) {
	g, mem, sessions := bindingGate(t)
	req := sessionOf(sessions[gate.ProtocolPostgres], sqlRequest("DELETE FROM accounts")())
	if _, err := g.Check(context.Background(), req); !errors.Is(err, gate.ErrReviewPending) {
		t.Fatalf("not held: %v", err)
	}
	pend, err := mem.Pending(context.Background())
	if err != nil || len(pend) != 1 {
		t.Fatalf("pending: %v %v", pend, err)
	}
	for _, it := range pend[0].Request.Details.Items {
		if strings.Contains(it.Text, "DELETE FROM accounts") {
			return
		}
	}
	t.Fatalf("the reviewer is not shown the DELETE behind EXECUTE purge: %+v", pend[0].Request.Details.Items)
}

// Reviewers are shown the session settings a statement runs under.
func TestReviewShowsSessionSettings(t *testing.T) {
	g, mem, sessions := bindingGate(t)
	req := sessionOf(sessions[gate.ProtocolPostgres], settingsRequest(map[string]string{"datestyle": "ISO, DMY", "search_path": "other, public"})())
	if _, err := g.Check(context.Background(), req); !errors.Is(err, gate.ErrReviewPending) {
		t.Fatalf("not held: %v", err)
	}
	pend, err := mem.Pending(context.Background())
	if err != nil || len(pend) != 1 {
		t.Fatalf("pending: %v %v", pend, err)
	}
	for _, it := range pend[0].Request.Details.Items {
		if it.Label == "Settings" && strings.Contains(it.Text, "datestyle = ISO, DMY") && strings.Contains(it.Text, "search_path = other, public") {
			return
		}
	}
	t.Fatalf("the reviewer is not shown the session's settings: %+v", pend[0].Request.Details.Items)
}

// Rules read the session settings: sql.settings is a map of strings.
func TestRulesReadSessionSettings(t *testing.T) {
	rs, err := gate.ParseRules("settings.yaml", []byte(`
default: deny
rules:
  - name: iso-dates-only
    when: sql.settings["datestyle"].startsWith("ISO, MDY") && !("session_replication_role" in sql.settings && sql.settings.session_replication_role == "replica")
    action: allow
`))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs})
	s := &gate.Session{Protocol: gate.ProtocolPostgres, Target: "prod", Identity: gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}}
	if err := g.OpenSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		settings map[string]string
		allowed  bool
	}{
		{map[string]string{"datestyle": "ISO, MDY"}, true},
		{map[string]string{"datestyle": "ISO, DMY"}, false},
		{map[string]string{"datestyle": "ISO, MDY", "session_replication_role": "replica"}, false},
		{map[string]string{"datestyle": "ISO, MDY", "session_replication_role": "origin"}, true},
		{nil, false},
	} {
		// Twice: the second answer may come from the decision cache.
		for range 2 {
			_, err := g.Check(context.Background(), sessionOf(s, settingsRequest(tc.settings)()))
			if allowed := err == nil; allowed != tc.allowed {
				t.Fatalf("%v: allowed %v, want %v (%v)", tc.settings, allowed, tc.allowed, err)
			}
		}
	}
}
