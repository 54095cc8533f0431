package mcpgate

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
)

// A rule is classified by the variables it reads, as CEL's checker resolved
// them (RuleInfo.Reads): invariant for calls, for resource reads, or
// neither. Expressions the gate cannot load never reach the filter.
func TestRuleFacts(t *testing.T) {
	cases := []struct {
		expr           string
		reads          []string
		call, resource bool
	}{
		{`tool.name == "x"`, []string{"tool.name"}, true, true},
		{`tool.args.id == 1`, []string{"tool.args"}, false, true},
		{`has(tool.args.id)`, []string{"tool.args"}, false, true},
		{`identity.groups.exists(g, g == "agents")`, []string{"identity.groups"}, true, true},
		{`tool.name in ["a", "b"] && request.protocol == "mcp"`, []string{"request.protocol", "tool.name"}, true, true},
		{`sql.statements.all(s, s.read_only)`, []string{"sql.statements"}, true, true},
		{`request.command.contains("rm")`, []string{"request.command"}, false, true},
		{`session.requests > 10`, []string{"session.requests"}, false, false},
		{`request.time.getHours() > 3`, []string{"request.time"}, false, false},
		{`request.reason != ""`, []string{"request.reason"}, false, false},
		{`size(session.grants) > 0`, []string{"session.grants"}, false, false},
		{`tool.uri.startsWith("file:")`, []string{"tool.uri"}, true, true},
		// A local shadowing a namespace: the checker resolves tool.args to
		// the local's field, so the rule reads no variable.
		{`[{"args": 1}].exists(tool, tool.args == 1)`, nil, true, true},
		{`{"a": tool.args}.size() > 0`, []string{"tool.args"}, false, true},
		{`tool.args.map(k, tool.args[k]).size() > 0`, []string{"tool.args"}, false, true},
	}
	for _, c := range cases {
		rs, err := gate.ParseRules("r.yaml", []byte("rules:\n  - name: r\n    when: '"+c.expr+"'\n    action: allow\n"))
		require.NoError(t, err, c.expr)
		info := rs.Info()[0]
		assert.ElementsMatch(t, c.reads, info.Reads, c.expr)
		f := factsOf(info)
		assert.Equal(t, c.call, f.invariantCall, "%s: invariant for calls", c.expr)
		assert.Equal(t, c.resource, f.invariantResource, "%s: invariant for resources", c.expr)
	}
	for _, expr := range []string{
		`[1].exists(tool, tool.args == 1)`, // a local shadowing a namespace, misused
		`tool == 1`,                        // a bare identifier
		`tool.nosuch == 1`,                 // unknown variable
		`((`,                               // unparsable
	} {
		_, err := gate.ParseRules("r.yaml", []byte("rules:\n  - name: r\n    when: '"+expr+"'\n    action: allow\n"))
		assert.Error(t, err, expr)
	}
}

// The filter's own tables name only variables of the gate's vocabulary, of
// the scope they assume, and classify every variable the filter knew before
// it read the vocabulary exactly as its hand-written tables did.
func TestFilterTablesAgreeWithVocabulary(t *testing.T) {
	for _, fixed := range []map[string]bool{itemFixed, resourceFixed} {
		for name := range fixed {
			v, ok := ruleVariables[name]
			if assert.True(t, ok, "%s is not a rule variable", name) {
				assert.Equal(t, gate.ScopeRequest, v.Scope, "%s: a fixed item field must be a function of the request", name)
			}
		}
	}
	attr := false
	for _, v := range gate.Variables() {
		if v.Attribute && strings.HasPrefix(v.Name, mcpAttribute) {
			attr = true
		}
	}
	assert.True(t, attr, "no attribute variable under %q", mcpAttribute)

	// The tables of the filter before it read the vocabulary.
	oldInvariant := map[string]bool{
		"identity.subject": true, "identity.name": true, "identity.groups": true,
		"identity.claims": true, "identity.kind": true,
		"session.id": true, "session.protocol": true, "session.target": true, "session.client_addr": true,
		"request.protocol": true, "tool.kind": true, "tool.name": true, "tool.uri": true,
	}
	oldVariant := map[string]bool{
		"tool.args": true, "request.command": true, "request.time": true,
		"session.requests": true, "session.denied": true, "session.requests_last_minute": true,
	}
	oldUnknown := map[string]bool{"session.grants": true, "request.reason": true} // never hidden on
	for _, v := range gate.Variables() {
		name := v.Name
		root, _, _ := strings.Cut(name, ".")
		var call, resource bool
		switch {
		case root == "sql" || root == "ssh" || root == "http" || oldInvariant[name]:
			call, resource = true, true
		case name == "tool.args" || name == "request.command":
			call, resource = false, true
		case oldVariant[name] || oldUnknown[name]:
		default:
			continue // a variable added since: the vocabulary classifies it
		}
		assert.Equal(t, call, invariant(name, kindCall), "%s for calls", name)
		assert.Equal(t, resource, invariant(name, kindResource), "%s for resources", name)
	}
	assert.False(t, invariant("no.such", kindCall))
}

// filterReadsAndReviews opens filterRules: reads are allowed, deletes
// reviewed for ops.
const filterReadsAndReviews = `
default: deny
rules:
  - name: reads
    when: request.protocol == "mcp" && tool.name.startsWith("read_")
    action: allow
  - name: deletes-reviewed
    when: request.protocol == "mcp" && tool.name == "delete" && identity.groups.exists(g, g == "ops")
    action: review`

