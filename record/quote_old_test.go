package record

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// appendStringSliced is appendString as it was before it read s at an
// index: the slice of what is left moved on, eight bytes, then two, then
// the last one. It is the oracle of TestAppendStringMatchesOldForm.
func appendStringSliced[S string | []byte](b []byte, s S) []byte {
	var bad uint8
	r := s
	for len(r) >= 8 {
		w := r[:8]
		bad |= escPairs[uint16(w[0])|uint16(w[1])<<8] | escPairs[uint16(w[2])|uint16(w[3])<<8] |
			escPairs[uint16(w[4])|uint16(w[5])<<8] | escPairs[uint16(w[6])|uint16(w[7])<<8]
		r = r[8:]
	}
	for len(r) >= 2 {
		bad |= escPairs[uint16(r[0])|uint16(r[1])<<8]
		r = r[2:]
	}
	if len(r) == 1 {
		bad |= escPairs[uint16(r[0])|'a'<<8]
	}
	if bad != 0 {
		return jsontext.AppendQuote(b, s, true)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// TestAppendStringMatchesOldForm: appendString writes what
// appendStringSliced does, as a string and as bytes, after a prefix, for
// plain strings of every length to 80 with each byte value at each
// position (the edges of its words, pairs and last byte), and for random
// strings of printable, escaped, non-ASCII and invalid UTF-8 bytes, some
// of several kilobytes.
func TestAppendStringMatchesOldForm(t *testing.T) {
	check := func(s []byte) {
		t.Helper()
		want := appendStringSliced([]byte("x"), string(s))
		if got := appendString([]byte("x"), string(s)); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want[1:]) {
			t.Fatalf("%q as bytes: got %s, want %s", s, got, want[1:])
		}
	}
	plain := []byte("SELECT abalance FROM pgbench_accounts WHERE aid = 17; 9b1e3f5c7a9d2b4e6f8a0c1e3d")
	for n := 0; n <= len(plain); n++ {
		check(plain[:n])
		for pos := range n {
			for c := range 256 {
				s := bytes.Clone(plain[:n])
				s[pos] = byte(c)
				check(s)
			}
		}
	}
	rng := rand.New(rand.NewPCG(41, 43))
	odd := []byte("\"\\<>&\x00\x1f\x7f\x80\xff\xe2\x80\xa8\xc3\xa9")
	for range 20000 {
		n := rng.IntN(90)
		if rng.IntN(100) == 0 {
			n = rng.IntN(5000)
		}
		s := make([]byte, n)
		for j := range s {
			s[j] = plain[rng.IntN(len(plain))]
		}
		for range rng.IntN(3) {
			if n > 0 {
				s[rng.IntN(n)] = odd[rng.IntN(len(odd))]
			}
		}
		if n > 0 && rng.IntN(10) == 0 {
			s[rng.IntN(n)] = byte(rng.Uint32())
		}
		check(s)
	}
}
