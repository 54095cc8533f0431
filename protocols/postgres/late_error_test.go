package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lateSecret is the value of the covered column vault.pin: nothing a
// detector knows, and never in a statement the client sends.
const lateSecret = 73196485

// allowAllMasked is a rule file that lets every client run anything and
// masks, for agents, the columns as field rule field.
func allowAllMasked(field string, columns ...string) string {
	return `
default: deny
rules:
  - name: anything
    when: "true"
    action: allow
  - name: mask-for-agents
    when: identity.groups.exists(g, g == "agents")
    mask: [` + field + `]
masking:
  fields:
    - name: ` + field + `
      columns: ["` + strings.Join(columns, `", "`) + `"]
`
}

// lateRules let agents run anything and cover vault.pin and the columns
// the arming statements copy it into.
var lateRules = allowAllMasked("vault_pin", "vault.pin", "orphans.pin", "uniq.pin", "excl.pin")

// lateFixture holds the secret and the objects that raise errors and
// notices quoting it later than the statement that read it: deferred
// foreign-key, unique and exclusion constraints, a deferred constraint
// trigger, and immediate triggers of a table no field rule covers.
var lateFixture = `
CREATE TABLE vault (pin int PRIMARY KEY, owner text);
INSERT INTO vault VALUES (` + strconv.Itoa(lateSecret) + `, 'ada');
CREATE TABLE known (pin int PRIMARY KEY);
CREATE TABLE orphans (pin int REFERENCES known (pin) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE uniq (pin int UNIQUE DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE excl (pin int, EXCLUDE USING btree (pin WITH =) DEFERRABLE INITIALLY DEFERRED);
CREATE FUNCTION raise_pin() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE p text := (SELECT pin FROM vault LIMIT 1)::text;
BEGIN RAISE EXCEPTION 'saw %', p USING DETAIL = p, HINT = p, COLUMN = p, CONSTRAINT = p, TABLE = p; END $$;
CREATE FUNCTION notice_pin() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE p text := (SELECT pin FROM vault LIMIT 1)::text;
BEGIN RAISE NOTICE 'saw %', p USING DETAIL = p, HINT = p; RETURN NEW; END $$;
CREATE TABLE late_trig (v int);
CREATE CONSTRAINT TRIGGER late_raise AFTER INSERT ON late_trig DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION raise_pin();
CREATE TABLE now_trig (v int);
CREATE TRIGGER now_raise BEFORE INSERT ON now_trig FOR EACH ROW EXECUTE FUNCTION raise_pin();
CREATE TABLE noisy_trig (v int);
CREATE TRIGGER noisy BEFORE INSERT ON noisy_trig FOR EACH ROW EXECUTE FUNCTION notice_pin();
CREATE FUNCTION check_pin(v int) RETURNS bool LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN RAISE NOTICE 'saw %', (SELECT pin FROM vault LIMIT 1); RETURN true; END $$;
CREATE DOMAIN checked AS int CHECK (check_pin(VALUE));
CREATE TABLE guarded (v text);
INSERT INTO guarded VALUES ('ada');
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
`

// lateArm is a statement that makes the server quote the secret: later,
// at the end of the transaction (deferred), or at once from a trigger the
// statement's own lineage does not show.
type lateArm struct {
	sql      string
	code     string // the SQLSTATE the server raises
	deferred bool
}

var lateArms = []lateArm{
	{"INSERT INTO orphans SELECT pin FROM vault", "23503", true},
	{"INSERT INTO uniq SELECT pin FROM vault UNION ALL SELECT pin FROM vault", "23505", true},
	{"INSERT INTO excl SELECT pin FROM vault UNION ALL SELECT pin FROM vault", "23P01", true},
	{"INSERT INTO late_trig VALUES (1)", "P0001", true},
	{"INSERT INTO now_trig VALUES (1)", "P0001", false},
	{"INSERT INTO noisy_trig VALUES (1)", "", false},
	// A read whose own lineage is free, but whose cast runs a domain's
	// check, a function the lineage does not show.
	{"SELECT 1::checked", "", false},
}

