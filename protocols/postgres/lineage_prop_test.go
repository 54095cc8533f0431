package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// shapeGen builds nested queries whose output column x is computed from
// customers.name, and id an integer, through every construct lineage must
// follow.
type shapeGen struct {
	r       *rand.Rand
	n       int  // alias counter
	encoded bool // hex applied already (twice would outrun the leak check)
}

func (g *shapeGen) alias(p string) string {
	g.n++
	return p + strconv.Itoa(g.n)
}

// base is a relation with columns (id, x) read from the masked column,
// directly or through a view, a materialized view or a SQL function.
func (g *shapeGen) base() string {
	switch g.r.IntN(8) {
	case 0:
		return "SELECT id, who AS x FROM customer_names"
	case 1:
		return "SELECT id, again AS x FROM customer_names2"
	case 2:
		return "SELECT id, up AS x FROM customer_mv"
	case 3:
		return "SELECT customer_id AS id, name_of(customer_id) AS x FROM orders"
	case 4:
		return "SELECT 1 AS id, n AS x FROM names_atomic() n"
	case 5:
		return "SELECT id, opaque_name(id) AS x FROM customers"
	case 6:
		return "TABLE customers_x"
	}
	return "SELECT id, name AS x FROM customers"
}

// expr transforms the text value v.
func (g *shapeGen) expr(v string) string {
	switch g.r.IntN(16) {
	case 0:
		return v + " || ''"
	case 1:
		return "concat(" + v + ", '')"
	case 2:
		return "lower(" + v + ")"
	case 3:
		return "upper(" + v + ")"
	case 4:
		return "translate(" + v + ", 'abcdefghijklmnopqrstuvwxyz', 'bcdefghijklmnopqrstuvwxyza')"
	case 5:
		return "substr(" + v + ", 1, 7)"
	case 6:
		return "substr(" + v + ", 7)"
	case 7:
		if g.encoded {
			return v
		}
		g.encoded = true
		return "encode(convert_to(" + v + ", 'UTF8'), 'hex')"
	case 8:
		return "CASE WHEN id > 0 THEN " + v + " ELSE 'none' END"
	case 9:
		return "coalesce(" + v + ", 'none')"
	case 10:
		return "(" + v + ")::varchar"
	case 11:
		return "format('%s', " + v + ")"
	case 12:
		return "shout(" + v + ")"
	case 13:
		return "split_part(" + v + ", ' ', 2)"
	case 14:
		return "(SELECT " + v + ")"
	}
	return v
}

// wrap nests q (columns id, x) one level deeper.
func (g *shapeGen) wrap(q string) string {
	s := g.alias("s")
	switch g.r.IntN(14) {
	case 0:
		return fmt.Sprintf("SELECT id, %s AS x FROM (%s) %s", g.expr("x"), q, s)
	case 1:
		return fmt.Sprintf("WITH %s AS (%s) SELECT id, %s AS x FROM %s", s, q, g.expr("x"), s)
	case 2:
		return fmt.Sprintf("WITH RECURSIVE %[1]s(id, x, d) AS (SELECT id, x, 1 FROM (%[2]s) q UNION ALL SELECT id, %[3]s, d + 1 FROM %[1]s WHERE d < 2) SELECT id, x FROM %[1]s",
			s, q, g.expr("x"))
	case 3:
		return fmt.Sprintf("SELECT o.customer_id AS id, l.x FROM orders o, LATERAL (SELECT %s AS x FROM (%s) q WHERE q.id = o.customer_id) l",
			g.expr("q.x"), q)
	case 4:
		return fmt.Sprintf("SELECT id, x FROM (%s) %s UNION SELECT 0, 'none'", q, s)
	case 5:
		return fmt.Sprintf("SELECT id, x FROM (%s) %s INTERSECT SELECT id, x FROM (%s) %s", q, s, q, g.alias("i"))
	case 6:
		return fmt.Sprintf("SELECT id, x FROM (%s) %s EXCEPT SELECT 0, 'none'", q, s)
	case 7:
		return fmt.Sprintf("SELECT o.customer_id AS id, (SELECT max(q.x) FROM (%s) q WHERE q.id = o.customer_id) AS x FROM orders o", q)
	case 8:
		aggs := []string{"string_agg(x, ',')", "array_agg(x)::text", "json_agg(x)::text", "max(x)", "min(" + g.expr("x") + ")"}
		return fmt.Sprintf("SELECT id, %s AS x FROM (%s) %s GROUP BY id", aggs[g.r.IntN(len(aggs))], q, s)
	case 9:
		return fmt.Sprintf("SELECT id, first_value(x) OVER (PARTITION BY id ORDER BY x) AS x FROM (%s) %s", q, s)
	case 10:
		fns := []string{"row_to_json(%s)::text", "to_json(%s)::text", "%s::text", "jsonb_build_object('v', %s.x)::text"}
		return fmt.Sprintf("SELECT id, "+fns[g.r.IntN(len(fns))]+" AS x FROM (%s) %s", s, q, s)
	case 11:
		return fmt.Sprintf("SELECT %[1]s.* FROM (SELECT id, %[2]s AS x FROM (%[3]s) q) %[1]s", s, g.expr("q.x"), q)
	case 12:
		return fmt.Sprintf("SELECT id, x FROM (%s) %s JOIN orders USING (id)", q, s)
	}
	return fmt.Sprintf("SELECT * FROM (SELECT id, %s AS x FROM (%s) q) %s", g.expr("x"), q, s)
}

