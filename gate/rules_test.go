package gate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sqlReq(s *gate.Session, cmd string, stmts ...gate.SQLStatement) *gate.Request {
	return &gate.Request{Session: s, Protocol: gate.ProtocolPostgres, Command: cmd, SQL: &gate.SQL{Statements: stmts}}
}

func agentSession(proto string) *gate.Session {
	return &gate.Session{ID: "s1", Protocol: proto, Target: "db1", Identity: gate.Identity{Subject: "agent-7", Groups: []string{"agents"}, Kind: gate.KindAgent}}
}

const baseRules = `
default: deny
rules:
  - name: read-only-for-agents
    when: request.protocol == "postgres" && sql.statements.all(s, s.read_only)
    action: allow
  - name: no-destructive-ddl
    when: sql.statements.exists(s, s.kind in ["DROP", "TRUNCATE", "ALTER"])
    action: deny
    reason: schema changes go through migrations
  - name: writes-need-review
    when: request.protocol == "postgres" && sql.statements.exists(s, !s.read_only)
    action: review
  - name: mask-pii
    when: identity.groups.exists(g, g == "agents")
    mask: [credit_card, email]
  - name: mask-more
    when: identity.kind == "agent"
    mask: [email, us_ssn]
`

func TestRuleSemantics(t *testing.T) {
	rs, err := gate.ParseRules("base.yaml", []byte(baseRules))
	require.NoError(t, err)
	sel := gate.SQLStatement{Kind: "SELECT", ReadOnly: true}
	upd := gate.SQLStatement{Kind: "UPDATE", HasWhere: true}
	drop := gate.SQLStatement{Kind: "DROP"}
	cases := []struct {
		name   string
		req    *gate.Request
		action gate.Action
		rule   string
		rules  []string
		mask   []string
	}{
		{"allow read", sqlReq(agentSession("postgres"), "select 1", sel), gate.Allow, "read-only-for-agents",
			[]string{"read-only-for-agents", "mask-pii", "mask-more"}, []string{"credit_card", "email", "us_ssn"}},
		{"deny beats allow and review", sqlReq(agentSession("postgres"), "select 1; drop t", sel, drop), gate.Deny, "no-destructive-ddl",
			[]string{"no-destructive-ddl", "writes-need-review", "mask-pii", "mask-more"}, nil},
		{"review beats allow", sqlReq(agentSession("postgres"), "update", sel, upd), gate.Review, "writes-need-review", nil, nil},
		{"default deny when nothing with an action matches", &gate.Request{Session: agentSession("ssh"), Protocol: "ssh", Command: "ls", SSH: &gate.SSH{Kind: "exec"}},
			gate.Deny, "default", []string{"mask-pii", "mask-more"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Time = time.Now()
			d := rs.Decide(context.Background(), tc.req)
			assert.Equal(t, tc.action, d.Action)
			assert.Equal(t, tc.rule, d.Rule)
			if tc.rules != nil {
				assert.Equal(t, tc.rules, d.Rules)
			}
			if tc.mask != nil {
				assert.Equal(t, tc.mask, d.Mask)
			}
			assert.Equal(t, rs.Version(), d.RuleSetVersion)
		})
	}
}

