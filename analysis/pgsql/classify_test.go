package pgsql

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	type want struct {
		kind     string
		readOnly bool
		opaque   bool
		hasWhere bool
		writes   []string // tables written
		reads    []string // tables read
		funcs    []string
		n        int // statements, nested included (0 means 1)
	}
	cases := map[string]want{
		"SELECT a FROM t WHERE b = 1":                           {kind: "SELECT", readOnly: true, reads: []string{"t"}},
		"select count(*) from s.t":                              {kind: "SELECT", readOnly: true, reads: []string{"t"}, funcs: []string{"count"}},
		"INSERT INTO t (a) VALUES (1)":                          {kind: "INSERT", writes: []string{"t"}},
		"INSERT INTO t SELECT * FROM u":                         {kind: "INSERT", writes: []string{"t"}, reads: []string{"u"}},
		"UPDATE t SET a = 1":                                    {kind: "UPDATE", writes: []string{"t"}},
		"UPDATE t SET a = 1 WHERE id = 2":                       {kind: "UPDATE", writes: []string{"t"}, hasWhere: true},
		"DELETE FROM t WHERE id IN (SELECT id FROM u)":          {kind: "DELETE", writes: []string{"t"}, reads: []string{"u"}, hasWhere: true},
		"DROP TABLE t, u":                                       {kind: "DROP", writes: []string{"t", "u"}},
		"TRUNCATE t":                                            {kind: "TRUNCATE", writes: []string{"t"}},
		"ALTER TABLE t ADD COLUMN c int":                        {kind: "ALTER", writes: []string{"t"}},
		"CREATE INDEX ON t (a)":                                 {kind: "CREATE", writes: []string{"t"}},
		"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d": {kind: "SELECT", writes: []string{"t"}, n: 2},
		"EXPLAIN ANALYZE DELETE FROM t":                         {kind: "EXPLAIN", writes: []string{"t"}, n: 2},
		"EXPLAIN DELETE FROM t":                                 {kind: "EXPLAIN", readOnly: true, reads: []string{"t"}},
		"SELECT * INTO t2 FROM t":                               {kind: "SELECT", writes: []string{"t2"}, reads: []string{"t"}},
		"SELECT * FROM t FOR UPDATE":                            {kind: "SELECT", reads: []string{"t"}},
		"DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$":            {kind: "DO", opaque: true},
		"CALL p(1)":                          {kind: "CALL", opaque: true, funcs: []string{"p"}},
		"EXECUTE p":                          {kind: "EXECUTE", readOnly: true, opaque: true},
		"PREPARE p AS DELETE FROM t":         {kind: "PREPARE", writes: []string{"t"}},
		"COPY t TO PROGRAM 'id'":             {kind: "COPY", opaque: true, reads: []string{"t"}},
		"COPY t FROM '/etc/passwd'":          {kind: "COPY", opaque: true, writes: []string{"t"}},
		"COPY t TO STDOUT":                   {kind: "COPY", readOnly: true, reads: []string{"t"}},
		"COPY t FROM STDIN":                  {kind: "COPY", writes: []string{"t"}},
		"SET ROLE admin":                     {kind: "SET", opaque: true},
		"SET SESSION AUTHORIZATION admin":    {kind: "SET", opaque: true},
		"SET search_path = x":                {kind: "SET"},
		"RESET ALL":                          {kind: "RESET"},
		"SHOW search_path":                   {kind: "SHOW", readOnly: true},
		"BEGIN":                              {kind: "BEGIN", readOnly: true},
		"COMMIT":                             {kind: "COMMIT", readOnly: true},
		"SELECT pg_read_file('/etc/passwd')": {kind: "SELECT", opaque: true, funcs: []string{"pg_read_file"}},
		"SELECT lo_export(1, '/tmp/x')":      {kind: "SELECT", funcs: []string{"lo_export"}},
		"SELECT * FROM dblink_exec('db', 'DROP TABLE t')":            {kind: "SELECT", funcs: []string{"dblink_exec"}},
		"SELECT nextval('s')":                                        {kind: "SELECT", funcs: []string{"nextval"}},
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'": {kind: "CREATE", opaque: true},
		"LOAD 'x'":               {kind: "LOAD", opaque: true},
		"GRANT SELECT ON t TO u": {kind: "GRANT", writes: []string{"t"}},
		"VACUUM t":               {kind: "VACUUM", writes: []string{"t"}},
		"MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE": {kind: "MERGE", writes: []string{"t"}, reads: []string{"u"}},
	}
	cls := ParserClassifier{}
	for sql, w := range cases {
		t.Run(sql, func(t *testing.T) {
			c, err := cls.Classify(sql)
			if err != nil {
				t.Fatal(err)
			}
			n := w.n
			if n == 0 {
				n = 1
			}
			if len(c.Statements) != n {
				t.Fatalf("statements = %d, want %d: %+v", len(c.Statements), n, c.Statements)
			}
			s := c.Statements[0]
			if s.Kind != w.kind || s.ReadOnly != w.readOnly || s.Opaque != w.opaque || s.HasWhere != w.hasWhere {
				t.Fatalf("got kind=%s ro=%v opaque=%v where=%v", s.Kind, s.ReadOnly, s.Opaque, s.HasWhere)
			}
			var writes, reads []string
			for _, st := range c.Statements {
				for _, tb := range st.Tables {
					if tb.Access == "write" {
						writes = append(writes, tb.Name)
					} else {
						reads = append(reads, tb.Name)
					}
				}
			}
			slices.Sort(writes)
			writes = slices.Compact(writes)
			reads = slices.DeleteFunc(reads, func(r string) bool { return r == "d" })
			if !slices.Equal(writes, w.writes) || !slices.Equal(reads, w.reads) {
				t.Fatalf("writes=%v reads=%v", writes, reads)
			}
			for _, f := range w.funcs {
				if !slices.Contains(s.Functions, f) {
					t.Fatalf("functions %v lack %s", s.Functions, f)
				}
			}
			if n == 2 && !c.Statements[1].Nested {
				t.Fatal("second statement should be nested")
			}
		})
	}
}

