package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// withFailingRecorder puts f between the gate and the test's recorder.
func withFailingRecorder(f *gatetest.FailingRecorder) gwOption {
	return func(g *gate.Config, _ *Config) {
		f.Next = g.Recorder
		g.Recorder = f
	}
}

// scratchIDs returns the ids in scratch, read straight from the database.
func (tg *testGateway) scratchIDs(t *testing.T) []int {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dbURL(tg.db))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, "SELECT id FROM scratch ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// A result that cannot be recorded ends the session: the client (pgx, in
// both protocols) gets its connection closed before the result's
// CommandComplete, nothing after the failed record reaches it, and no
// statement it sends afterwards runs.
func TestRecordFailureEndsSessionPgx(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"simple", "extended"} {
		t.Run(mode, func(t *testing.T) {
			fr := &gatetest.FailingRecorder{}
			tg := startGateway(t, withRules(allowAllRules), withFailingRecorder(fr))
			c := tg.connect(t, "admin", modes[mode])
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1, 'before')"); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM customers").Scan(&n); err != nil || n != 2 {
				t.Fatalf("warm-up: %d %v", n, err)
			}
			// The next query's decision is recorded; its rows are not.
			fr.FailAfter(1)
			rows, err := c.Query(ctx, "SELECT id, name FROM customers ORDER BY id")
			if err == nil {
				for rows.Next() {
				}
				rows.Close()
				err = rows.Err()
			}
			if err == nil {
				t.Fatal("the query whose rows could not be recorded succeeded")
			}
			if tag := rows.CommandTag(); tag.String() != "" {
				t.Fatalf("the client received the CommandComplete %q of an unrecorded result", tag)
			}
			if fr.Failed() == 0 {
				t.Fatal("no record failed")
			}
			// Nothing more reaches the client, and nothing it sends runs.
			if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (2, 'after')"); err == nil {
				t.Fatal("a statement ran after the session ended")
			}
			if !c.IsClosed() {
				t.Fatal("the client's connection is still open")
			}
			time.Sleep(100 * time.Millisecond)
			if ids := tg.scratchIDs(t); len(ids) != 1 || ids[0] != 1 {
				t.Fatalf("scratch holds %v, want [1]: a statement ran after the failed record", ids)
			}
		})
	}
}

// The same with the raw protocol reader: after the failed record the
// client reads no CommandComplete and no ReadyForQuery, only the end of
// the connection.
func TestRecordFailureNothingAfterRaw(t *testing.T) {
	t.Parallel()
	fr := &gatetest.FailingRecorder{}
	tg := startGateway(t, withRules(allowAllRules), withFailingRecorder(fr))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pc, err := pgconn.Connect(ctx, tg.url("admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())
	if _, err := pc.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
		t.Fatal(err)
	}
	fr.FailAfter(1)
	res, err := pc.Exec(ctx, "SELECT id, name FROM customers ORDER BY id").ReadAll()
	if err == nil {
		t.Fatal("want the connection to end")
	}
	for _, r := range res {
		if r.CommandTag.String() != "" {
			t.Fatalf("the client received CommandComplete %q after the failed record", r.CommandTag)
		}
	}
	if !pc.IsClosed() {
		t.Fatal("the connection is still open")
	}
}

// psql, a libpq client, sees the connection end at the statement whose
// result could not be recorded, prints nothing of it, and the statements
// after it never run.
func TestRecordFailureEndsSessionPsql(t *testing.T) {
	t.Parallel()
	psql := gatetest.NeedTool(t, "psql")
	fr := &gatetest.FailingRecorder{}
	tg := startGateway(t, withRules(allowAllRules), withFailingRecorder(fr))
	// Session start, then the decision and rows of the first statement,
	// then the decision of the second: its rows are the first event that
	// fails.
	fr.FailAfter(4)
	out, err := runTool(t, tg.clientEnv("admin"), t.TempDir(), psql, "-X",
		"-c", "SELECT 'warm' AS phase",
		"-c", "SELECT id, name FROM customers ORDER BY id",
		"-c", "INSERT INTO scratch VALUES (42, 'after')")
	if err == nil {
		t.Fatalf("psql succeeded:\n%s", out)
	}
	if !strings.Contains(out, "warm") {
		t.Fatalf("the first statement's result is missing:\n%s", out)
	}
	if strings.Contains(out, "Ada") || strings.Contains(out, "INSERT") {
		t.Fatalf("psql received output after the failed record:\n%s", out)
	}
	if fr.Failed() == 0 {
		t.Fatalf("no record failed:\n%s", out)
	}
	time.Sleep(100 * time.Millisecond)
	if ids := tg.scratchIDs(t); len(ids) != 0 {
		t.Fatalf("scratch holds %v: a statement ran after the failed record", ids)
	}
}

// An error the upstream sends is recorded before the client sees it: when
// that record fails, the client gets the connection's end instead.
func TestRecordFailureOnErrorEndsSession(t *testing.T) {
	t.Parallel()
	fr := &gatetest.FailingRecorder{}
	tg := startGateway(t, withRules(allowAllRules), withFailingRecorder(fr))
	c := tg.connect(t, "admin", simpleMode)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fr.FailAfter(1) // the decision
	_, err := c.Exec(ctx, "SELECT * FROM no_such_table")
	if err == nil || sqlState(err) == "42P01" {
		t.Fatalf("the client received the unrecorded error: %v", err)
	}
	if !c.IsClosed() {
		t.Fatal("the connection is still open")
	}
}
