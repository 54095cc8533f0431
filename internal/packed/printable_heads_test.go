package packed

import (
	"math/rand/v2"
	"testing"
)

// printableHeads answers as printableHead at every offset of buffers of
// printable runs broken by other bytes at every spacing, asked in order
// with gaps.
func TestPrintableHeadsIsPrintableHead(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		data := make([]byte, rng.IntN(300))
		for i := range data {
			data[i] = byte(0x20 + rng.IntN(0x5f))
			if rng.IntN(1+n%97) == 0 {
				data[i] = byte(rng.IntN(256))
			}
		}
		var h printableHeads
		for i := 0; i < len(data); i += 1 + rng.IntN(1+n%3) {
			if got, want := h.at(data, i), printableHead(data[i:]); got != want {
				t.Fatalf("buffer %d (%q), offset %d: %v, printableHead says %v", n, data, i, got, want)
			}
		}
	}
}
