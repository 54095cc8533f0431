package postgres

import (
	"bytes"
	"context"
	"fmt"
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

// tap is a client connection through the gateway that keeps every byte it
// read since the last reset: what the agent received.
type tap struct {
	c   *pgconn.PgConn
	mu  sync.Mutex
	buf bytes.Buffer
}

// dialTap connects to the gateway as user, closed at the test's end.
func dialTap(t *testing.T, tg *testGateway, user string) *tap {
	t.Helper()
	tp := &tap{}
	cfg, err := pgconn.ParseConfig(tg.url(user))
	if err != nil {
		t.Fatal(err)
	}
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return tee{Conn: c, mu: &tp.mu, buf: &tp.buf}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if tp.c, err = pgconn.ConnectConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tp.c.Close(context.Background()) })
	return tp
}

// run sends sql (simple or extended protocol, at random) and returns the
// bytes the client received for it and the error, if any.
func (tp *tap) run(r *rand.Rand, sql string) ([]byte, error) {
	tp.mu.Lock()
	tp.buf.Reset()
	tp.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var err error
	if r.IntN(2) == 0 {
		err = tp.c.ExecParams(ctx, sql, nil, nil, nil, nil).Read().Err
	} else {
		_, err = tp.c.Exec(ctx, sql).ReadAll()
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return bytes.Clone(tp.buf.Bytes()), err
}

// directBytes runs sql on c (around the gateway) and returns every value
// and the error text: what the statement shows without masking.
func directBytes(c *pgconn.PgConn, sql string) []byte {
	ctx := context.Background()
	var out bytes.Buffer
	results, err := c.Exec(ctx, sql).ReadAll()
	for _, r := range results {
		for _, row := range r.Rows {
			for _, v := range row {
				out.Write(v)
			}
		}
	}
	if err != nil {
		out.WriteString(err.Error())
	}
	_ = c.Exec(ctx, "ROLLBACK").Close()
	return out.Bytes()
}

// testSeed is AIRLOCK_TEST_SEED when set, else the clock: logged so a
// failing run can be replayed.
func testSeed(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("AIRLOCK_TEST_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (AIRLOCK_TEST_SEED to replay)", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// copyRelation is a relation that holds a field-rule column's values under
// another name, and an expression that shows them as text.
type copyRelation struct {
	name string // as a FROM item
	expr string // over alias r
}

// copySecret is a long random value of a field-rule column: hex that pglz
// cannot shrink, so TOAST stores it as is.
func copySecret(r *rand.Rand) string {
	var b strings.Builder
	for b.Len() < 6000 {
		fmt.Fprintf(&b, "%016x", r.Uint64())
	}
	return b.String()
}

// leaksSecret reports whether got holds any 24-byte piece of secret.
func leaksSecret(got []byte, secret string) bool {
	for i := 0; i+24 <= len(secret); i += 8 {
		if bytes.Contains(got, []byte(secret[i:i+24])) {
			return true
		}
	}
	return false
}

// copyShape wraps a read of rel as text column v in a random query shape.
func copyShape(r *rand.Rand, rel copyRelation) string {
	base := fmt.Sprintf("SELECT %s AS v FROM %s r", rel.expr, rel.name)
	switch r.IntN(8) {
	case 0:
		return fmt.Sprintf("SELECT v FROM (%s) s", base)
	case 1:
		return fmt.Sprintf("WITH s AS (%s) SELECT string_agg(v, '') FROM s", base)
	case 2:
		return fmt.Sprintf("SELECT upper(v) FROM (%s) s", base)
	case 3:
		return fmt.Sprintf("%s UNION ALL SELECT 'none'", base)
	case 4:
		return fmt.Sprintf("SELECT x.v FROM (SELECT 1) o, LATERAL (%s) x", base)
	case 5:
		return fmt.Sprintf("SELECT row_to_json(s)::text FROM (%s) s", base)
	case 6:
		return fmt.Sprintf("SELECT (SELECT string_agg(v, '') FROM (%s) s)", base)
	}
	return base
}

// copyKinds are the kinds of relation TestCopyRelationsMasked reads the
// value through: TOAST, an inheritance child, a partition, a materialized
// view, a large object, statistics, an inheritance parent (the rule
// covers the child), a foreign table (over this very database).
var copyKinds = []string{"toast", "child", "part", "mv", "lo", "stats", "parent", "foreign"}

// TestCopyRelationsMasked reads a field-rule column (customers.pin)
// through every kind of relation that holds its values under another
// name, in random query shapes, and checks that no piece of the value
// reaches the agent's socket. Every relation must show the value when
// read directly, or the shape proves nothing.
func TestCopyRelationsMasked(t *testing.T) {
	t.Parallel()
	rules := strings.Replace(testRules, `columns: ["customers.card", "customers.pin"]`,
		`columns: ["customers.card", "customers.pin", "ledger.pin", "vault_old.pin"]`, 1)
	tg := startGateway(t, withRules(rules))
	r := testSeed(t)
	secrets := map[string]string{}
	for _, k := range copyKinds {
		secrets[k] = copySecret(r)
	}
	// pg_statistic keeps values up to 1 kB.
	secrets["stats"] = secrets["stats"][:64]
	tg.adminExec(t, fmt.Sprintf(`
		ALTER TABLE customers ALTER COLUMN pin SET STORAGE EXTERNAL;
		INSERT INTO customers (id, name, pin) VALUES (9, 'Zed', '%[1]s');
		CREATE TABLE customers_archive () INHERITS (customers);
		INSERT INTO customers_archive (id, name, pin) VALUES (10, 'Old', '%[2]s');
		CREATE TABLE ledger (id int, pin text) PARTITION BY RANGE (id);
		CREATE TABLE ledger_p1 PARTITION OF ledger FOR VALUES FROM (0) TO (100);
		INSERT INTO ledger VALUES (1, '%[3]s');
		INSERT INTO customers (id, name, pin) VALUES (11, 'Mv', '%[4]s');
		CREATE MATERIALIZED VIEW pins_mv AS SELECT id, pin AS p FROM customers;
		SELECT lo_from_bytea(0, convert_to(pin, 'UTF8')) FROM customers WHERE id = 9;
		INSERT INTO customers (id, name, pin) SELECT g, 'Many', '%[5]s' FROM generate_series(100, 160) g;
		ANALYZE customers;
		CREATE TABLE vault (id int, pin text);
		CREATE TABLE vault_old () INHERITS (vault);
		INSERT INTO vault_old VALUES (1, '%[6]s');
		CREATE EXTENSION postgres_fdw;
		CREATE SERVER loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '5432', dbname '%[7]s');
		CREATE USER MAPPING FOR CURRENT_USER SERVER loop OPTIONS (user 'postgres');
		CREATE FOREIGN TABLE remote_customers (id int, pin text) SERVER loop OPTIONS (table_name 'customers');`,
		secrets["toast"], secrets["child"], secrets["part"], secrets["mv"], secrets["stats"], secrets["parent"], tg.db))
	secrets["foreign"] = secrets["toast"]
	secrets["lo"] = secrets["toast"]
	toast := string(tg.adminExec(t, "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'customers'")[0].Rows[0][0])
	rels := map[string][]copyRelation{
		"toast":   {{toast, "convert_from(r.chunk_data, 'UTF8')"}, {toast, "encode(r.chunk_data, 'escape')"}},
		"child":   {{"customers_archive", "r.pin"}, {"ONLY customers_archive", "r.pin || ''"}},
		"part":    {{"ledger_p1", "r.pin"}, {"ledger", "r.pin"}},
		"mv":      {{"pins_mv", "r.p"}},
		"lo":      {{"pg_largeobject", "convert_from(r.data, 'UTF8')"}},
		"stats":   {{"pg_stats", "r.most_common_vals::text"}, {"pg_statistic", "r.stavalues1::text"}},
		"parent":  {{"vault", "r.pin"}},
		"foreign": {{"remote_customers", "r.pin"}},
	}
	agent := dialTap(t, tg, "agent")
	direct := tg.adminConn(t)
	shown := map[string]int{}
	for range 160 {
		kind := copyKinds[r.IntN(len(copyKinds))]
		rel := rels[kind][r.IntN(len(rels[kind]))]
		sql := copyShape(r, rel)
		if leaksSecret(directBytes(direct, sql), secrets[kind]) {
			shown[kind]++
		}
		got, err := agent.run(r, sql)
		if leaksSecret(got, secrets[kind]) {
			t.Fatalf("%s: a field-rule value reached the agent through %s (err %v)", sql, rel.name, err)
		}
	}
	for kind := range rels {
		if shown[kind] == 0 {
			t.Errorf("no %s shape showed the value directly: the test proves nothing for it", kind)
		}
	}
}
