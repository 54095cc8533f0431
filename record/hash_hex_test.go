package record

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestHashHexMatchesEncodeToString: hashHex is hex.EncodeToString of the
// hash, on generated hashes.
func TestHashHexMatchesEncodeToString(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for range 1000 {
		var h Hash
		for i := range h {
			h[i] = byte(rng.IntN(256))
		}
		if got, want := hashHex(h), hex.EncodeToString(h[:]); got != want {
			t.Fatalf("hex %s, want %s", got, want)
		}
	}
}

// TestHashHexAllocs: hashHex makes one allocation, the string.
func TestHashHexAllocs(t *testing.T) {
	var h Hash
	if n := testing.AllocsPerRun(100, func() { _ = hashHex(h) }); n > 1 {
		t.Fatalf("%v allocations, want 1", n)
	}
}
