package record

import (
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
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
	return map[string]gate.Event{
		"HTTPAuthHeader": {Kind: gate.EventDecision, SessionID: "s-1", Time: now, Request: httpReq},
		"SQLPassword":    {Kind: gate.EventDecision, SessionID: "s-2", Time: now, Request: sqlReq},
		"NoSecret":       {Kind: gate.EventDecision, SessionID: "s-3", Time: now, Request: plain},
	}
}

func BenchmarkRedactBody(b *testing.B) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef")}
	for _, name := range []string{"HTTPAuthHeader", "SQLPassword", "NoSecret"} {
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
