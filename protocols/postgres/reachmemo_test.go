package postgres

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// reachMemoCode returns two code maps of an owner's: functions that
// store and read, an operator, a type and a domain, rules, a view, a
// row trigger and, in the second, an event trigger.
func reachMemoCode() [2]*ownerCode {
	rows := [][]string{
		{"f", "f1", "sql", "INSERT INTO log SELECT * FROM t1"},
		{"f", "f2", "plpgsql", "BEGIN RETURN (SELECT count(*) FROM t2 WHERE a +++ 1); END"},
		{"f", "f3", "c", ""},
		{"f", "log", "sql", "SELECT 1"},
		{"o", "+++", "", "f2"},
		{"y", "mytype", "", "f1"},
		{"d", "mydom", "", "CHECK (VALUE > f2())"},
		{"t", "t2", "", "mytype"},
		{"r", "t1", "row", "SELECT * FROM t2"},
		{"v", "v1", "", "SELECT * FROM t2 JOIN t1 USING (a)"},
		{"k", "t3", "row", "f1"},
		{"n", "t1", "", ""}, {"n", "t2", "", ""}, {"n", "t3", "", ""}, {"n", "v1", "", ""}, {"n", "log", "", ""},
		{"N", "f1", "f", ""}, {"N", "f2", "f", ""}, {"N", "f3", "f", ""}, {"N", "+++", "o", ""}, {"N", "mytype", "y", ""},
	}
	builtin := newKnownNames()
	for _, n := range []string{"count", "now", "lower"} {
		builtin.add("f", n)
	}
	for _, n := range []string{"=", "+", "<", ">"} {
		builtin.add("o", n)
	}
	for _, n := range []string{"int4", "text", "numeric"} {
		builtin.add("y", n)
	}
	withEvents := append(slices.Clone(rows), []string{"e", "f2", "", ""})
	return [2]*ownerCode{newOwnerCode(rows, builtin), newOwnerCode(withEvents, builtin)}
}

// TestReachMemoOracle runs random sequences of statements, repeated and
// alternated, under two code maps through a session's memo, and compares
// each answer with reach itself: the memo is keyed on everything reach
// reads. Each statement is a copy of its classification, as a cache hit
// is; some are changed in place after their turn, which a memo that kept
// the statement's own slices would not see.
func TestReachMemoOracle(t *testing.T) {
	texts := []string{
		"SELECT * FROM t1", "SELECT * FROM t2", "SELECT * FROM T1", `SELECT * FROM "T1"`, "SELECT f1()", "SELECT f2(1)",
		"SELECT 1 +++ 2", "SELECT a FROM t3 WHERE a = 1", "INSERT INTO t3 VALUES (1)", "UPDATE t1 SET a = 1",
		"SELECT '1'::mytype", "CREATE TABLE x (a int)", "SELECT abalance FROM pgbench_accounts WHERE aid = 5",
		"DELETE FROM t2", "SELECT * FROM v1", "SELECT t1.f1 FROM t1", "SELECT f3()", "VALUES (1)", "DROP TABLE t9",
		"SELECT lower(a) FROM t2", "SELECT count(*) FROM log", "INSERT INTO t2 SELECT * FROM t1", "SELECT 1::mydom",
		"UPDATE t3 SET a = f2()", "SELECT * FROM t1 WHERE a < 3", "SELECT * FROM t2 WHERE a = 1", "TRUNCATE t1",
	}
	var sts []pgsql.Statement
	for _, text := range texts {
		cl, err := pgsql.ParserClassifier{}.Classify(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		sts = append(sts, cl.Statements...)
	}
	ocs := reachMemoCode()
	rng := rand.New(rand.NewPCG(19, 7))
	hits := 0
	for range 20 {
		var m reachMemo
		var prev *pgsql.Statement
		for range 200 {
			oc := ocs[rng.IntN(2)]
			if rng.IntN(4) == 0 {
				oc = ocs[0]
			}
			var st pgsql.Statement
			switch {
			case prev != nil && rng.IntN(3) == 0:
				st = *prev // the same statement again, its slices shared
			default:
				st = sts[rng.IntN(len(sts))]
				st.Tables = slices.Clone(st.Tables)
				st.Functions = slices.Clone(st.Functions)
			}
			if m.oc == oc && pgsql.SameCode(&m.st, &st) {
				hits++
			}
			got, want := m.reach(oc, &st), oc.reach(&st)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q %v under %p: memo %+v, reach %+v", st.Text, st.Tables, oc, got, want)
			}
			if rng.IntN(4) == 0 {
				// Changed in place after its turn: a table or a
				// function of another statement's, or its kind.
				o := sts[rng.IntN(len(sts))]
				switch {
				case len(st.Tables) > 0 && len(o.Tables) > 0:
					st.Tables[0] = o.Tables[0]
				case len(st.Functions) > 0 && len(o.Functions) > 0:
					st.Functions[0] = o.Functions[0]
				default:
					st.Kind = o.Kind
				}
			}
			prev = &st
		}
	}
	if hits < 500 {
		t.Fatalf("only %d memo hits: the sequences do not exercise the memo", hits)
	}
}
