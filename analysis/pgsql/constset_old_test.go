package pgsql

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// oldConstLocations is constLocations as it was before the classification's
// walk collected the constants (a second walk of the whole tree): the
// oracle of TestConstSetOracle and FuzzConstSetOracle.
func oldConstLocations(tree *pg_query.ParseResult) map[int]bool {
	out := map[int]bool{}
	var walk func(m protoreflect.Message, depth int)
	walk = func(m protoreflect.Message, depth int) {
		if !m.IsValid() || depth > maxDepth {
			return
		}
		if a, ok := m.Interface().(*pg_query.A_Const); ok && !a.Isnull {
			out[int(a.Location)] = true
			return
		}
		eachMessage(m, func(c protoreflect.Message) { walk(c, depth+1) })
	}
	for _, s := range tree.GetStmts() {
		walk(s.ProtoReflect(), 0)
	}
	return out
}

// assertConstSetAgrees fails t when the constants classifyParsed collects
// for sql differ from the oracle's; it reports whether sql parsed.
func assertConstSetAgrees(t *testing.T, sql string) bool {
	t.Helper()
	_, _, got, err := classifyParsed(sql)
	if err != nil {
		return false
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		t.Fatalf("%q: classified, but the oracle's parse failed: %v", sql, err)
	}
	want := oldConstLocations(tree)
	got.sort()
	got = slices.Compact(got)
	if len(got) != len(want) {
		t.Fatalf("%q: constants at %v, oracle %v", sql, got, want)
	}
	for _, off := range got {
		if !want[off] {
			t.Fatalf("%q: constant at %d, not in the oracle's %v", sql, off, want)
		}
	}
	return true
}

// constSetCorpus is every statement of the package's corpora, the shapes
// of corpus filled with numbers.
func constSetCorpus() []string {
	out := slices.Clone(siblingCorpus)
	for i, shape := range corpus {
		args := make([]any, strings.Count(shape, "%d"))
		for j := range args {
			args[j] = i*7 + j
		}
		out = append(out, fmt.Sprintf(shape, args...))
	}
	return append(out,
		"SELECT NULL, 1, 'a', -2, 1.5, B'101', X'ff', true, $1, ARRAY[1, NULL]::int[]",
		"INSERT INTO t VALUES (1, 'x'), (2, NULL) ON CONFLICT (a) DO UPDATE SET b = 3",
		"PREPARE p(int) AS SELECT $1 + 1; EXECUTE p(2); EXPLAIN EXECUTE p(3)",
		"WITH w AS (DELETE FROM t WHERE a = 1 RETURNING *) SELECT * FROM w LIMIT 5 OFFSET 2",
		"SELECT CASE WHEN a > 1 THEN 'big' ELSE 'small' END FROM t WHERE b IN (1, 2, 3) AND c BETWEEN 4 AND 5",
		"COPY (SELECT 1) TO STDOUT WITH (FORMAT 'csv', DELIMITER ',')",
		"SET search_path = 'public'; SET statement_timeout = 5000",
		"CREATE TABLE x (a int DEFAULT 7, b text CHECK (b <> 'z'))",
		"SELECT interval '1 day', date '2024-01-01', 1::text, 'x' COLLATE \"C\"",
		"SELECT "+strings.Repeat("(", 300)+"1"+strings.Repeat(")", 300),
	)
}

// TestConstSetOracle proves the constants the classification's walk
// collects are the ones the separate walk found, over the corpora.
func TestConstSetOracle(t *testing.T) {
	parsed := 0
	for _, sql := range constSetCorpus() {
		if assertConstSetAgrees(t, sql) {
			parsed++
		}
	}
	if parsed < 40 {
		t.Fatalf("only %d statements parsed: the oracle was barely exercised", parsed)
	}
}

// FuzzConstSetOracle is TestConstSetOracle on any text.
func FuzzConstSetOracle(f *testing.F) {
	for _, sql := range constSetCorpus() {
		f.Add(sql)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		assertConstSetAgrees(t, sql)
	})
}