func TestDefaultAllowAndVersion(t *testing.T) {
	a, err := gate.ParseRules("a.yaml", []byte("default: allow\nrules: []\n"))
	require.NoError(t, err)
	d := a.Decide(context.Background(), sqlReq(agentSession("postgres"), "x"))
	assert.Equal(t, gate.Allow, d.Action)
	assert.Equal(t, "default", d.Rule)

	b, err := gate.ParseRules("b.yaml", []byte("rules: []\n"))
	require.NoError(t, err)
	assert.Equal(t, gate.Deny, b.Default(), "unset default must deny")
	assert.NotEqual(t, a.Version(), b.Version(), "version is a content hash")
	b2, err := gate.ParseRules("other-name.yaml", []byte("rules: []\n"))
	require.NoError(t, err)
	assert.Equal(t, b.Version(), b2.Version())
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string
	}{
		{"unknown variable", "rules:\n  - name: x\n    when: request.nope == 1\n    action: allow\n", []string{"bad.yaml:2", `rule "x"`, "line 3", "undeclared reference"}},
		{"unknown field on statement", "rules:\n  - name: y\n    when: sql.statements.exists(s, s.nope)\n    action: deny\n", []string{`rule "y"`, "undefined field 'nope'"}},
		{"not bool", "rules:\n  - name: z\n    when: request.command\n    action: deny\n", []string{`rule "z"`, "must be a bool"}},
		{"syntax", "rules:\n  - name: s\n    when: request.command ==\n    action: deny\n", []string{`rule "s"`, "Syntax error"}},
		{"bad action", "rules:\n  - name: a\n    when: 'true'\n    action: maybe\n", []string{`rule "a"`, "unknown action"}},
		{"bad default", "default: sometimes\nrules: []\n", []string{"default", "unknown action"}},
		{"unknown key", "rules:\n  - name: k\n    wen: 'true'\n    action: deny\n", []string{"bad.yaml: line 3", `unknown key "wen"`, `did you mean "when"`}},
		{"unknown masking key", "masking:\n  detecters:\n    - {name: x, pattern: 'a+'}\nrules: []\n", []string{"bad.yaml: line 2", `unknown key "detecters" in masking`, `did you mean "detectors"`}},
		{"unknown key in a masking detector", "masking:\n  detectors:\n    - {name: x, patern: 'a+'}\nrules: []\n", []string{"line 3", `unknown key "patern" in masking.detectors[0]`}},
		{"mistyped review", "rules:\n  - name: r\n    when: 'true'\n    action: review\n    review: {approvals: two}\n", []string{"line 5", "review.approvals: expected a whole number"}},
		{"no action no mask", "rules:\n  - name: n\n    when: 'true'\n", []string{`rule "n"`, "needs an action"}},
		{"duplicate", "rules:\n  - name: d\n    when: 'true'\n    action: deny\n  - name: d\n    when: 'true'\n    action: deny\n", []string{"duplicate rule name"}},
		{"bad mode", "rules:\n  - name: m\n    when: 'true'\n    action: deny\n    mode: shadow\n", []string{"unknown mode"}},
		{"review on non-review rule", "rules:\n  - name: r\n    when: 'true'\n    action: deny\n    review: {approvals: 2}\n", []string{"need action: review"}},
		{"too expensive", "rules:\n  - name: e\n    when: sql.statements.exists(a, sql.statements.exists(b, sql.statements.exists(c, a.text + b.text + c.text == request.command)))\n    action: deny\n", []string{`rule "e"`, "too expensive"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gate.ParseRules("bad.yaml", []byte(tc.file))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotRegexp(t, `gate\.|mask\.|time\.Duration|\bint\b`, err.Error(), "errors name keys, never Go types")
		})
	}
}

