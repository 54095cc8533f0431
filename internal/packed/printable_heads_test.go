package packed

import (
	"encoding/binary"
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

// printable8 agrees with printable read byte by byte (tab, LF and CR
// aside) on words of every byte at every position among printable ones,
// and on random words.
func TestPrintable8AgreesByteByByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 71))
	var words [][8]byte
	for c := range 256 {
		for pos := range 8 {
			var w [8]byte
			for k := range w {
				w[k] = byte(0x20 + rng.IntN(0x5f))
			}
			w[pos] = byte(c)
			words = append(words, w)
		}
	}
	for range 100000 {
		var w [8]byte
		for k := range w {
			w[k] = byte(rng.Uint32())
			if rng.IntN(2) == 0 {
				w[k] = byte(0x1e + rng.IntN(0x64))
			}
		}
		words = append(words, w)
	}
	for _, w := range words {
		want := true
		for _, c := range w {
			want = want && printable(c) && c != '\t' && c != '\n' && c != '\r'
		}
		if got := printable8(binary.LittleEndian.Uint64(w[:])); got != want {
			t.Fatalf("printable8(%q) = %v, byte by byte %v", w, got, want)
		}
	}
}
