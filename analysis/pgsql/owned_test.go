package pgsql

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// hideOwned hides a classifier's classifyOwned: the catalog pass then
// copies the statements as it did before it judged them in place, the
// oracle of TestCatalogInPlaceOracle.
type hideOwned struct{ Classifier }

// TestCatalogInPlaceOracle compares the catalog pass judging a cached
// classification in place with the copying pass (the old code) and with
// the uncached parser, over generated repetitions of statement shapes
// with other literals (cache hits and misses), and checks that the cache's
// own entries keep the static verdicts the catalog pass replaced.
func TestCatalogInPlaceOracle(t *testing.T) {
	// A catalog that disagrees with the static list: lower writes,
	// random is stable.
	cat := procTable{
		"lower":     {{Schema: "pg_catalog", FnSchema: "public", Volatile: 'v', Lang: "plpgsql", OneArg: true, Fn: "lower"}},
		"random":    {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 's', Lang: "internal", Fn: "random"}},
		"op:=":      {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "int4eq"}},
		"cast:int4": {{Schema: "pg_catalog", FnSchema: "pg_catalog", Volatile: 'i', Lang: "internal", Fn: "int4in"}},
	}
	shapes := []string{
		"SELECT lower(name) FROM t WHERE id = %d",
		"SELECT random() + %d",
		"SELECT name FROM t WHERE id = %d; SELECT lower(name) FROM t WHERE id = %d",
		"PREPARE p%d AS SELECT lower(name) FROM t WHERE id = %d",
		"UPDATE t SET name = lower(name) WHERE id = %d",
		"SELECT '%d'::int",
		"SELECT abalance FROM pgbench_accounts WHERE aid = %d",
	}
	cached := NewClassifier(0)
	inPlace := WithProcCatalog(cached, cat)
	copying := WithProcCatalog(hideOwned{NewClassifier(0)}, cat)
	fresh := WithProcCatalog(ParserClassifier{}, cat)
	rng := rand.New(rand.NewPCG(19, 7))
	for i := range 600 {
		sh := shapes[rng.IntN(len(shapes))]
		a := rng.IntN(4)
		var sql string
		switch n := countVerbs(sh); n {
		case 1:
			sql = fmt.Sprintf(sh, a)
		default:
			sql = fmt.Sprintf(sh, a, a+1)
		}
		got, err := inPlace.Classify(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		for name, oracle := range map[string]Classifier{"copying": copying, "fresh": fresh} {
			want, err := oracle.Classify(sql)
			if err != nil {
				t.Fatalf("%s (%s): %v", sql, name, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("step %d, %s: in place differs from %s:\n got %+v\nwant %+v", i, sql, name, got.Statements, want.Statements)
			}
		}
		// The cache's entry keeps the parser's static verdict.
		plain, err := cached.Classify(sql)
		if err != nil {
			t.Fatal(err)
		}
		static, _ := ParserClassifier{}.Classify(sql)
		if !reflect.DeepEqual(plain, static) {
			t.Fatalf("step %d, %s: the cache's entry was changed by the catalog pass:\n got %+v\nwant %+v", i, sql, plain.Statements, static.Statements)
		}
	}
}

func countVerbs(s string) int {
	n := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 'd' {
			n++
		}
	}
	return n
}