func TestUnknownMaskNameIsLoadError(t *testing.T) {
	known := func(n string) bool { return n == "email" }
	_, err := gate.ParseRules("m.yaml", []byte("rules:\n  - name: m\n    when: 'true'\n    mask: [emial]\n"), gate.WithMaskNames(known))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown detector or field rule "emial"`)
}

// parseAfterAllowAll parses a rule file whose first rule allows everything
// and whose further rules are more (YAML list items of rules:), so that a
// deny can only come from one of those.
func parseAfterAllowAll(t *testing.T, name, more string) *gate.RuleSet {
	t.Helper()
	rs, err := gate.ParseRules(name, []byte("rules:\n  - name: allow-all\n    when: 'true'\n    action: allow"+more))
	require.NoError(t, err)
	return rs
}

func TestEvaluationErrorDenies(t *testing.T) {
	// tool.args["n"] is missing: the rule errors at runtime, and an erroring
	// rule counts as deny even though the other rule allows.
	rs := parseAfterAllowAll(t, "e.yaml", `
  - name: needs-arg
    when: tool.args["n"] > 3
    action: allow
`)
	d := rs.Decide(context.Background(), &gate.Request{Session: agentSession("tool"), Protocol: "tool", Tool: &gate.ToolCall{Name: "x"}})
	assert.Equal(t, gate.Deny, d.Action)
	assert.Equal(t, "needs-arg", d.Rule)
	require.Len(t, d.Errors, 1)
	assert.Contains(t, d.Errors[0], "no such key")
	assert.NotContains(t, d.Reason, "no such key", "internal errors stay out of the client-facing reason")
}

func TestRuntimeCostLimitDenies(t *testing.T) {
	// Within the load-time estimate, but a huge input exceeds the runtime limit.
	rs := parseAfterAllowAll(t, "c.yaml", `
  - name: pairwise
    when: ssh.argv.exists(a, ssh.argv.exists(b, a + b == "never"))
    action: deny
`)
	argv := make([]string, 3000)
	for i := range argv {
		argv[i] = strings.Repeat("x", 10)
	}
	d := rs.Decide(context.Background(), &gate.Request{Session: agentSession("ssh"), Protocol: "ssh", SSH: &gate.SSH{Argv: argv}})
	assert.Equal(t, gate.Deny, d.Action)
	assert.Equal(t, "pairwise", d.Rule)
	require.NotEmpty(t, d.Errors)
	assert.Contains(t, d.Errors[0], "cost limit")
}

func TestContextCancelDenies(t *testing.T) {
	rs, err := gate.ParseRules("c.yaml", []byte(`
rules:
  - name: slow
    when: ssh.argv.exists(a, ssh.argv.exists(b, a == b + "!"))
    action: allow
`))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	argv := make([]string, 200)
	for i := range argv {
		argv[i] = "a"
	}
	d := rs.Decide(ctx, &gate.Request{Session: agentSession("ssh"), Protocol: "ssh", SSH: &gate.SSH{Argv: argv}})
	assert.Equal(t, gate.Deny, d.Action)
	require.NotEmpty(t, d.Errors)
	assert.Contains(t, d.Errors[0], "cancel")
}

func TestAuditModeDoesNotChangeDecision(t *testing.T) {
	rs, err := gate.ParseRules("a.yaml", []byte(`
default: allow
rules:
  - name: new-strict-rule
    when: request.command.contains("DELETE")
    action: deny
    mode: audit
  - name: broken-audit
    when: tool.args["missing"] == 1
    action: deny
    mode: audit
`))
	require.NoError(t, err)
	d := rs.Decide(context.Background(), &gate.Request{Session: agentSession("tool"), Protocol: "tool", Command: "DELETE x", Tool: &gate.ToolCall{Name: "q"}})
	assert.Equal(t, gate.Allow, d.Action)
	assert.Empty(t, d.Rules)
	require.Len(t, d.Audit, 2)
	assert.Equal(t, gate.AuditOutcome{Rule: "new-strict-rule", Action: gate.Deny}, d.Audit[0])
	assert.Equal(t, "broken-audit", d.Audit[1].Rule)
	assert.NotEmpty(t, d.Audit[1].Error)
}

func TestProtocolPartitionKeepsSemantics(t *testing.T) {
	// A rule pinned to ssh must not fire for postgres, and an unpinned rule
	// fires for every protocol.
	rs, err := gate.ParseRules("p.yaml", []byte(`
rules:
  - name: ssh-ls
    when: request.protocol == "ssh" && ssh.programs.exists(p, p == "ls")
    action: allow
  - name: http-or-tool
    when: request.protocol in ["http", "tool"]
    action: allow
  - name: everyone-denied-at-night
    when: request.command == "night"
    action: deny
`))
	require.NoError(t, err)
	ssh := &gate.Request{Session: agentSession("ssh"), Protocol: "ssh", SSH: &gate.SSH{Programs: []string{"ls"}}}
	assert.Equal(t, gate.Allow, rs.Decide(context.Background(), ssh).Action)
	pg := &gate.Request{Session: agentSession("postgres"), Protocol: "postgres", SQL: &gate.SQL{}}
	assert.Equal(t, "default", rs.Decide(context.Background(), pg).Rule)
	tool := &gate.Request{Session: agentSession("tool"), Protocol: "tool", Tool: &gate.ToolCall{Name: "x"}}
	assert.Equal(t, "http-or-tool", rs.Decide(context.Background(), tool).Rule)
	night := &gate.Request{Session: agentSession("tool"), Protocol: "tool", Command: "night", Tool: &gate.ToolCall{Name: "x"}}
	assert.Equal(t, "everyone-denied-at-night", rs.Decide(context.Background(), night).Rule)
	other := &gate.Request{Session: agentSession("smtp"), Protocol: "smtp", Command: "night"}
	assert.Equal(t, "everyone-denied-at-night", rs.Decide(context.Background(), other).Rule)
}

func TestNilRuleSetDenies(t *testing.T) {
	var rs *gate.RuleSet
	d := rs.Decide(context.Background(), sqlReq(agentSession("postgres"), "select 1"))
	assert.Equal(t, gate.Deny, d.Action)
}

func TestAttributesVisibleToRules(t *testing.T) {
	rs, err := gate.ParseRules("v.yaml", []byte(`
rules:
  - name: http-admin
    when: http.method == "POST" && http.path.startsWith("/admin") && "x" in http.query && http.headers["x-team"][0] == "ops" && http.body.amount > 10
    action: deny
  - name: tool-args
    when: tool.name == "delete_customer" && tool.args.id == 42
    action: review
    review: {approvals: 2, reviewers: [dba], ttl: 5m}
  - name: ssh-flags
    when: ssh.pipes_to_shell || ssh.commands.exists(c, c.program == "rm" && c.args.exists(a, a.startsWith("-r")))
    action: deny
  - name: identity
    when: has(identity.claims.team) && identity.claims.team == "payments" && identity.subject.startsWith("agent-") && session.target == "db1"
    action: allow
`))
	require.NoError(t, err)
	ctx := context.Background()
	h := &gate.Request{Session: agentSession("http"), Protocol: "http", HTTP: &gate.HTTP{Method: "POST", Path: "/admin/users",
		Query: map[string][]string{"x": {"1"}}, Headers: map[string][]string{"x-team": {"ops"}}, Body: map[string]any{"amount": 11.0}}}
	assert.Equal(t, "http-admin", rs.Decide(ctx, h).Rule)
	tc := &gate.Request{Session: agentSession("tool"), Protocol: "tool", Tool: &gate.ToolCall{Name: "delete_customer", Args: map[string]any{"id": 42}}}
	d := rs.Decide(ctx, tc)
	assert.Equal(t, gate.Review, d.Action)
	require.NotNil(t, d.Review)
	assert.Equal(t, 2, d.Review.Approvals)
	assert.Equal(t, []string{"dba"}, d.Review.ReviewerGroups)
	assert.Equal(t, 5*time.Minute, d.Review.TTL)
	sh := &gate.Request{Session: agentSession("ssh"), Protocol: "ssh", SSH: &gate.SSH{Commands: []gate.SSHCommand{{Program: "rm", Args: []string{"-rf", "/"}}}}}
	assert.Equal(t, "ssh-flags", rs.Decide(ctx, sh).Rule)
	s := agentSession("postgres")
	s.Identity.Claims = map[string]any{"team": "payments"}
	assert.Equal(t, gate.Allow, rs.Decide(ctx, sqlReq(s, "x")).Action)
}

func TestDynMembershipLoadsAndIsBounded(t *testing.T) {
	rs, err := gate.ParseRules("d.yaml", []byte(`
rules:
  - name: big-payments
    when: 'request.protocol == "http" && "amount" in http.body && http.body.amount > 1000.0'
    action: deny
  - name: tool-flag
    when: 'request.protocol == "tool" && "force" in tool.args && tool.args.force == true'
    action: deny
  - name: rest
    when: 'true'
    action: allow
`))
	require.NoError(t, err, "membership tests on JSON values must load")
	ctx := context.Background()
	big := &gate.Request{Session: agentSession("http"), Protocol: "http", HTTP: &gate.HTTP{Method: "POST", Path: "/pay", Body: map[string]any{"amount": 5000.0}}}
	assert.Equal(t, "big-payments", rs.Decide(ctx, big).Rule)
	force := &gate.Request{Session: agentSession("tool"), Protocol: "tool", Tool: &gate.ToolCall{Name: "x", Args: map[string]any{"force": true}}}
	assert.Equal(t, "tool-flag", rs.Decide(ctx, force).Rule)
	// An oversized body takes the cost-tracked path and is still judged.
	list := make([]any, 5000)
	for i := range list {
		list[i] = "x"
	}
	huge := &gate.Request{Session: agentSession("http"), Protocol: "http", HTTP: &gate.HTTP{Method: "POST", Path: "/pay", Body: map[string]any{"amount": 5000.0, "items": list}}}
	assert.Equal(t, "big-payments", rs.Decide(ctx, huge).Rule)
}

// Bind parameters are visible to rules as sql.params.
func TestRulesSeeSQLParams(t *testing.T) {
	rs, err := gate.ParseRules("p.yaml", []byte(`
rules:
  - name: no-big-refunds
    when: request.protocol == "postgres" && sql.params.exists(p, p == "999999")
    action: deny
  - name: reads
    when: request.protocol == "postgres"
    action: allow
`))
	require.NoError(t, err)
	s := &gate.Session{Protocol: "postgres", Identity: gate.Identity{Subject: "a"}}
	req := func(params ...string) *gate.Request {
		return &gate.Request{Session: s, Protocol: "postgres", Command: "INSERT INTO refunds VALUES ($1)",
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "INSERT"}}, Params: params}}
	}
	assert.Equal(t, gate.Deny, rs.Decide(context.Background(), req("999999")).Action)
	assert.Equal(t, gate.Allow, rs.Decide(context.Background(), req("10")).Action)
	assert.Equal(t, gate.Allow, rs.Decide(context.Background(), &gate.Request{Session: s, Protocol: "postgres", Command: "x"}).Action)
}
