package postgres

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/internal/gatetest"
)

func (tg *testGateway) clientEnv(user string) []string {
	host, port, _ := net.SplitHostPort(tg.addr)
	return append(os.Environ(), "PGHOST="+host, "PGPORT="+port, "PGUSER="+user, "PGPASSWORD=secret",
		"PGDATABASE="+tg.db, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=5")
}

func runTool(t *testing.T, env []string, dir, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPsqlScript(t *testing.T) {
	t.Parallel()
	psql := gatetest.NeedTool(t, "psql")
	tg := startGateway(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte("7,seven\n8,eight\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := `
\set VERBOSITY verbose
SELECT count(*) AS customers FROM customers;
DROP TABLE victims;
SELECT 'still here' AS status;
\copy scratch FROM 'in.csv' csv
\copy (SELECT id, v FROM scratch ORDER BY id) TO 'out.csv' csv
BEGIN;
INSERT INTO scratch VALUES (9, 'nine');
COMMIT;
SELECT count(*) AS scratch_rows FROM scratch;
SELECT card FROM customers WHERE id = 1;
`
	if err := os.WriteFile(filepath.Join(dir, "s.sql"), []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runTool(t, tg.clientEnv("admin"), dir, psql, "-X", "-f", "s.sql")
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	for _, want := range []string{"42501", "airlock", "still here", "COPY 2", "scratch_rows", " 3", testCard} {
		if !strings.Contains(out, want) {
			t.Errorf("psql output lacks %q:\n%s", want, out)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "out.csv"))
	if err != nil || string(csv) != "7,seven\n8,eight\n" {
		t.Fatalf("\\copy out: %q %v", csv, err)
	}
	// The agent is masked: rows, COPY in text format column by column;
	// a COPY format the gateway cannot mask (csv) is refused.
	out, _ = runTool(t, tg.clientEnv("agent"), dir, psql, "-X", "-c", "SELECT card, note FROM customers", "-c",
		`\copy customers TO 'masked.txt'`, "-c", `\copy customers TO 'leak.csv' csv`, "-c", "SELECT 'alive'")
	if strings.Contains(out, testCard) || !strings.Contains(out, "[CREDIT_CARD]") || !strings.Contains(out, "alive") ||
		!strings.Contains(out, "COPY 2") || !strings.Contains(out, "cannot be masked") {
		t.Fatalf("agent psql output:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "masked.txt"))
	if err != nil || strings.Contains(string(b), testCard) || strings.Contains(string(b), "1234") || !strings.Contains(string(b), "Ada") {
		t.Fatalf("masked COPY: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "leak.csv")); err == nil && strings.Contains(string(b), testCard) {
		t.Fatal("COPY leaked a card")
	}
}

func TestPgbench(t *testing.T) {
	t.Parallel()
	pgbench := gatetest.NeedTool(t, "pgbench")
	tg := startGateway(t)
	env := tg.clientEnv("admin")
	// Initialise directly upstream (the gateway would rightly refuse DDL).
	direct := append(os.Environ(), "PGHOST=127.0.0.1", "PGPORT=5432", "PGUSER=postgres", "PGDATABASE="+tg.db)
	if out, err := runTool(t, direct, "", pgbench, "-i", "-q", "-s", "1"); err != nil {
		t.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	for _, mode := range []string{"simple", "extended", "prepared"} {
		out, err := runTool(t, env, "", pgbench, "-n", "-S", "-M", mode, "-c", "2", "-t", "50")
		if err != nil || !strings.Contains(out, "number of transactions actually processed: 100") {
			t.Fatalf("pgbench -M %s: %v\n%s", mode, err, out)
		}
	}
}

// TestPsqlDescribe: psql's backslash commands are read-only catalog
// queries and work through the gateway.
func TestPsqlDescribe(t *testing.T) {
	t.Parallel()
	psql := gatetest.NeedTool(t, "psql")
	tg := startGateway(t)
	// \l+ names this test's database: across the whole cluster it sizes
	// every database, and PostgreSQL fails it ("database ... does not
	// exist") when another test drops one between the listing and the
	// sizing, whatever sits in between.
	for _, cmd := range []string{`\dt`, `\d customers`, `\d+ customers`, `\l`, `\dn`, `\df`, `\dv`, `\di`, `\du`, `\dx`, `\conninfo`, `\l+ ` + tg.db, `\dt+`, `\dT`, `\ds`, `\dp`, `\sf now`} {
		out, err := runTool(t, tg.clientEnv("admin"), "", psql, "-X", "-v", "ON_ERROR_STOP=1", "-c", cmd)
		if err != nil {
			t.Errorf("psql %s: %v\n%s", cmd, err, out)
		}
		if cmd == `\l+ `+tg.db && !strings.Contains(out, tg.db) {
			t.Errorf("psql %s does not list the test's database:\n%s", cmd, out)
		}
	}
}
