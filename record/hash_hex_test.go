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

// TestEncodeHexMatchesEncode: encodeHex writes what hex.Encode writes, on
// every byte value and on generated inputs of every length to 64.
func TestEncodeHexMatchesEncode(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	rng := rand.New(rand.NewPCG(7, 9))
	inputs := [][]byte{all, nil}
	for n := range 65 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, b)
	}
	for _, src := range inputs {
		got, want := make([]byte, 2*len(src)+1), make([]byte, 2*len(src)+1)
		encodeHex(got, src)
		hex.Encode(want, src)
		if string(got) != string(want) {
			t.Fatalf("%x: %q, want %q", src, got, want)
		}
	}
}
