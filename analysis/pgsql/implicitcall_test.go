package pgsql

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestImplicitCallOracle compares implicitCall with the loop over the
// prefixes it replaces, over names built from pieces of the prefixes.
func TestImplicitCallOracle(t *testing.T) {
	old := func(name string) bool {
		for _, p := range []string{opPrefix, attrPrefix, castPrefix, relPrefix} {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
	pieces := []string{"op", "attr", "cast", "rel", ":", "op:", "attr:", "cast:", "rel:", "o", "a", "c", "r", "p", "=", "int4", "lower", "*", "OP", " ", "ſ"}
	rng := rand.New(rand.NewPCG(2, 9))
	hits := 0
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(5) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		name := b.String()
		got, want := implicitCall(name), old(name)
		if got != want {
			t.Fatalf("implicitCall(%q) = %v, before %v", name, got, want)
		}
		if want {
			hits++
		}
	}
	if hits < 500 {
		t.Fatalf("only %d implicit calls generated", hits)
	}
}