func TestClassifyNestedDelete(t *testing.T) {
	c, err := ParserClassifier{}.Classify("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d")
	if err != nil {
		t.Fatal(err)
	}
	if c.Statements[0].ReadOnly || c.Statements[1].Kind != "DELETE" || c.Statements[1].HasWhere {
		t.Fatalf("%+v", c.Statements)
	}
}

func TestClassifySecretsAndErrors(t *testing.T) {
	c, err := ParserClassifier{}.Classify("ALTER ROLE bob PASSWORD 'hunter2'")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Statements[0].Secrets, []string{"hunter2"}) {
		t.Fatalf("secrets = %v", c.Statements[0].Secrets)
	}
	for _, bad := range []string{"SELEC 1", "SELECT 'unterminated", "SELECT 1\x00; DROP TABLE t"} {
		if _, err := (ParserClassifier{}).Classify(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	cc := NewClassifier(0)
	if c, _ := cc.Classify("ALTER ROLE bob PASSWORD 'a'"); c == nil || cc.Len() != 0 {
		t.Fatal("a statement with a secret must not be cached")
	}
}

func TestClassifyMultiStatement(t *testing.T) {
	c, err := ParserClassifier{}.Classify("SELECT 1; /* x; */ DROP TABLE t; SELECT ';'")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range c.Statements {
		kinds = append(kinds, s.Kind+":"+s.Text)
	}
	want := []string{"SELECT:SELECT 1", "DROP:/* x; */ DROP TABLE t", "SELECT:SELECT ';'"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("%q", kinds)
	}
}

// corpus is a set of statement shapes, each with literal variants.
var corpus = []string{
	"SELECT abalance FROM pgbench_accounts WHERE aid = %d",
	"select * from t where a = '%d' and b = 'it''s %d'",
	"SELECT $1::int + %d",
	"SELECT %d; DELETE FROM t WHERE id = %d",
	"SELECT %d.5e3, .%d, 0x%d",
	"SELECT $$body %d$$, $tag$x;%d$tag$",
	"/* c %d */ SELECT 1 -- tail %d",
	"SELECT /* nested /* %d */ */ 2",
	"INSERT INTO t VALUES (%d, 'x%d')",
	"UPDATE t SET a = %d",
	"SELECT \"weird \"\"col\" FROM t WHERE x = %d",
	"SELECT E'\\\\%d'",
	"SELECT B'10%d', X'1F%d'",
	"WITH d AS (DELETE FROM t WHERE id = %d RETURNING *) SELECT * FROM d",
	"SELECT 1 %d",
	"SELECT 1%d",
	"SELECT %dfrom t",
	"SELECT 'a' '%d'",
	"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT %d; SELECT 2; END",
	"SELECT 'x'; SELECT %d",
	"ALTER ROLE r PASSWORD 'p%d'",
	"PREPARE p%d AS SELECT %d",
}

// TestCacheAgrees proves the cache returns exactly what a fresh parse
// returns, over a corpus of shapes with varying literals.
func TestCacheAgrees(t *testing.T) {
	cached := NewClassifier(0)
	for _, shape := range corpus {
		for i := range 5 {
			args := strings.Count(shape, "%d")
			vals := make([]any, args)
			for j := range vals {
				vals[j] = i*7 + j
			}
			sql := fmt.Sprintf(shape, vals...)
			assertAgree(t, cached, sql)
		}
	}
	if cached.Len() == 0 {
		t.Fatal("nothing was cached")
	}
}

func assertAgree(t testing.TB, cached *CachedClassifier, sql string) {
	t.Helper()
	fresh, ferr := ParserClassifier{}.Classify(sql)
	got, gerr := cached.Classify(sql)
	if (ferr == nil) != (gerr == nil) {
		t.Fatalf("%q: fresh err %v, cached err %v", sql, ferr, gerr)
	}
	if ferr != nil {
		return
	}
	if !reflect.DeepEqual(normalizeForCompare(fresh), normalizeForCompare(got)) {
		t.Fatalf("%q:\nfresh  %+v\ncached %+v", sql, fresh.Statements, got.Statements)
	}
}

func normalizeForCompare(c *Classification) *Classification {
	out := &Classification{Statements: append([]Statement(nil), c.Statements...)}
	for i := range out.Statements {
		s := &out.Statements[i]
		if s.Prepared != nil {
			p := *s.Prepared
			s.Prepared = &p
		}
	}
	return out
}

func FuzzClassifierCache(f *testing.F) {
	for _, s := range corpus {
		f.Add(fmt.Sprintf(s, 1, 2, 3), fmt.Sprintf(s, 4, 5, 6))
	}
	f.Add("SELECT 1", "SELECT 1from t")
	f.Add("SELECT 'a'", "SELECT 'a''; DROP TABLE t; --'")
	f.Add("SELECT E'x'", "SELECT E'\\'; DROP TABLE t; --'")
	f.Fuzz(func(t *testing.T, a, b string) {
		cached := NewClassifier(16)
		_, _ = cached.Classify(a)
		assertAgree(t, cached, b)
	})
}
