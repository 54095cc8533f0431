package record_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// BenchmarkRecordPGStatement records what the PostgreSQL gateway records
// for one pgbench -S statement, a decision and its one-row output, through
// a Recorder and a File (default options) on a temporary directory, from 8
// parallel sessions per CPU, and reports the process's CPU time per
// statement (cpu-ns/statement).
func BenchmarkRecordPGStatement(b *testing.B) {
	fs, err := record.OpenFile(filepath.Join(b.TempDir(), "r.jsonl"), record.FileOptions{MaxSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	rec := record.New(fs, record.Options{AsyncOutput: true, SigningKey: testKey, HMACKey: []byte("0123456789abcdef0123456789abcdef")})
	parallelSessions(b, rec, 8, "statement", pgStatement(rec))
}

// BenchmarkRecordPGStatementSerial is BenchmarkRecordPGStatement from one
// session at a time: a gateway's single client, where each decision's
// write is the caller's own and no other caller shares it. It reports
// the wall time (ns/op: the latency a statement pays) and the CPU time
// per statement.
func BenchmarkRecordPGStatementSerial(b *testing.B) {
	fs, err := record.OpenFile(filepath.Join(b.TempDir(), "r.jsonl"), record.FileOptions{MaxSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	rec := record.New(fs, record.Options{AsyncOutput: true, SigningKey: testKey, HMACKey: []byte("0123456789abcdef0123456789abcdef")})
	parallelSessions(b, rec, 0, "statement", pgStatement(rec))
}

// pgStatement records what the PostgreSQL gateway records for one pgbench
// -S statement: a decision and its one-row output.
func pgStatement(rec *record.Recorder) func(session string) error {
	ctx := context.Background()
	id := &gate.Identity{Subject: "agent-7", Name: "Agent Seven", Groups: []string{"analysts"}, Kind: gate.KindAgent}
	return func(session string) error {
		text := fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d;", rand.IntN(100000)+1)
		now := time.Now()
		d := &gate.Decision{ID: fmt.Sprintf("01JDQ7Z8X3K9V4M2N5P6%06d", rand.IntN(1000000)), Action: gate.Allow, Rule: "reads", Rules: []string{"reads"},
			RuleSetVersion: "9b1e3f5c7a9d2b4e6f8a0c1e3d5f7b9a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f", Time: now, Elapsed: 2400}
		req := &gate.Request{Protocol: "postgres", Command: text, Time: now,
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: text, ReadOnly: true,
				Tables: []gate.SQLTable{{Name: "pgbench_accounts", Access: "read"}}, Columns: []string{"abalance", "aid"},
				FilterColumns: []string{"pgbench_accounts.aid"}}}}}
		if err := rec.Record(ctx, gate.Event{Kind: gate.EventDecision, SessionID: session, Time: now, Identity: id, Request: req, Decision: d}); err != nil {
			return err
		}
		data := fmt.Appendf(nil, " abalance \n----------\n %8d\n(1 row)\n", rand.IntN(10000)-5000)
		return rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: session, Time: now,
			Output: &gate.Output{DecisionID: d.ID, Stream: "rows", Data: data, Final: true}})
	}
}
