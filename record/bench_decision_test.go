package record_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// pgDecision is a decision event as the PostgreSQL gateway records one per
// statement under pgbench -S: identity, the request with its classified
// statement and parameter, and the verdict.
func pgDecision(session string, now time.Time) gate.Event {
	sql := "SELECT abalance FROM pgbench_accounts WHERE aid = $1;"
	return gate.Event{Kind: gate.EventDecision, SessionID: session, Time: now,
		Identity: &gate.Identity{Subject: "agent-7", Name: "Agent Seven", Groups: []string{"analysts"}, Kind: gate.KindAgent},
		Request: &gate.Request{Protocol: gate.ProtocolPostgres, Command: sql, Time: now,
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: sql, ReadOnly: true,
				Tables:        []gate.SQLTable{{Name: "pgbench_accounts", Access: "read"}},
				Columns:       []string{"abalance", "aid"},
				FilterColumns: []string{"pgbench_accounts.aid"}}},
				Params: []string{"48213"}}},
		Decision: &gate.Decision{ID: "01JDQ7Z8X3K9V4M2N5P6R7S8T9", Action: gate.Allow, Rule: "reads", Rules: []string{"reads"},
			RuleSetVersion: "9b1e3f5c7a9d2b4e6f8a0c1e3d5f7b9a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f",
			Time:           now, Cached: true, Elapsed: 2400 * time.Nanosecond},
	}
}

// benchStatements records b.N statements from parallel goroutines (one
// session each, as pgbench's clients): each a synchronous decision event
// and, when withOutput is set, an asynchronous output event, the way the
// PostgreSQL gateway records a statement. It reports statements per second
// and CPU per statement.
func benchStatements(b *testing.B, sink record.Sink, parallelism int, withOutput bool) {
	counted := &countingSink{Sink: sink}
	rec := record.New(counted, record.Options{SigningKey: testKey, AsyncOutput: true})
	ctx := context.Background()
	data := []byte("abalance\n0\n")
	parallelSessions(b, rec, parallelism, "stmt", func(id string) error {
		now := time.Now()
		e := pgDecision(id, now)
		if err := rec.Record(ctx, e); err != nil || !withOutput {
			return err
		}
		return rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: id, Time: now, Identity: e.Identity,
			Output: &gate.Output{DecisionID: e.Decision.ID, Stream: "rows", Data: data, Final: true}})
	})
	b.ReportMetric(float64(counted.entries.Load())/float64(counted.writes.Load()), "entries/write")
}

// countingSink counts the writes of a sink and the entries they carry.
type countingSink struct {
	record.Sink
	writes, entries atomic.Int64
}

func (c *countingSink) Write(ctx context.Context, batch []record.Event) error {
	c.writes.Add(1)
	c.entries.Add(int64(len(batch)))
	return c.Sink.Write(ctx, batch)
}

func openBenchFile(b *testing.B) *record.File {
	fs, err := record.OpenFile(filepath.Join(b.TempDir(), "r.jsonl"), record.FileOptions{MaxSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	return fs
}

// The PostgreSQL gateway's defaults: durability "write", no group commit,
// synchronous decisions, asynchronous output; 8 clients.
func BenchmarkRecordDecisionFile(b *testing.B) {
	benchStatements(b, openBenchFile(b), 8, false)
}

func BenchmarkRecordStatementFile(b *testing.B) {
	benchStatements(b, openBenchFile(b), 8, true)
}

func BenchmarkRecordDecisionMemory(b *testing.B) {
	benchStatements(b, &record.Memory{}, 8, false)
}