// statement is the top-level form: plain, error-raising casts, a cursor,
// a prepared statement, EXPLAIN ANALYZE or COPY.
func (g *shapeGen) statement(depth int) (sql string, copyOut bool) {
	q := g.base()
	for range depth {
		q = g.wrap(q)
	}
	switch g.r.IntN(14) {
	case 0:
		return fmt.Sprintf("SELECT x::int FROM (%s) z", q), false
	case 1:
		return fmt.Sprintf("SELECT 1 FROM (%s) z WHERE x::date IS NULL", q), false
	case 2:
		return fmt.Sprintf("SELECT x::json FROM (%s) z", q), false
	case 3:
		return fmt.Sprintf("BEGIN; DECLARE c1 CURSOR FOR %s; FETCH ALL FROM c1; COMMIT", q), false
	case 4:
		p := g.alias("p")
		return fmt.Sprintf("PREPARE %[1]s AS %[2]s; EXECUTE %[1]s; DEALLOCATE %[1]s", p, q), false
	case 5:
		return "COPY (" + q + ") TO STDOUT", true
	case 6:
		return "EXPLAIN ANALYZE " + q, false
	case 7:
		return fmt.Sprintf("SELECT z.* FROM (%s) z", q), false
	case 8:
		return fmt.Sprintf("LISTEN ch; SELECT pg_notify('ch', x) FROM (%s) z; UNLISTEN ch", q), false
	case 9:
		return fmt.Sprintf("SELECT noisy(id), x FROM (%s) z", q), false
	}
	return q, false
}

// tee records every byte a client connection reads.
type tee struct {
	net.Conn
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (t tee) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.mu.Lock()
	t.buf.Write(p[:n])
	t.mu.Unlock()
	return n, err
}

// leakForms are the fixture names in every form the generator can give
// them, lower case: plain, shifted by translate, hex of either.
func leakForms() []string {
	var out []string
	shift := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return 'a' + (r-'a'+1)%26
			}
			return r
		}, s)
	}
	for _, n := range lineageNames {
		for _, v := range []string{n, shift(n), strings.ToUpper(n), shift(strings.ToLower(n)), strings.ToLower(n)} {
			for _, w := range strings.Fields(v) {
				for i := 0; i+5 <= len(w); i++ {
					out = append(out, strings.ToLower(w[i:i+5]))
				}
			}
			h := hex.EncodeToString([]byte(v))
			for i := 0; i+12 <= len(h); i += 2 {
				out = append(out, h[i:i+12])
			}
		}
	}
	return out
}

func findLeak(b []byte, forms []string) string {
	low := strings.ToLower(string(b))
	for _, f := range forms {
		if strings.Contains(low, f) {
			return f
		}
	}
	return ""
}

// propertyBudget is how long the property test runs: about half a minute
// by default, AIRLOCK_LINEAGE_PROPERTY (a Go duration) for a longer run.
func propertyBudget(t *testing.T) time.Duration {
	if v := os.Getenv("AIRLOCK_LINEAGE_PROPERTY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("AIRLOCK_LINEAGE_PROPERTY: %v", err)
		}
		return d
	}
	return 30 * time.Second
}

