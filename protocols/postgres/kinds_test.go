package postgres

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// TestUpperKindOracle compares upperKind with strings.ToUpper over kinds
// in every case, prefixes and extensions of them, non-ASCII look-alikes
// and random bytes.
func TestUpperKindOracle(t *testing.T) {
	kinds := []string{"SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "BEGIN", "COMMIT", "ROLLBACK", "SET", "SHOW",
		"RESET", "FETCH", "MOVE", "EXPLAIN", "CREATE", "", "ſelect", "SELECTɐ", "SEL", "SETS"}
	rng := rand.New(rand.NewPCG(4, 2))
	for range 20000 {
		k := []byte(kinds[rng.IntN(len(kinds))])
		for range rng.IntN(3) {
			switch i := rng.IntN(len(k) + 1); rng.IntN(3) {
			case 0:
				if i < len(k) {
					k[i] ^= 0x20 // the other case, or another byte
				}
			case 1:
				k = append(k[:i:i], append([]byte{byte(rng.IntN(256))}, k[i:]...)...)
			}
		}
		if got, want := upperKind(string(k)), strings.ToUpper(string(k)); got != want {
			t.Fatalf("upperKind(%q) = %q, ToUpper %q", k, got, want)
		}
	}
}

// TestChangesCatalogOracle compares changesCatalog with its expression
// before it tested ReadOnly first, over kinds in both cases, read-only
// or not.
func TestChangesCatalogOracle(t *testing.T) {
	old := func(st *pgsql.Statement) bool {
		k := strings.ToUpper(st.Kind)
		return !st.ReadOnly && !writeKinds[k] && !literalOnly[k]
	}
	for _, k := range []string{"SELECT", "select", "INSERT", "CREATE", "create", "ALTER", "SET", "Reset", "DROP", "COMMENT", "", "TABLE"} {
		for _, ro := range []bool{false, true} {
			st := &pgsql.Statement{}
			st.Kind, st.ReadOnly = k, ro
			if got, want := changesCatalog(st), old(st); got != want {
				t.Fatalf("changesCatalog(%q, read-only %v) = %v, before %v", k, ro, got, want)
			}
		}
	}
}

// TestTimeZoneTaintedOracle compares timeZoneTainted with its lookups
// alone, before the test for no tainted values, over the states a
// session's taint may be in.
func TestTimeZoneTaintedOracle(t *testing.T) {
	states := []settingsTaint{
		{},
		{raw: map[string]string{"timezone": "UTC"}},
		{values: map[string]map[string]bool{}, raw: map[string]string{"timezone": "UTC"}},
		{values: map[string]map[string]bool{"timezone": {"x": true}}, raw: map[string]string{"timezone": "x"}},
		{values: map[string]map[string]bool{"timezone": {"x": true}}, raw: map[string]string{"timezone": "UTC"}},
		{values: map[string]map[string]bool{"search_path": {"x": true}}, raw: map[string]string{"timezone": "x"}},
		{values: map[string]map[string]bool{"timezone": {"": true}}},
	}
	for i := range states {
		ts := &states[i]
		if got, want := ts.timeZoneTainted(), ts.values["timezone"][ts.raw["timezone"]]; got != want {
			t.Fatalf("state %d: timeZoneTainted %v, lookups %v", i, got, want)
		}
	}
}

// TestJudgedUnderOracle compares judgedUnder with its loop over copies of
// the statements, over classifications of random generations, some with
// a prepared statement's.
func TestJudgedUnderOracle(t *testing.T) {
	old := func(cl *pgsql.Classification) uint64 {
		var g uint64
		for i, st := range cl.Statements {
			if i == 0 || st.JudgedUnder < g {
				g = st.JudgedUnder
			}
			if st.Prepared != nil && st.Prepared.JudgedUnder < g {
				g = st.Prepared.JudgedUnder
			}
		}
		return g
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 5000 {
		cl := &pgsql.Classification{Statements: make([]pgsql.Statement, rng.IntN(4))}
		for i := range cl.Statements {
			cl.Statements[i].JudgedUnder = rng.Uint64N(5)
			if rng.IntN(3) == 0 {
				cl.Statements[i].Prepared = &pgsql.Statement{JudgedUnder: rng.Uint64N(5)}
			}
		}
		if got, want := judgedUnder(cl), old(cl); got != want {
			t.Fatalf("judgedUnder %d, before %d: %+v", got, want, cl.Statements)
		}
	}
}

// TestChangesSchemaTagOracle compares changesSchemaTag with the string
// conversion and cut it replaces, over tags, their pieces and NULs.
func TestChangesSchemaTagOracle(t *testing.T) {
	old := func(body []byte) bool {
		tag := string(bytes.TrimRight(body, "\x00"))
		verb, _, _ := strings.Cut(tag, " ")
		switch verb {
		case "CREATE", "ALTER", "DROP", "IMPORT", "DO", "CALL", "COMMENT", "SECURITY", "REFRESH":
			return true
		}
		return false
	}
	pieces := []string{"CREATE", "ALTER", "DROP", "IMPORT", "DO", "CALL", "COMMENT", "SECURITY", "REFRESH", "SELECT", "INSERT 0",
		" ", "\x00", "1", "TABLE", "create", "D", "O"}
	rng := rand.New(rand.NewPCG(8, 1))
	hits := 0
	for range 20000 {
		var b []byte
		for range rng.IntN(4) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		got, want := changesSchemaTag(b), old(b)
		if got != want {
			t.Fatalf("changesSchemaTag(%q) = %v, before %v", b, got, want)
		}
		if want {
			hits++
		}
	}
	if hits < 1000 {
		t.Fatalf("only %d schema tags generated", hits)
	}
}
