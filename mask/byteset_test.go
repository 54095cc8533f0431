package mask

import (
	"math/rand/v2"
	"testing"
)

// addByBits is byteSet.add as it was, a bit set a byte (issue #19).
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