// lateEnds are the ways a transaction holding a deferred violation ends,
// each a list of statements run one by one after the arming statement
// (BEGIN before it unless the list is empty: an implicit transaction).
var lateEnds = map[string][]string{
	"commit":              {"COMMIT"},
	"end":                 {"END"},
	"set constraints":     {"SET CONSTRAINTS ALL IMMEDIATE", "ROLLBACK"},
	"prepare transaction": {"PREPARE TRANSACTION 'late'", "ROLLBACK"},
	"implicit":            nil,
}

// tapConn records every byte the client reads.
type tapConn struct {
	net.Conn
	mu  sync.Mutex
	got bytes.Buffer
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.got.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tapConn) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.got.Bytes())
}

// secretIn returns the form of lateSecret found in b (decimal text, its
// hex, int4 and int8 big-endian bytes), or "".
func secretIn(b []byte) string {
	text := strconv.Itoa(lateSecret)
	var i4 [4]byte
	var i8 [8]byte
	binary.BigEndian.PutUint32(i4[:], uint32(lateSecret))
	binary.BigEndian.PutUint64(i8[:], uint64(lateSecret))
	forms := map[string][]byte{
		"text": []byte(text), "hex": []byte(hex.EncodeToString([]byte(text))),
		"int4": i4[:], "int8": i8[:], "int4 hex": []byte(hex.EncodeToString(i4[:])),
	}
	for name, f := range forms {
		if bytes.Contains(b, f) {
			return name
		}
	}
	return ""
}

// TestLateErrorsNeverLeak is the generator for errors and notices raised
// by a statement other than the one that read a covered column: every
// arming statement (deferred foreign-key, unique, exclusion and trigger
// violations, immediate triggers of an uncovered table) times every way a
// transaction ends (COMMIT, END, SET CONSTRAINTS, PREPARE TRANSACTION, the
// implicit transaction's Sync), in pgx's simple and extended protocols.
// Judged by every byte the client read; each case must raise the error it
// arms, so the test cannot pass by running nothing.
func TestLateErrorsNeverLeak(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(lateRules))
	tg.adminExec(t, lateFixture)
	tg.adminExec(t, "INSERT INTO uniq VALUES (1); INSERT INTO excl VALUES (1)")
	for mode, set := range map[string]func(*pgx.ConnConfig){"simple": simpleMode, "extended": func(*pgx.ConnConfig) {}} {
		for _, arm := range lateArms {
			ends := lateEnds
			if !arm.deferred {
				ends = map[string][]string{"implicit": nil}
			}
			for end, stmts := range ends {
				t.Run(mode+"/"+arm.sql+"/"+end, func(t *testing.T) {
					tap, c := tg.tapped(t, set)
					codes := runLate(c, arm.sql, stmts)
					if arm.code != "" && !strings.Contains(codes, arm.code) {
						t.Fatalf("the server raised %q, want %s: the case tests nothing", codes, arm.code)
					}
					if arm.code == "" && !strings.Contains(codes, "notice") {
						t.Fatalf("no notice came (%q): the case tests nothing", codes)
					}
					if f := secretIn(tap.bytes()); f != "" {
						t.Fatalf("the secret reached the client (%s): %q", f, tap.bytes())
					}
				})
			}
		}
	}
}

// tapped connects as agent through a tapConn.
func (tg *testGateway) tapped(t *testing.T, mutate func(*pgx.ConnConfig)) (*tapConn, *pgx.Conn) {
	t.Helper()
	tap := &tapConn{}
	c := tg.connect(t, "agent", mutate, func(cfg *pgx.ConnConfig) {
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			tap.Conn = nc
			return tap, err
		}
		cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { tap.noted() }
	})
	return tap, c
}

// noted marks that a notice arrived, for runLate.
func (c *tapConn) noted() {
	c.mu.Lock()
	c.got.WriteString("\x00notice\x00")
	c.mu.Unlock()
}

