package record

import (
	"math/rand/v2"
	"testing"
)

// TestHexArenaMatchesHashHex: the arena's strings are hashHex's (the
// oracle), on generated hashes, and every string handed out still reads
// the same after the arena has handed out many more.
func TestHexArenaMatchesHashHex(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	var a hexArena
	var hashes []Hash
	var got []string
	for range 5 * hexArenaHashes {
		var h Hash
		for i := range h {
			h[i] = byte(rng.IntN(256))
		}
		hashes = append(hashes, h)
		got = append(got, a.hex(h))
		if want := hashHex(h); got[len(got)-1] != want {
			t.Fatalf("hex %s, want %s", got[len(got)-1], want)
		}
	}
	for i, h := range hashes {
		if want := hashHex(h); got[i] != want {
			t.Fatalf("hash %d reads %s after later ones, want %s", i, got[i], want)
		}
	}
}

// TestHexArenaAllocs: one allocation per hexArenaHashes hashes.
func TestHexArenaAllocs(t *testing.T) {
	var a hexArena
	var h Hash
	n := testing.AllocsPerRun(100, func() {
		for range hexArenaHashes {
			_ = a.hex(h)
		}
	})
	if n > 1 {
		t.Fatalf("%v allocations per %d hashes, want 1", n, hexArenaHashes)
	}
}
