package postgres

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func describeResult(r any) string {
	switch v := r.(type) {
	case *pgconn.ResultReader:
		res := v.Read()
		if res.Err != nil {
			return "err:" + sqlState(res.Err)
		}
		var parts []string
		for _, row := range res.Rows {
			for _, c := range row {
				parts = append(parts, string(c))
			}
		}
		return "rows:" + strings.Join(parts, "|")
	case *pgconn.PipelineSync:
		return "sync"
	}
	return "other"
}

var modes = map[string]func(*pgx.ConnConfig){
	"simple":   simpleMode,
	"extended": func(*pgx.ConnConfig) {},
	"exec":     func(c *pgx.ConnConfig) { c.DefaultQueryExecMode = pgx.QueryExecModeExec },
}

func TestQueryThroughGateway(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	tg.eachMode(t, "admin", func(t *testing.T, _ string, c *pgx.Conn) {
		var n int
		var nm string
		if err := c.QueryRow(ctx, "SELECT count(*), min(name) FROM customers WHERE id > $1", 0).Scan(&n, &nm); err != nil {
			t.Fatal(err)
		}
		if n != 2 || nm != "Ada" {
			t.Fatalf("got %d %q", n, nm)
		}
		// The admin is not masked.
		var card string
		if err := c.QueryRow(ctx, "SELECT card FROM customers WHERE id = 1").Scan(&card); err != nil {
			t.Fatal(err)
		}
		if card != testCard {
			t.Fatalf("admin card = %q", card)
		}
		// Writes within the rules.
		if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES ($1, $2)", 1, "x"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMaskingReachesNoMessage(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	queries := []string{
		"SELECT card FROM customers ORDER BY id",
		"SELECT * FROM customers ORDER BY id",
		"SELECT substr(card, 1, 8) AS part FROM customers ORDER BY id",
		"SELECT card || '' FROM customers ORDER BY id",
		"SELECT c.card AS x FROM customers c ORDER BY id",
		"SELECT upper(c.pin) FROM customers c ORDER BY id",
		"SELECT note FROM customers ORDER BY id",
		"SELECT doc FROM customers ORDER BY id",
		"SELECT doc::text FROM customers ORDER BY id",
		"SELECT card_num FROM customers ORDER BY id",
		"SELECT card_num::text FROM customers ORDER BY id",
		"SELECT row_to_json(c) FROM customers c ORDER BY id",
		"SELECT c FROM customers c ORDER BY id",
		"SELECT pin FROM customers UNION ALL SELECT pin FROM customers",
		"WITH x AS (SELECT card AS k FROM customers) SELECT k FROM x",
	}
	leaks := []string{testCard, "5500000000000004", "1234", "9999", "bob@example.com", "41111111"}
	tg.eachMode(t, "agent", func(t *testing.T, name string, c *pgx.Conn) {
		for _, q := range queries {
			rows, err := c.Query(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				raw := rows.RawValues()
				b, _ := json.Marshal(vals)
				for _, leak := range leaks {
					for _, r := range raw {
						if strings.Contains(string(r), leak) {
							t.Errorf("%s (%s): raw value leaks %q: %q", q, name, leak, r)
						}
					}
					if strings.Contains(string(b), leak) {
						t.Errorf("%s (%s): value leaks %q: %s", q, name, leak, b)
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// The second result of a multi-statement query has its own lineage.
		results, err := c.PgConn().Exec(ctx, "SELECT 1; SELECT substr(card, 1, 8) FROM customers WHERE id = 1").ReadAll()
		if err != nil || len(results) != 2 || len(results[1].Rows) != 1 || string(results[1].Rows[0][0]) == "41111111" {
			t.Fatalf("multi-statement lineage: %v %+v", err, results)
		}
		// Errors and notices are masked too.
		_, err = c.Exec(ctx, "SELECT ('card '||'"+testCard+"')::int")
		if err == nil || strings.Contains(err.Error(), testCard) {
			t.Fatalf("error leaks or missing: %v", err)
		}
		var id int
		if err := c.QueryRow(ctx, "SELECT id FROM customers WHERE id = 2").Scan(&id); err != nil || id != 2 {
			t.Fatalf("session unusable after error: %v", err)
		}
	})
	// What was recorded is what the client saw.
	for _, sid := range tg.rec.Sessions() {
		outputs := 0
		for _, e := range tg.rec.GateEvents(sid) {
			b, _ := json.Marshal(e)
			if e.Output != nil {
				outputs++
				if strings.Contains(string(e.Output.Data), testCard) {
					t.Errorf("recorded output leaks the card: %s", e.Output.Data)
				}
			}
			_ = b
		}
		if outputs == 0 {
			t.Errorf("session %s recorded no output", sid)
		}
	}
}

func TestRefusalKeepsSession(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	tg.eachMode(t, "admin", func(t *testing.T, _ string, c *pgx.Conn) {
		_, err := c.Exec(ctx, "DROP TABLE victims")
		if sqlState(err) != "42501" {
			t.Fatalf("DROP: want 42501, got %v", err)
		}
		if !strings.Contains(err.Error(), "airlock") {
			t.Fatalf("refusal should name the gate: %v", err)
		}
		var one int
		if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("after refusal: %v", err)
		}
		// Inside a transaction: the upstream transaction is aborted too.
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO scratch VALUES (42, 'in tx')"); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM scratch"); sqlState(err) != "42501" {
			t.Fatalf("unbounded DELETE: want 42501, got %v", err)
		}
		if _, err := tx.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
			t.Fatalf("after a refusal in a transaction: want 25P02, got %v", err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM scratch WHERE id = 42").Scan(&n); err != nil || n != 0 {
			t.Fatalf("rolled back row visible: %d %v", n, err)
		}
		if c.PgConn().TxStatus() != 'I' {
			t.Fatalf("tx status %c", c.PgConn().TxStatus())
		}
	})
}

func TestPipelineAndBatch(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	c := tg.connect(t, "agent")
	b := &pgx.Batch{}
	for i := range 20 {
		b.Queue("SELECT $1::int + 1, card FROM customers WHERE id = 1", i)
	}
	br := c.SendBatch(ctx, b)
	for i := range 20 {
		var n int
		var card string
		if err := br.QueryRow().Scan(&n, &card); err != nil {
			t.Fatal(err)
		}
		if n != i+1 || card == testCard {
			t.Fatalf("row %d: %d %q", i, n, card)
		}
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	// A batch with a refused statement is refused as a whole; the
	// connection goes on.
	b = &pgx.Batch{}
	b.Queue("SELECT 1")
	b.Queue("DROP TABLE victims")
	err := c.SendBatch(ctx, b).Close()
	if sqlState(err) != "42501" {
		t.Fatalf("want 42501, got %v", err)
	}
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	// Low-level pipeline: several syncs in flight.
	p := c.PgConn().StartPipeline(ctx)
	p.SendQueryParams("SELECT 1", nil, nil, nil, nil)
	p.SendPipelineSync()
	p.SendQueryParams("DROP TABLE victims", nil, nil, nil, nil)
	p.SendPipelineSync()
	p.SendQueryParams("SELECT card FROM customers WHERE id = 1", nil, nil, nil, nil)
	p.SendPipelineSync()
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := p.GetResults()
		if err != nil {
			got = append(got, "err:"+sqlState(err))
			continue
		}
		if r == nil {
			break
		}
		got = append(got, describeResult(r))
		if len(got) > 20 {
			break
		}
	}
	_ = p.Close()
	joined := strings.Join(got, ",")
	if strings.Contains(joined, testCard) || !strings.Contains(joined, "err:42501") {
		t.Fatalf("pipeline results: %s", joined)
	}
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func TestCancelRunningQuery(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	c := tg.connect(t, "admin")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Exec(ctx, "SELECT pg_sleep(10)")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("cancel did not work: %v after %v", err, time.Since(start))
	}
	c2 := tg.connect(t, "admin")
	var one int
	if err := c2.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}
