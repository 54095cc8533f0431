package pgsql

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// siblingCorpus holds statements whose classification reads literals, or
// could: option values, secrets, COPY options, SET values, function
// arguments, typed literals, dollar quoting, E'...' strings, comments,
// unicode escapes, identifiers that look like strings.
var siblingCorpus = []string{
	"EXPLAIN (ANALYZE 'off') DELETE FROM t",
	"EXPLAIN (ANALYZE 'on') DELETE FROM t",
	"EXPLAIN (ANALYZE 0) DELETE FROM t WHERE id = 1",
	"EXPLAIN (ANALYZE 'off', FORMAT 'json') UPDATE t SET a = 'x'",
	"EXPLAIN (ANALYZE $$off$$) DELETE FROM t",
	"EXPLAIN (ANALYZE false) DELETE FROM t /* 'on' */",
	"CREATE ROLE r PASSWORD ''",
	"ALTER ROLE r PASSWORD 'hunter2'",
	"ALTER ROLE r WITH LOGIN PASSWORD 'x' VALID UNTIL '2030-01-01'",
	"COPY t TO STDOUT (FORMAT 'text')",
	"COPY t TO STDOUT WITH (FORMAT 'csv', DELIMITER ',')",
	"COPY t FROM '/tmp/x'",
	"COPY t TO STDOUT WITH (DELIMITER '|')",
	"SET search_path = 'public'",
	"SET role = 'admin'",
	"SET statement_timeout = 5",
	"SELECT set_config('role', 'admin', false)",
	"SELECT current_setting('a.b')",
	"SELECT 'pg_read_file'::regproc",
	"SELECT interval '1 day', date '2020-01-01'",
	"SELECT $$abc$$, $q$x$q$",
	"SELECT E'x\\'y'",
	"SELECT U&'\\0061'",
	"SELECT U&\"\\0061\" FROM t",
	"SELECT \"off\" FROM t WHERE a = 'off'",
	"SELECT a FROM t WHERE b = 'x' AND c = 3 LIMIT 5 OFFSET 10",
	"SELECT -1, - 2, 3.5e3, 0x1F",
	"FETCH 5 FROM c",
	"MOVE 3 IN c",
	"PREPARE TRANSACTION 'gid'",
	"COMMIT PREPARED 'gid'",
	"LOAD 'x'",
	"NOTIFY c, 'payload'",
	"COMMENT ON TABLE t IS 'x'",
	"SELECT dblink_connect('host=h')",
	"SELECT dblink_connect('host=h password=s3cret')",
	"SELECT * FROM dblink('postgresql://u:s3cret@h/db', 'SELECT 1') AS x(a int)",
	"CREATE SUBSCRIPTION s CONNECTION 'host=h dbname=d' PUBLICATION p",
	"CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u', password 'p')",
	"CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'h', sslpassword 'k')",
	"DECLARE c CURSOR WITH HOLD FOR SELECT 1",
	"INSERT INTO t (a, b) VALUES ('x', 1), ('y', 2)",
	"SELECT 'a'\n'b'",
	"SELECT 'a' -- c\n'b'",
	"ALTER SYSTEM SET work_mem = '1GB'",
	"CREATE TABLE t2 (a text DEFAULT 'x')",
	"SELECT B'101', X'1F', N'x'",
	"EXECUTE p('x', 1)",
	"EXPLAIN EXECUTE p(1)",
	"PREPARE p AS SELECT $1::int + 1",
	"SELECT 1; EXPLAIN (ANALYZE 'off') DELETE FROM t; SELECT 'x'",
	"VACUUM (ANALYZE 'off') t",
	"SELECT * FROM t TABLESAMPLE SYSTEM (10) REPEATABLE (1)",
	"SELECT lpad('x', 10), repeat('x', 3)",
	"SELECT * FROM t WHERE a = any('{1,2}')",
	"CREATE INDEX ON t (a) WITH (fillfactor = 70)",
	"EXPLAIN (ANALYZE 1) SELECT 1",
	"EXPLAIN (ANALYZE 'yes') DELETE FROM t",
}

