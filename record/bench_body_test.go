package record

import (
	"fmt"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// BenchmarkBodyPGStatement is the caller side of recording one pgbench -S
// statement: the stored bodies of its decision (a random aid in the SQL
// text) and of its one-row output, redacted and scanned as Record does.
func BenchmarkBodyPGStatement(b *testing.B) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	id := &gate.Identity{Subject: "agent-7", Name: "Agent Seven", Groups: []string{"analysts"}, Kind: gate.KindAgent}
	texts := make([]string, 1024)
	datas := make([][]byte, len(texts))
	for i := range texts {
		texts[i] = fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d;", (i*7919)%100000+1)
		datas[i] = fmt.Appendf(nil, " abalance \n----------\n %8d\n(1 row)\n", (i*31)%10000-5000)
	}
	d := &gate.Decision{ID: "01JDQ7Z8X3K9V4M2N5P6R7S8T9", Action: gate.Allow, Rule: "reads", Rules: []string{"reads"},
		RuleSetVersion: "9b1e3f5c7a9d2b4e6f8a0c1e3d5f7b9a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f", Time: now, Elapsed: 2400}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		text := texts[i%len(texts)]
		req := &gate.Request{Protocol: "postgres", Command: text, Time: now,
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: text, ReadOnly: true,
				Tables: []gate.SQLTable{{Name: "pgbench_accounts", Access: "read"}}, Columns: []string{"abalance", "aid"},
				FilterColumns: []string{"pgbench_accounts.aid"}}}}}
		if _, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "pgbench-1", Time: now, Identity: id, Request: req, Decision: d}); err != nil {
			b.Fatal(err)
		}
		if _, err := r.body(gate.Event{Kind: gate.EventOutput, SessionID: "pgbench-1", Time: now,
			Output: &gate.Output{DecisionID: d.ID, Stream: "rows", Data: datas[i%len(datas)], Final: true}}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
