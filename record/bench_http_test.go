package record_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// benchHTTPDoc is the small JSON document the HTTP benchmark's upstream
// answers with.
var benchHTTPDoc = []byte(`{"items":[` + strings.Repeat(`{"id":12345,"name":"widget","price":9.99,"tags":["a","b"]},`, 15) + `{"id":0}]}`)

// BenchmarkRecordHTTPRequest records what the HTTP gateway records for one
// gated request carrying an Authorization header (a named secret, so the
// event goes through redaction) and a small JSON body: a synchronous
// decision event and an asynchronous output event, through a Recorder and
// a File with the default durability, from 8 parallel sessions per CPU. It
// reports the process's CPU time per request (cpu-ns/request).
func BenchmarkRecordHTTPRequest(b *testing.B) {
	rec := record.New(openBenchFile(b), record.Options{AsyncOutput: true, SigningKey: testKey, HMACKey: []byte("0123456789abcdef0123456789abcdef")})
	ctx := context.Background()
	id := &gate.Identity{Subject: "agent-7", Name: "Agent Seven", Groups: []string{"analysts"}, Kind: gate.KindAgent}
	parallelSessions(b, rec, 8, "request", func(session string) error {
		now := time.Now()
		d := &gate.Decision{ID: fmt.Sprintf("01JDQ7Z8X3K9V4M2N5P6%06d", rand.IntN(1000000)), Action: gate.Allow, Rule: "reads", Rules: []string{"reads"},
			RuleSetVersion: "9b1e3f5c7a9d2b4e6f8a0c1e3d5f7b9a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f", Time: now, Elapsed: 2400}
		req := &gate.Request{Protocol: "http", Command: "POST /v1/orders?limit=10", Time: now,
			HTTP: &gate.HTTP{Method: "POST", Path: "/v1/orders", Host: "api.internal", Query: map[string][]string{"limit": {"10"}},
				Headers: map[string][]string{"authorization": {"Bearer eyJhbGciOiJFZERTQSJ9.payload.signature"},
					"content-type": {"application/json"}, "accept": {"*/*"}, "user-agent": {"agent/1.0"}},
				Body: map[string]any{"customer": "alice", "items": []any{map[string]any{"sku": "A-1", "qty": 2.0}}, "note": "rush"}}}
		if err := rec.Record(ctx, gate.Event{Kind: gate.EventDecision, SessionID: session, Time: now, Identity: id, Request: req, Decision: d}); err != nil {
			return err
		}
		return rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: session, Time: now, Identity: id,
			Output: &gate.Output{DecisionID: d.ID, Stream: "body", Data: benchHTTPDoc, Final: true}})
	})
}
