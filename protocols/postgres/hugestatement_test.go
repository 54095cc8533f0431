package postgres

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// oversized returns statements just over pgsql.MaxParseBytes in shapes
// the parser pays for differently — tokens (an IN list, VALUES rows), one
// long literal, many statements —, and a short text of more than
// pgsql.MaxStatements statements.
func oversized() map[string]string {
	build := func(head, unit, tail string) string {
		n := pgsql.MaxParseBytes + 1 - len(head) - len(tail)
		body := strings.Repeat(unit, n/len(unit)+1)
		return head + body[:n] + tail
	}
	return map[string]string{
		"in-list":    build("SELECT count(*) FROM customers WHERE id IN (0", ",1", ")"),
		"values":     build("INSERT INTO scratch (id) VALUES (0)", ",(1)", ""),
		"literal":    build("SELECT '", "x", "'"),
		"statements": build("SELECT 1", ";SELECT 1", ""),
		// Under the byte bound, over the statement bound.
		"many-statements": strings.Repeat("SELECT 1;", pgsql.MaxStatements+1),
	}
}

// TestHugeStatementsRefusedCheaply: a statement longer than the gateway
// parses is refused with an error that says so, through each query mode,
// as agent and admin, without the parser's cost (before the bound, a
// 16 MiB IN list cost the gateway 17 s of CPU and 1.9 GB; several at once
// in parallel sessions exhausted the machine's memory, every session with
// it), and the session goes on.
func TestHugeStatementsRefusedCheaply(t *testing.T) {
	tg := startGateway(t)
	check := func(t *testing.T, who string, c *pgx.Conn) {
		for name, text := range oversized() {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			start := time.Now()
			_, err := c.Exec(ctx, text)
			took := time.Since(start)
			cancel()
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "too large to judge") {
				t.Errorf("%s %s: got %v, want a refusal as too large", who, name, err)
			}
			// Client and gateway share this process: the statement is
			// built, sent, read, judged and recorded, a few copies each
			// (and the short text of many statements is parsed, 32 MiB
			// at most); parsing and classifying a 4 MiB statement
			// allocated 140 to 930 times it.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 24*uint64(len(text))+32<<20 {
				t.Errorf("%s %s: refusing %d bytes allocated %d (%.1f×) in %v", who, name, len(text), alloc, float64(alloc)/float64(len(text)), took)
			}
			var one int
			if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("%s after %s: the session did not go on: %v", who, name, err)
			}
		}
	}
	tg.eachMode(t, "agent", func(t *testing.T, mode string, c *pgx.Conn) { check(t, "agent "+mode, c) })
	check(t, "admin simple", tg.connect(t, "admin", simpleMode))
	if tg.recordedWith("the statement is too large to judge") == "" {
		t.Fatal("no refusal of a huge statement reached the record")
	}
}

// TestBigBatchesRefused: an extended-protocol batch of more than
// pgsql.MaxStatements statements, or executions of one prepared
// statement, is refused as a whole and the session goes on; a batch of a
// thousand runs. Before the bound, a 16 MiB batch held some 300,000
// statements in memory until its decision (40,000 cost 300 MB).
func TestBigBatchesRefused(t *testing.T) {
	tg := startGateway(t)
	c := tg.connect(t, "agent")
	ctx := context.Background()
	if _, err := c.PgConn().Prepare(ctx, "one", "SELECT $1::int", nil); err != nil {
		t.Fatal(err)
	}
	batch := func(n int, prepared bool) error {
		var b pgconn.Batch
		for i := range n {
			arg := [][]byte{[]byte(strconv.Itoa(i))}
			if prepared {
				b.ExecPrepared("one", arg, nil, nil)
			} else {
				b.ExecParams("SELECT "+strconv.Itoa(i)+" + $1::int", arg, nil, nil, nil)
			}
		}
		_, err := c.PgConn().ExecBatch(ctx, &b).ReadAll()
		return err
	}
	for _, prepared := range []bool{false, true} {
		if err := batch(pgsql.MaxStatements+1, prepared); err == nil || !strings.Contains(err.Error(), "holds more than") {
			t.Errorf("prepared=%v: a batch of %d: got %v, want a refusal", prepared, pgsql.MaxStatements+1, err)
		}
		if err := batch(1000, prepared); err != nil {
			t.Errorf("prepared=%v: a batch of 1000: %v", prepared, err)
		}
	}
}
