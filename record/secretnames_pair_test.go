package record

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMayBePairKeyRulesOutNoPairKey holds mayBePairKey to the comparisons
// it spares: every key, of random bytes or one of namedPair's in random
// case with KELVIN SIGN for 'k', that it rules out equals none of them in
// any case.
func TestMayBePairKeyRulesOutNoPairKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 5))
	words := []string{"name", "key", "field", "value", "val"}
	var kept int
	for range 50000 {
		var k string
		if rng.IntN(2) == 0 {
			b := []byte(words[rng.IntN(len(words))])
			for i := range b {
				if rng.IntN(2) == 0 {
					b[i] -= 'a' - 'A'
				}
			}
			k = string(b)
			if rng.IntN(4) == 0 {
				k = strings.Replace(strings.Replace(k, "k", "\u212a", 1), "K", "\u212a", 1)
			}
		} else {
			b := make([]byte, rng.IntN(7))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			k = string(b)
		}
		pair := false
		for _, w := range words {
			pair = pair || strings.EqualFold(k, w)
		}
		if pair && !mayBePairKey(k) {
			t.Fatalf("mayBePairKey(%q) = false, but it is a pair key", k)
		}
		if pair {
			kept++
		}
	}
	if kept < 10000 {
		t.Fatalf("only %d pair keys", kept)
	}
}