const filterRules = filterReadsAndReviews + `
  - name: no-admin
    when: request.protocol == "mcp" && tool.name.startsWith("admin_")
    action: deny
  - name: small-exports
    when: request.protocol == "mcp" && tool.name == "export" && "limit" in tool.args && tool.args.limit <= 10
    action: allow
  - name: no-late-writes
    when: request.protocol == "mcp" && tool.name == "write" && request.time.getHours() > 30
    action: allow
  - name: audit-everything
    when: request.protocol == "mcp"
    action: deny
    mode: audit
  - name: mask
    when: request.protocol == "mcp"
    mask: [email]
`

func TestFilterCriterion(t *testing.T) {
	rs, err := gate.ParseRules("f.yaml", []byte(filterRules))
	require.NoError(t, err)
	idx := newRuleIndex(rs)
	agentS := &gate.Session{Protocol: gate.ProtocolMCP, Identity: gate.Identity{Subject: "a", Groups: []string{"agents"}}}
	opsS := &gate.Session{Protocol: gate.ProtocolMCP, Identity: gate.Identity{Subject: "o", Groups: []string{"ops"}}}
	cases := []struct {
		s      *gate.Session
		tool   string
		hidden bool
	}{
		{agentS, "read_x", false},
		{agentS, "admin_x", true},  // invariant deny matches
		{opsS, "admin_x", true},    // likewise
		{agentS, "export", false},  // an allow rule depends on tool.args
		{agentS, "write", false},   // an allow rule depends on request.time
		{agentS, "delete", false},  // other rules are variant, so (2) cannot prove it
		{opsS, "delete", false},    // review matches
		{agentS, "unknown", false}, // same: variant allow rules exist
	}
	for _, c := range cases {
		req := probeRequest(c.s, kindCall, c.tool)
		assert.Equal(t, c.hidden, probeHidden(context.Background(), idx, req), "%s for %s", c.tool, c.s.Identity.Subject)
	}

	// Without variant allow rules, rule 2 hides what no allow rule can match.
	rs2, err := gate.ParseRules("g.yaml", []byte(filterReadsAndReviews+`
  - name: never-delete-one
    when: tool.name == "delete" && tool.args.id == 1
    action: deny
`))
	require.NoError(t, err)
	idx2 := newRuleIndex(rs2)
	for _, c := range []struct {
		s      *gate.Session
		tool   string
		hidden bool
	}{
		{agentS, "read_x", false}, {agentS, "delete", true}, {opsS, "delete", false}, {agentS, "unknown", true},
	} {
		req := probeRequest(c.s, kindCall, c.tool)
		assert.Equal(t, c.hidden, probeHidden(context.Background(), idx2, req), "%s for %s", c.tool, c.s.Identity.Subject)
	}

	// A default of allow hides only what an invariant deny rule refuses.
	rs3, err := gate.ParseRules("h.yaml", []byte(`
default: allow
rules:
  - name: no-admin
    when: tool.name.startsWith("admin_")
    action: deny
`))
	require.NoError(t, err)
	idx3 := newRuleIndex(rs3)
	assert.True(t, probeHidden(context.Background(), idx3, probeRequest(agentS, kindCall, "admin_x")))
	assert.False(t, probeHidden(context.Background(), idx3, probeRequest(agentS, kindCall, "other")))
}

// TestHiddenNeverCallable checks the safety half of the criterion: for every
// tool the filter hides, random arguments never get past the gate.
func TestHiddenNeverCallable(t *testing.T) {
	for _, src := range []string{filterRules, `
default: deny
rules:
  - name: reads
    when: tool.name.startsWith("read_") || tool.name == "x" && identity.name == "n"
    action: allow
  - name: deny-big
    when: tool.name == "y" && tool.args.size() > 2
    action: deny
  - name: deny-admin
    when: tool.name.startsWith("admin") && tool.kind == "call"
    action: deny
`} {
		rs, err := gate.ParseRules("r.yaml", []byte(src))
		require.NoError(t, err)
		g := gate.New(gate.Config{Rules: rs})
		idx := newRuleIndex(rs)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, id := range []gate.Identity{{Subject: "a"}, {Subject: "b", Name: "n", Groups: []string{"ops"}}} {
			s := &gate.Session{Protocol: gate.ProtocolMCP, Identity: id}
			for _, tool := range []string{"read_a", "admin_x", "x", "y", "delete", "export", "write", ""} {
				if !probeHidden(context.Background(), idx, probeRequest(s, kindCall, tool)) {
					continue
				}
				for range 200 {
					args := randomArgs(rng)
					req, _ := callRequest(s, kindCall, tool, args)
					_, err := g.Check(context.Background(), req)
					require.Error(t, err, "hidden tool %q allowed with %v", tool, args)
				}
			}
		}
	}
}

func randomArgs(rng *rand.Rand) map[string]any {
	keys := []string{"id", "limit", "all", "x", "name"}
	m := map[string]any{}
	for range rng.IntN(4) {
		k := keys[rng.IntN(len(keys))]
		switch rng.IntN(4) {
		case 0:
			m[k] = int64(rng.IntN(20))
		case 1:
			m[k] = "v"
		case 2:
			m[k] = true
		default:
			m[k] = []any{int64(1)}
		}
	}
	return m
}
