package gate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// A rule file: the strictest matching action wins, mask directives of all
// matching rules are united, and nothing matching means the default.
func ExampleParseRules() {
	rules, err := gate.ParseRules("rules.yaml", []byte(`
default: deny
rules:
  - name: read-only-for-agents
    when: request.protocol == "postgres" && sql.statements.all(s, s.read_only)
    action: allow
  - name: no-destructive-ddl
    when: sql.statements.exists(s, s.kind in ["DROP", "TRUNCATE", "ALTER"])
    action: deny
    reason: schema changes go through migrations
  - name: mask-pii
    when: identity.groups.exists(g, g == "agents")
    mask: [credit_card, email]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := &gate.Session{Protocol: "postgres", Identity: gate.Identity{Subject: "agent-7", Groups: []string{"agents"}}}
	read := &gate.Request{Session: s, Protocol: "postgres", Command: "SELECT * FROM customers",
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", ReadOnly: true}}}}
	drop := &gate.Request{Session: s, Protocol: "postgres", Command: "SELECT 1; DROP TABLE customers",
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", ReadOnly: true}, {Kind: "DROP"}}}}

	d := rules.Decide(context.Background(), read)
	fmt.Println(d.Action, d.Rule, d.Mask)
	d = rules.Decide(context.Background(), drop)
	fmt.Println(d.Action, d.Rule, d.Reason)

	_, err = gate.ParseRules("typo.yaml", []byte("rules:\n  - name: t\n    when: sql.statments.size() > 1\n    action: deny\n"))
	fmt.Println(err)
	// Output:
	// allow read-only-for-agents [credit_card email]
	// deny no-destructive-ddl schema changes go through migrations
	// rules: typo.yaml:2: rule "t": when: line 3 col 19: undeclared reference to 'sql.statments.size' (did you mean 'http.headers' or 'request.time'?)
}

// The whole flow: open a session, check requests, record what the client saw.
func ExampleGate_Check() {
	rules, _ := gate.ParseRules("rules.yaml", []byte(`
rules:
  - name: lookups
    when: tool.name == "lookup"
    action: allow
    mask: [email]
`))
	rec := &record.Memory{}
	g := gate.New(gate.Config{Rules: rules, Recorder: rec})
	s := &gate.Session{Protocol: gate.ProtocolTool, Target: "crm", Identity: gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}}
	_ = g.OpenSession(context.Background(), s)

	d, err := g.Check(context.Background(), &gate.Request{Session: s, Protocol: gate.ProtocolTool, Command: "lookup 7",
		Tool: &gate.ToolCall{Name: "lookup", Args: map[string]any{"id": 7}}})
	if err == nil {
		out, findings, _ := d.Masker.Value("", "customer 7 is ada@example.com")
		_ = g.RecordOutput(context.Background(), s, gate.Output{DecisionID: d.ID, Data: []byte(out), Final: true})
		fmt.Println(out, len(findings))
	}
	_, err = g.Check(context.Background(), &gate.Request{Session: s, Protocol: gate.ProtocolTool, Command: "wipe",
		Tool: &gate.ToolCall{Name: "wipe"}})
	fmt.Println(errors.Is(err, gate.ErrDenied), err)
	_ = g.CloseSession(context.Background(), s, "done")
	fmt.Println(len(rec.GateEvents(s.ID)), "events recorded")
	// Output:
	// customer 7 is [EMAIL] 1
	// true airlock: denied by rule "default": no rule matched; the default is deny
	// 5 events recorded
}

// The vocabulary of the rules, for tools that analyse them: here, the
// session variables and whether a rule reading one can be served from the
// decision cache.
func ExampleVariables() {
	for _, v := range gate.Variables() {
		if strings.HasPrefix(v.Name, "session.") {
			fmt.Printf("%-30s %-40s %s\n", v.Name, v.Type, v.Scope)
		}
	}
	// Output:
	// session.client_addr            string                                   session
	// session.denied                 int                                      volatile
	// session.grants                 list(map(string, dyn))                   volatile
	// session.id                     string                                   session
	// session.protocol               string                                   session
	// session.requests               int                                      volatile
	// session.requests_last_minute   int                                      volatile
	// session.target                 string                                   session
}
