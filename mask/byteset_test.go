package mask

import (
	"math/rand/v2"
	"testing"
)

// addByBits is byteSet.add as it was before the table, a bit set a byte
// (issue #19): the oracle of add, table or not.
func (s *byteSet) addByBits(t []byte) {
	for _, c := range t {
		s[c>>6] |= 1 << (c & 63)
	}
}

func TestByteSetAddAgreesWithBits(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 51))
	var texts [][]byte
	for c := range 256 {
		texts = append(texts, []byte{byte(c)}, []byte{byte(c), byte(255 - c), 'a', 'b', 'c'})
	}
	for n := range 2*shortByteSet + 9 {
		// Every length about the switch from bits to the table, and
		// in each, at each offset, the bytes at the edges of the
		// set's words.
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		texts = append(texts, b)
		for i := range b {
			for _, c := range []byte{0, 63, 64, 127, 128, 191, 192, 255} {
				d := append([]byte(nil), b...)
				d[i] = c
				texts = append(texts, d)
			}
		}
	}
	for range 3000 {
		b := make([]byte, r.IntN(300))
		span := 1 + r.IntN(256)
		for i := range b {
			b[i] = byte(r.IntN(span))
		}
		texts = append(texts, b, findsDoc[:r.IntN(len(findsDoc)+1)])
	}
	for _, b := range texts {
		var got, want byteSet
		got[1], want[1] = 1<<9, 1<<9 // add keeps what the set held
		got.add(b)
		want.addByBits(b)
		if got != want {
			t.Fatalf("add(%q) = %x, bit by bit %x", b, got, want)
		}
	}
}
