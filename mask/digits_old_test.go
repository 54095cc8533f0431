package mask

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// nextDigit finds the first digit of eight bytes from their marks
// (issue #19). Against a byte-by-byte reading, kept here: every start of
// generated texts with digits at every offset from a word boundary, beside
// the bytes next to '0' and '9' and bytes above ASCII.

// nextDigitByByte is nextDigit read one byte at a time.
func nextDigitByByte(t []byte, i int) int {
	for ; i < len(t); i++ {
		if isDigit(t[i]) {
			return i
		}
	}
	return len(t)
}

func TestNextDigitAgreesWithByByte(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 211))
	alphabet := []byte{'/', ':', '0', '9', '5', 'a', ' ', 0x80, 0xb0, 0xb9, 0xff, 0xaf, 0xba, 0}
	for c := range 256 {
		for pos := range 8 {
			for _, fill := range []byte{'/', ':', 0xb0, 0xff, 'a'} {
				var w [8]byte
				for k := range w {
					w[k] = fill
				}
				w[pos] = byte(c)
				m := digitBytes(binary.LittleEndian.Uint64(w[:]))
				for k, b := range w {
					if got := m>>(8*k+7)&1 == 1; got != isDigit(b) {
						t.Fatalf("digitBytes(%q): byte %d marked %v", w, k, got)
					}
				}
			}
		}
	}
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for k := range b {
			if r.IntN(6) == 0 {
				b[k] = byte(r.IntN(256))
			} else {
				b[k] = alphabet[r.IntN(len(alphabet))]
			}
		}
		for i := 0; i <= len(b); i++ {
			if got, want := nextDigit(b, i), nextDigitByByte(b, i); got != want {
				t.Fatalf("nextDigit(%q, %d) = %d, byte by byte %d", b, i, got, want)
			}
		}
	}
}
