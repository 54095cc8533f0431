package record

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// BenchmarkBodyHTTPRequest is the caller side of recording one gated HTTP
// request (as BenchmarkRecordHTTPRequest's): the stored bodies of its
// decision (an Authorization header, a JSON body) and of its output (a
// small JSON document), redacted and scanned as Record does.
func BenchmarkBodyHTTPRequest(b *testing.B) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	id := &gate.Identity{Subject: "agent-7", Name: "Agent Seven", Groups: []string{"analysts"}, Kind: gate.KindAgent}
	doc := []byte(`{"items":[` + strings.Repeat(`{"id":12345,"name":"widget","price":9.99,"tags":["a","b"]},`, 15) + `{"id":0}]}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := &gate.Decision{ID: fmt.Sprintf("01JDQ7Z8X3K9V4M2N5P6%06d", i%1000000), Action: gate.Allow, Rule: "reads", Rules: []string{"reads"},
			RuleSetVersion: "9b1e3f5c7a9d2b4e6f8a0c1e3d5f7b9a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f", Time: now, Elapsed: 2400}
		req := &gate.Request{Protocol: "http", Command: "POST /v1/orders?limit=10", Time: now,
			HTTP: &gate.HTTP{Method: "POST", Path: "/v1/orders", Host: "api.internal", Query: map[string][]string{"limit": {"10"}},
				Headers: map[string][]string{"authorization": {"Bearer eyJhbGciOiJFZERTQSJ9.payload.signature"},
					"content-type": {"application/json"}, "accept": {"*/*"}, "user-agent": {"agent/1.0"}},
				Body: map[string]any{"customer": "alice", "items": []any{map[string]any{"sku": "A-1", "qty": 2.0}}, "note": "rush"}}}
		if _, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "http-1", Time: now, Identity: id, Request: req, Decision: d}); err != nil {
			b.Fatal(err)
		}
		if _, err := r.body(gate.Event{Kind: gate.EventOutput, SessionID: "http-1", Time: now, Identity: id,
			Output: &gate.Output{DecisionID: d.ID, Stream: "body", Data: doc, Final: true}}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