// runLate runs arm (after BEGIN when ends is not empty) and then ends,
// one statement at a time, and returns the SQLSTATEs the client saw and
// "notice" when a notice came.
func runLate(c *pgx.Conn, arm string, ends []string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var codes []string
	stmts := append([]string{arm}, ends...)
	if len(ends) > 0 {
		stmts = append([]string{"BEGIN"}, stmts...)
	}
	for _, s := range stmts {
		if err := runQuery(ctx, c, s); err != nil {
			codes = append(codes, sqlState(err))
		}
	}
	_ = runQuery(ctx, c, "ROLLBACK")
	if bytes.Contains(c.PgConn().Conn().(*tapConn).bytes(), []byte("\x00notice\x00")) {
		codes = append(codes, "notice")
	}
	return strings.Join(codes, ",")
}

// runQuery runs s in the connection's query mode (Exec would use the
// simple protocol for a statement without arguments).
func runQuery(ctx context.Context, c *pgx.Conn, s string) error {
	rows, err := c.Query(ctx, s)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	rows.Close()
	return rows.Err()
}

// TestLateErrorsPsql runs the deferred cases as one psql script, verbose
// (message, detail, hint, context and SQLSTATE shown): the secret must not
// be in its output, and every error must be.
func TestLateErrorsPsql(t *testing.T) {
	t.Parallel()
	psql := gatetest.NeedTool(t, "psql")
	tg := startGateway(t, withRules(lateRules))
	tg.adminExec(t, lateFixture)
	tg.adminExec(t, "INSERT INTO uniq VALUES (1); INSERT INTO excl VALUES (1)")
	var script strings.Builder
	script.WriteString("\\set VERBOSITY verbose\n")
	var want []string
	for _, arm := range lateArms {
		if arm.deferred {
			script.WriteString("BEGIN;\n" + arm.sql + ";\nCOMMIT;\n")
			script.WriteString(arm.sql + ";\n")
		} else {
			script.WriteString(arm.sql + ";\n")
		}
		if arm.code != "" {
			want = append(want, arm.code)
		}
	}
	script.WriteString("BEGIN; " + lateArms[0].sql + "; COMMIT;\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "late.sql"), []byte(script.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := runTool(t, tg.clientEnv("agent"), dir, psql, "-X", "-f", "late.sql")
	for _, code := range want {
		if !strings.Contains(out, code) {
			t.Fatalf("psql output lacks %s: the case tests nothing\n%s", code, out)
		}
	}
	if !strings.Contains(out, "NOTICE") {
		t.Fatalf("no notice in psql output\n%s", out)
	}
	if f := secretIn([]byte(out)); f != "" {
		t.Fatalf("the secret reached psql (%s):\n%s", f, out)
	}
}

// TestFreeErrorsKeepText is the other side of the rule: in the same
// session, an error of a read that evaluates no covered column, and a
// misspelt column, keep their text; the same error about the covered
// column does not.
func TestFreeErrorsKeepText(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(lateRules))
	tg.adminExec(t, lateFixture)
	for mode, set := range map[string]func(*pgx.ConnConfig){"simple": simpleMode, "extended": func(*pgx.ConnConfig) {}} {
		t.Run(mode, func(t *testing.T) {
			tap, c := tg.tapped(t, set)
			ctx := context.Background()
			cases := []struct{ sql, want string }{
				{"SELECT owner::int FROM vault", `invalid input syntax for type integer: "ada"`},
				{"SELECT ownr FROM vault", `column "ownr" does not exist`},
				{"SELECT pin::text::date FROM vault", "[masked] data exception 22"},
				{"SELECT owner::int FROM vault FOR UPDATE", "[masked] data exception 22P02"},
				// Row-level security: the policies run out of the lineage.
				{"SELECT v::int FROM guarded", "[masked] data exception 22P02"},
			}
			for _, tc := range cases {
				err := runQuery(ctx, c, tc.sql)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: %v, want %q", tc.sql, err, tc.want)
				}
			}
			if f := secretIn(tap.bytes()); f != "" {
				t.Fatalf("the secret reached the client (%s)", f)
			}
		})
	}
}