// TestLineageProperty generates nested query shapes over the masked column
// and checks that no form of any fixture value reaches the client's socket
// (rows, errors, notices, COPY), nor the record, whatever the shape.
//
// Not parallel: it runs for a fixed time, and tests beside it would
// leave it fewer cases in that time.
func TestLineageProperty(t *testing.T) {
	tg := startLineageGateway(t, lineageRules)
	ctx := context.Background()
	direct := tg.adminConn(t)
	if err := direct.Exec(ctx, "CREATE VIEW customers_x AS SELECT id, name AS x FROM customers").Close(); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("AIRLOCK_LINEAGE_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (AIRLOCK_LINEAGE_SEED to replay)", seed)
	g := &shapeGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	forms := leakForms()

	var mu sync.Mutex
	var seen bytes.Buffer
	cfg, err := pgconn.ParseConfig(tg.url("agent"))
	if err != nil {
		t.Fatal(err)
	}
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return tee{Conn: c, mu: &mu, buf: &seen}, nil
	}
	var client *pgconn.PgConn
	connect := func() {
		if client != nil {
			_ = client.Close(ctx)
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if client, err = pgconn.ConnectConfig(cctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	connect()
	defer func() { _ = client.Close(ctx) }()

	budget := propertyBudget(t)
	start := time.Now()
	runs, okRuns, directLeaks := 0, 0, 0
	for time.Since(start) < budget {
		g.encoded = false
		sql, copyOut := g.statement(1 + g.r.IntN(4))
		runs++
		// The same statement, straight to the database: the oracle sees the
		// names, or the shape proves nothing.
		var raw bytes.Buffer
		if copyOut {
			_, _ = direct.CopyTo(ctx, &raw, sql)
		} else {
			results, err := direct.Exec(ctx, sql).ReadAll()
			for _, r := range results {
				for _, row := range r.Rows {
					for _, v := range row {
						raw.Write(v)
					}
				}
			}
			if err != nil {
				raw.WriteString(err.Error())
			}
		}
		if findLeak(raw.Bytes(), forms) != "" {
			directLeaks++
		}
		if direct.IsClosed() {
			t.Fatalf("direct connection lost on %q", sql)
		}
		_ = direct.Exec(ctx, "ROLLBACK; DEALLOCATE ALL; CLOSE ALL").Close()

		mu.Lock()
		seen.Reset()
		mu.Unlock()
		qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		var runErr error
		switch {
		case copyOut:
			_, runErr = client.CopyTo(qctx, io.Discard, sql)
		case g.r.IntN(2) == 0 && !strings.Contains(sql, ";"):
			res := client.ExecParams(qctx, sql, nil, nil, nil, nil).Read()
			runErr = res.Err
		default:
			_, runErr = client.Exec(qctx, sql).ReadAll()
		}
		cancel()
		if runErr == nil {
			okRuns++
		} else if os.Getenv("AIRLOCK_LINEAGE_VERBOSE") != "" {
			t.Logf("%s: %v", sql, runErr)
		}
		mu.Lock()
		got := append([]byte(nil), seen.Bytes()...)
		mu.Unlock()
		if f := findLeak(got, forms); f != "" {
			t.Fatalf("seed %d: %q reached the client (%q):\n%s\n%q", seed, f, sql, runErr, got)
		}
		if client.IsClosed() {
			connect()
		} else {
			_ = client.Exec(ctx, "ROLLBACK").Close()
		}
	}
	for _, e := range tg.storedEvents() {
		b, _ := json.Marshal(e)
		if bytes.Contains(b, []byte(`"agents"`)) || bytes.Contains(b, []byte("agent-1")) {
			if f := findLeak(b, forms); f != "" {
				t.Fatalf("seed %d: %q recorded: %s", seed, f, b)
			}
		}
	}
	t.Logf("%d statements, %d ran without error through the gateway, %d leaked the name when sent straight to the database", runs, okRuns, directLeaks)
	if runs < 20 || okRuns < runs/4 || directLeaks < runs/4 {
		t.Fatalf("the generator proves too little: %d runs, %d ok, %d direct leaks", runs, okRuns, directLeaks)
	}
}
