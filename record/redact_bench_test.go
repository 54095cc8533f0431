package record

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// benchEvents are decision events as the HTTP and PostgreSQL gateways record
// them: one with an Authorization header (the usual HTTP case), one with a
// password in the SQL text, one with no secret at all.
func benchEvents() map[string]gate.Event {
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	httpReq := &gate.Request{Protocol: "http", Command: "POST /v1/orders?limit=10",
		HTTP: &gate.HTTP{Method: "POST", Path: "/v1/orders", Host: "api.internal", Query: map[string][]string{"limit": {"10"}},
			Headers: map[string][]string{"authorization": {"Bearer eyJhbGciOiJFZERTQSJ9.payload.signature"},
				"content-type": {"application/json"}, "accept": {"*/*"}, "user-agent": {"agent/1.0"}},
			Body: map[string]any{"customer": "alice", "items": []any{map[string]any{"sku": "A-1", "qty": 2.0}}, "note": "<b>rush</b> & \"fast\""}},
	}
	pw := "s3cr3t-P@ss<word>"
	sqlReq := &gate.Request{Protocol: "postgres", Command: "ALTER ROLE bob PASSWORD '" + pw + "'", Secrets: []string{pw},
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "ALTER", Text: "ALTER ROLE bob PASSWORD '" + pw + "'"}}}}
	plain := &gate.Request{Protocol: "postgres", Command: "SELECT id, name FROM users WHERE id = 42",
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: "SELECT id, name FROM users WHERE id = 42", ReadOnly: true}}}}
	pg := &gate.Request{Protocol: "postgres", Command: "SELECT abalance FROM pgbench_accounts WHERE aid = $1;", Time: now,
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: "SELECT abalance FROM pgbench_accounts WHERE aid = $1;", ReadOnly: true,
			Tables: []gate.SQLTable{{Name: "pgbench_accounts", Access: "read"}}, Columns: []string{"abalance", "aid"},
			FilterColumns: []string{"pgbench_accounts.aid"}}}, Params: []string{"48213"}}}
	tool := &gate.Request{Protocol: "mcp", Command: `login {"password":"hunter2hunter2","user":"bob"}`,
		Tool: &gate.ToolCall{Kind: "call", Name: "login", Args: map[string]any{"user": "bob", "password": "hunter2hunter2"}}}
	httpPlain := &gate.Request{Protocol: "http", Command: "POST /v1/orders?limit=10",
		HTTP: &gate.HTTP{Method: "POST", Path: "/v1/orders", Host: "api.internal", Query: map[string][]string{"limit": {"10"}},
			Headers: map[string][]string{"content-type": {"application/json"}, "accept": {"*/*"}, "user-agent": {"agent/1.0"}},
			Body:    map[string]any{"customer": "alice", "items": []any{map[string]any{"sku": "A-1", "qty": json.Number("2")}}, "note": "rush"}},
	}
	return map[string]gate.Event{
		"HTTPNoSecret":  {Kind: gate.EventDecision, SessionID: "s-6", Time: now, Request: httpPlain},
		"ToolSecretArg": {Kind: gate.EventDecision, SessionID: "s-5", Time: now, Request: tool},
		"PGDecision": {Kind: gate.EventDecision, SessionID: "s-4", Time: now, Request: pg,
			Identity: &gate.Identity{Subject: "agent-7", Name: "Agent Seven", Groups: []string{"analysts"}, Kind: gate.KindAgent},
			Decision: &gate.Decision{ID: "01JDQ7Z8X3K9V4M2N5P6R7S8T9", Action: gate.Allow, Rule: "reads", Rules: []string{"reads"},
				RuleSetVersion: "9b1e3f5c7a9d2b4e6f8a0c1e3d5f7b9a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f", Time: now, Cached: true, Elapsed: 2400}},
		"SessionStart": {Kind: gate.EventSessionStart, SessionID: "s-4", Time: now, Identity: &gate.Identity{Subject: "agent-7", Kind: gate.KindAgent},
			Session: &gate.SessionInfo{Protocol: "postgres", Target: "db1", ClientAddr: "10.0.0.7:5555", Start: now}},
		"HTTPAuthHeader": {Kind: gate.EventDecision, SessionID: "s-1", Time: now, Request: httpReq},
		// The response to HTTPAuthHeader: session s-1 remembers its token.
		"HTTPOutput": {Kind: gate.EventOutput, SessionID: "s-1", Time: now,
			Output: &gate.Output{DecisionID: "d-1", Stream: "body", Data: []byte(`{"items":[` + strings.Repeat(`{"id":12345,"name":"widget","price":9.99,"tags":["a","b"]},`, 15) + `{"id":0}]}`), Final: true}},
		"SQLPassword": {Kind: gate.EventDecision, SessionID: "s-2", Time: now, Request: sqlReq},
		"NoSecret":    {Kind: gate.EventDecision, SessionID: "s-3", Time: now, Request: plain},
	}
}

func BenchmarkRedactBody(b *testing.B) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)} // as New makes it
	for _, name := range []string{"HTTPAuthHeader", "SQLPassword", "NoSecret", "PGDecision", "SessionStart", "ToolSecretArg", "HTTPNoSecret", "HTTPOutput"} {
		e := benchEvents()[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.body(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
