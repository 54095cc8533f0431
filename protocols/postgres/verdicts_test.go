package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// Every statement type is decided explicitly: read-only only where nothing
// is written, no session or server state changes, and no code the gate
// cannot see runs. Each line is a verdict an attacker would probe.
func TestReadOnlyVerdictsByStatement(t *testing.T) {
	t.Parallel()
	cases := []struct {
		sql      string
		kind     string
		readOnly bool
		execute  string // ExecuteName
	}{
		{"SELECT 1", "SELECT", true, ""},
		{"SELECT * FROM t FOR UPDATE", "SELECT", false, ""},
		{"SELECT * FROM t FOR SHARE", "SELECT", false, ""},
		{"SELECT * INTO t2 FROM t", "SELECT", false, ""},
		{"SELECT set_config('a.b', 'c', false)", "SELECT", false, ""},
		{"SELECT lo_import('/etc/passwd')", "SELECT", false, ""},
		{"SELECT pg_read_file('/etc/passwd')", "SELECT", false, ""},
		{"PREPARE p AS SELECT 1", "PREPARE", true, ""},
		{"PREPARE p AS DELETE FROM t", "PREPARE", false, ""},
		{"PREPARE p AS WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d", "PREPARE", false, ""},
		{"PREPARE p AS SELECT set_config('a.b', 'c', false)", "PREPARE", false, ""},
		{"EXECUTE p", "EXECUTE", true, "p"},
		{"EXECUTE p(1, 'a')", "EXECUTE", true, "p"},
		{"EXECUTE p(set_config('a.b', 'c', false))", "EXECUTE", false, "p"},
		{"EXECUTE p(lo_import('/etc/passwd'))", "EXECUTE", false, "p"},
		{"EXPLAIN EXECUTE p", "EXPLAIN", true, "p"},
		{"EXPLAIN ANALYZE EXECUTE p", "EXPLAIN", true, "p"},
		{"EXPLAIN (ANALYZE true) EXECUTE p(1)", "EXPLAIN", true, "p"},
		{"EXPLAIN EXECUTE p(set_config('a.b', 'c', false))", "EXPLAIN", false, "p"},
		{"EXPLAIN EXECUTE p(lo_import('/etc/passwd'))", "EXPLAIN", false, "p"},
		{"EXPLAIN ANALYZE EXECUTE p(lo_import('/etc/passwd'))", "EXPLAIN", false, "p"},
		{"PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION", false, ""},
		{"COMMIT PREPARED 'x'", "COMMIT PREPARED", false, ""},
		{"ROLLBACK PREPARED 'x'", "ROLLBACK PREPARED", false, ""},
		{"BEGIN", "BEGIN", true, ""},
		{"ROLLBACK", "ROLLBACK", true, ""},
		{"SAVEPOINT a", "SAVEPOINT", true, ""},
		{"LISTEN c", "LISTEN", false, ""},
		{"NOTIFY c, 'x'", "NOTIFY", false, ""},
		{"UNLISTEN *", "UNLISTEN", false, ""},
		{"LOCK TABLE t", "LOCK", false, ""},
		{"SET search_path = x", "SET", false, ""},
		{"SET LOCAL statement_timeout = 0", "SET", false, ""},
		{"RESET ALL", "RESET", false, ""},
		{"DISCARD ALL", "DISCARD", false, ""},
		{"DEALLOCATE ALL", "DEALLOCATE", true, ""},
		{"CHECKPOINT", "CHECKPOINT", false, ""},
		{"VACUUM t", "VACUUM", false, ""},
		{"ANALYZE t", "ANALYZE", false, ""},
		{"CLUSTER t", "CLUSTER", false, ""},
		{"REINDEX TABLE t", "REINDEX", false, ""},
		{"LOAD 'x'", "LOAD", false, ""},
		{"SECURITY LABEL ON TABLE t IS 'x'", "SECURITY LABEL", false, ""},
		{"COMMENT ON TABLE t IS 'x'", "COMMENT", false, ""},
		{"REFRESH MATERIALIZED VIEW v", "REFRESH", false, ""},
		{"IMPORT FOREIGN SCHEMA s FROM SERVER f INTO public", "IMPORT", false, ""},
		{"ALTER SYSTEM SET work_mem = '1GB'", "ALTER", false, ""},
		{"DECLARE c CURSOR FOR SELECT 1", "DECLARE", true, ""},
		{"DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t FOR UPDATE", "DECLARE", false, ""},
		{"FETCH 10 FROM c", "FETCH", true, ""},
		{"MOVE 10 IN c", "MOVE", true, ""},
		{"CLOSE c", "CLOSE", true, ""},
		{"SHOW work_mem", "SHOW", true, ""},
		{"CALL p()", "CALL", false, ""},
		{"DO $$ BEGIN END $$", "DO", false, ""},
		{"CREATE TABLE t2 AS SELECT 1", "CREATE", false, ""},
		{"SELECT nextval('s')", "SELECT", false, ""},
	}
	for _, c := range cases {
		cl, err := pgsql.ParserClassifier{}.Classify(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		st := cl.Statements[0]
		if st.Kind != c.kind || st.ReadOnly != c.readOnly || st.ExecuteName != c.execute {
			t.Errorf("%s: kind %q read_only %v execute %q; want %q %v %q", c.sql, st.Kind, st.ReadOnly, st.ExecuteName, c.kind, c.readOnly, c.execute)
		}
		for _, n := range cl.Statements {
			if !n.ReadOnly && c.readOnly {
				t.Errorf("%s: a nested entry is not read-only", c.sql)
			}
		}
	}
}

// siblingTemplates are statements whose literals (written ?) change their
// classification, or carry a secret, or neither. Every literal is filled
// from siblingLiteralPool, so two fillings share a shape.
var siblingTemplates = []string{
	"EXPLAIN (ANALYZE ?) DELETE FROM t",
	"EXPLAIN (ANALYZE ?, FORMAT JSON) UPDATE t SET a = 1",
	"EXPLAIN (ANALYZE ?) EXECUTE p",
	"CREATE ROLE r PASSWORD ?",
	"ALTER ROLE r WITH PASSWORD ?",
	"ALTER USER r PASSWORD ?",
	"CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u', password ?)",
	"CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'h', sslpassword ?)",
	"SELECT dblink_connect(?)",
	"SELECT * FROM dblink(?, 'SELECT 1') AS t(a int)",
	"CREATE SUBSCRIPTION s CONNECTION ? PUBLICATION p",
	"ALTER SUBSCRIPTION s CONNECTION ?",
	"COPY t TO STDOUT WITH (FORMAT ?)",
	"COPY t (a, b) TO STDOUT (DELIMITER ?)",
	"SELECT * FROM t WHERE a = ? AND b = ?",
	"SELECT ?::text, ?",
	"INSERT INTO t VALUES (?, ?)",
	"SET application_name = ?",
	"PREPARE TRANSACTION ?",
	"SELECT current_setting(?)",
	"FETCH ? FROM c",
	"SELECT * FROM t LIMIT ? OFFSET ?",
	"CREATE SEQUENCE s INCREMENT ?",
	"EXPLAIN (ANALYZE ?) SELECT ?",
}

var siblingLiteralPool = []string{
	"'on'", "'off'", "'0'", "'1'", "'true'", "'false'", "'yes'", "'no'", "''", "'text'", "'csv'", "'binary'", "','",
	"'hunter2'", "'md5abc'", "'SCRAM-SHA-256$4096:x'",
	"'host=db password=s3cret dbname=x'", "'host=db password=''quoted secret'''", "'dbname=x user=u'",
	"'postgresql://u:p4ss@db/x'", "'postgres://db/x?password=qp'", "'postgresql://db/x'",
	"E'on'", "E'pass\\'word'", "$$off$$", "$q$host=h password=dollar$q$", "U&'d\\0061t\\+000061'",
	"0", "1", "42", "3.5", "1e3", "2147483647", "2147483648", "99999999999999999999", "0x10", "0xFFFFFFFFF", "-1",
}

func fillTemplate(r *rand.Rand, tmpl string) string {
	var b strings.Builder
	for _, part := range strings.SplitAfter(tmpl, "?") {
		if strings.HasSuffix(part, "?") {
			b.WriteString(part[:len(part)-1])
			b.WriteString(siblingLiteralPool[r.IntN(len(siblingLiteralPool))])
		} else {
			b.WriteString(part)
		}
	}
	return b.String()
}

// checkCachedEqualsFresh warms a fresh cache with a, then classifies b
// through it and directly, and reports a difference.
func checkCachedEqualsFresh(a, b string) error {
	c := pgsql.NewClassifier(0)
	_, _ = c.Classify(a)
	cached, cerr := c.Classify(b)
	fresh, ferr := pgsql.ParserClassifier{}.Classify(b)
	if (cerr == nil) != (ferr == nil) {
		return fmt.Errorf("warm %q, classify %q: cached err %v, fresh err %v", a, b, cerr, ferr)
	}
	if cerr != nil {
		return nil
	}
	if !reflect.DeepEqual(cached, fresh) {
		cj, _ := json.Marshal(cached)
		fj, _ := json.Marshal(fresh)
		return fmt.Errorf("warm %q, classify %q:\ncached %s\nfresh  %s\nsecrets cached %q fresh %q", a, b, cj, fj,
			secretsOf(cached), secretsOf(fresh))
	}
	return nil
}

func secretsOf(cl *pgsql.Classification) []string {
	var out []string
	for _, s := range cl.Statements {
		out = append(out, s.Secrets...)
	}
	return out
}

// A classification served from the cache equals a fresh one, after the
// cache was warmed with a sibling of the same shape whose literals differ,
// including literals that change the verdict or carry a secret.
func TestCacheEqualsFreshForSiblings(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(seed, 3))
	for _, tmpl := range siblingTemplates {
		for range 60 {
			a, b := fillTemplate(r, tmpl), fillTemplate(r, tmpl)
			if err := checkCachedEqualsFresh(a, b); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
	}
	// The cases, by name.
	for _, pair := range [][2]string{
		{"EXPLAIN (ANALYZE 'off') DELETE FROM t", "EXPLAIN (ANALYZE 'on') DELETE FROM t"},
		{"CREATE ROLE r PASSWORD ''", "CREATE ROLE r PASSWORD 'real-secret'"},
		{"ALTER ROLE r PASSWORD ''", "ALTER ROLE r PASSWORD 'real-secret'"},
	} {
		if err := checkCachedEqualsFresh(pair[0], pair[1]); err != nil {
			t.Error(err)
		}
	}
}

// FuzzCacheEqualsFresh: any two literals in any template classify the same
// through the cache as without it.
func FuzzCacheEqualsFresh(f *testing.F) {
	for i := range siblingTemplates {
		f.Add(uint8(i), "on", "off")
		f.Add(uint8(i), "", "password=x")
		f.Add(uint8(i), "1", "postgresql://a:b@c/d")
	}
	f.Fuzz(func(t *testing.T, which uint8, x, y string) {
		tmpl := siblingTemplates[int(which)%len(siblingTemplates)]
		quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
		a := strings.ReplaceAll(tmpl, "?", quote(x))
		b := strings.ReplaceAll(tmpl, "?", quote(y))
		if err := checkCachedEqualsFresh(a, b); err != nil {
			t.Fatal(err)
		}
	})
}

// Passwords inside statements — role passwords, connection strings in
// dblink and subscriptions, foreign server and user mapping options — are
// Secrets, so no record holds them in plain text.
func TestStatementSecrets(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"ALTER ROLE r PASSWORD 'hunter2'":                                                 {"hunter2"},
		"CREATE ROLE r LOGIN PASSWORD 'hunter2'":                                          {"hunter2"},
		"SELECT dblink_connect('c', 'host=db password=s3cret dbname=x')":                  {"s3cret"},
		"SELECT dblink_connect('host=db password=''two words'' dbname=x')":                {"two words"},
		"SELECT * FROM dblink('postgresql://u:p%40ss@db/x', 'SELECT 1') AS t(a int)":      {"p@ss"},
		"CREATE SUBSCRIPTION s CONNECTION 'host=h password=subpw' PUBLICATION p":          {"subpw"},
		"ALTER SUBSCRIPTION s CONNECTION 'postgres://h/x?password=qp'":                    {"qp"},
		"CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u', password 'mappw')":         {"mappw"},
		"CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (sslpassword 'sslpw')": {"sslpw"},
		"SELECT 'password is not a secret by itself'":                                     nil,
	}
	for sql, want := range cases {
		cl, err := pgsql.ParserClassifier{}.Classify(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		got := secretsOf(cl)
		for _, w := range want {
			if !contains(got, w) {
				t.Errorf("%s: secrets %q lack %q", sql, got, w)
			}
		}
		if want == nil && len(got) > 0 {
			t.Errorf("%s: unexpected secrets %q", sql, got)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Through the gateway, with the real server answering: the record holds no
// password that a statement carried.
func TestRecordHoldsNoStatementSecret(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	c := tg.connect(t, "admin", simpleMode)
	ctx := context.Background()
	secrets := []string{"RolePassw0rd-x1", "DblinkPassw0rd-x2", "SubPassw0rd-x3"}
	for _, sql := range []string{
		"ALTER ROLE nobody_" + tg.db + " PASSWORD '" + secrets[0] + "'",
		"SELECT dblink_connect('host=127.0.0.1 password=" + secrets[1] + " dbname=x')",
		"CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 password=" + secrets[2] + "' PUBLICATION p",
	} {
		_, _ = c.Exec(ctx, sql) // refused or failing upstream: either way recorded
	}
	_ = c.Close(ctx)
	deadline := time.Now().Add(5 * time.Second)
	var all []byte
	for time.Now().Before(deadline) {
		all = all[:0]
		decisions := 0
		for _, id := range tg.rec.Sessions() {
			for _, e := range tg.rec.Events(id) {
				b, _ := json.Marshal(e)
				all = append(all, b...)
				if e.Kind == "decision" {
					decisions++
				}
			}
		}
		if decisions >= 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range secrets {
		if strings.Contains(string(all), s) {
			t.Errorf("the record holds %q in plain text", s)
		}
	}
	if !strings.Contains(string(all), "dblink_connect") {
		t.Fatal("the statements were not recorded at all")
	}
}