// siblingLiterals replace literals; many change meaning where a literal is
// read (boolean options, formats, secrets).
var siblingLiterals = []string{"'off'", "'on'", "'true'", "'false'", "'0'", "'1'", "''", "'yes'", "'no'",
	"'csv'", "'text'", "'binary'", "'host=h password=s3cret'", "'postgresql://u:s3cret@h/db'",
	"$$on$$", "$q$off$q$", "0", "1", "2.5", "1e3", "'x'''", "'STDOUT'", "'/etc/passwd'", "-1", "'|'"}

// sibling replaces every literal of sql (as the shape scanner finds them)
// with another, chosen by r. ok is false when the scanner gives up.
func sibling(sql string, r *rand.Rand) (string, bool) {
	sh, ok := shapeOf(sql)
	if !ok || len(sh.lits) == 0 {
		return "", false
	}
	var b strings.Builder
	prev := 0
	for _, l := range sh.lits {
		b.WriteString(sql[prev:l.off])
		if r.IntN(4) == 0 {
			b.WriteString(l.raw)
		} else {
			b.WriteString(siblingLiterals[r.IntN(len(siblingLiterals))])
		}
		prev = l.off + len(l.raw)
	}
	b.WriteString(sql[prev:])
	return b.String(), true
}

// TestCacheSiblingProperty proves cached(sql) == fresh(sql) after the
// cache was warmed with a random sibling of sql (the same shape, other
// literals), in both directions.
func TestCacheSiblingProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	hits := 0
	for _, sql := range siblingCorpus {
		for range 40 {
			sib, ok := sibling(sql, r)
			if !ok {
				continue
			}
			cached := NewClassifier(0)
			_, _ = cached.Classify(sib)
			hits += cached.Len()
			assertAgree(t, cached, sql)
			cached = NewClassifier(0)
			_, _ = cached.Classify(sql)
			assertAgree(t, cached, sib)
		}
	}
	if hits == 0 {
		t.Fatal("no sibling was ever cached: the property was not exercised")
	}
}

// TestCacheReadsLiterals holds the two attacks of issue 14: a verdict read
// from a literal, and a secret missing from a cached shape.
func TestCacheReadsLiterals(t *testing.T) {
	cached := NewClassifier(0)
	if _, err := cached.Classify("EXPLAIN (ANALYZE 'off') DELETE FROM t"); err != nil {
		t.Fatal(err)
	}
	cl, err := cached.Classify("EXPLAIN (ANALYZE 'on') DELETE FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if cl.Statements[0].ReadOnly || len(cl.Statements) != 2 || cl.Statements[1].Kind != "DELETE" {
		t.Fatalf("EXPLAIN (ANALYZE 'on') DELETE judged from a cached 'off': %+v", cl.Statements)
	}
	for _, pair := range [][2]string{
		{"CREATE ROLE r PASSWORD ''", "CREATE ROLE r PASSWORD 'hunter2-real'"},
		{"ALTER ROLE r PASSWORD ''", "ALTER ROLE r PASSWORD 'hunter2-real'"},
		{"SELECT dblink_connect('host=h')", "SELECT dblink_connect('hunter2-real')"},
		{"SELECT dblink_connect('host=h')", "SELECT dblink_connect('host=h password=hunter2-real')"},
	} {
		if _, err := cached.Classify(pair[0]); err != nil {
			t.Fatal(err)
		}
		cl, err := cached.Classify(pair[1])
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ := ParserClassifier{}.Classify(pair[1])
		if strings.Join(cl.Statements[0].Secrets, ",") != strings.Join(fresh.Statements[0].Secrets, ",") {
			t.Fatalf("%s after %s: secrets %q, fresh %q", pair[1], pair[0], cl.Statements[0].Secrets, fresh.Statements[0].Secrets)
		}
	}
}

// FuzzCacheSibling is the sibling property under the fuzzer: any text,
// any choice of replacement literals.
func FuzzCacheSibling(f *testing.F) {
	for i, s := range siblingCorpus {
		f.Add(s, uint64(i))
	}
	f.Fuzz(func(t *testing.T, sql string, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 7))
		sib, ok := sibling(sql, r)
		if !ok {
			return
		}
		cached := NewClassifier(16)
		_, _ = cached.Classify(sib)
		assertAgree(t, cached, sql)
	})
}
