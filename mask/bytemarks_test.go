package mask

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// checkByteMarks holds mark, a classifier of eight bytes at a time (the
// high bit of byte k set when byte k is of the class), to want, byte by
// byte: every byte at every position among each fill byte, then random
// words (seeded with seed).
func checkByteMarks(t *testing.T, name string, mark func(uint64) uint64, want func(byte) bool, fills []byte, seed uint64) {
	t.Helper()
	check := func(w [8]byte) {
		m := mark(binary.LittleEndian.Uint64(w[:]))
		for k, c := range w {
			if got := m>>(8*k+7)&1 == 1; got != want(c) {
				t.Fatalf("%s(%q): byte %d (%q) marked %v", name, w, k, c, got)
			}
		}
		if m&^high8 != 0 {
			t.Fatalf("%s(%q) = %x: a mark below a high bit", name, w, m)
		}
	}
	for c := range 256 {
		for pos := range 8 {
			for _, fill := range fills {
				var w [8]byte
				for k := range w {
					w[k] = fill
				}
				w[pos] = byte(c)
				check(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(19, seed))
	for range 100000 {
		var w [8]byte
		for k := range w {
			w[k] = byte(r.IntN(256))
		}
		check(w)
	}
}
