package record

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// appendString is json.Marshal's quoting for every byte value at every
// position, and for random strings.
func TestAppendStringIsJSONMarshal(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		if got := appendString([]byte("x"), []byte(s)); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Fatalf("%q as bytes: got %s, want x%s", s, got, want)
		}
	}
	base := []byte("abcdefghijklmnopq")
	for c := 0; c < 256; c++ {
		for pos := range base {
			s := bytes.Clone(base)
			s[pos] = byte(c)
			check(string(s))
			check(string(s[:pos+1]))
		}
	}
	r := rand.New(rand.NewPCG(7, 19))
	for i := 0; i < 20000; i++ {
		s := make([]byte, r.IntN(40))
		for j := range s {
			s[j] = byte(0x20 + r.IntN(0x60))
			if r.IntN(30) == 0 {
				s[j] = byte(r.Uint32())
			}
		}
		check(string(s))
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("plain ascii text, long enough")
	f.Add("a<b>&\u2028\xff\x7f\x00")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		if got := appendString([]byte("x"), []byte(s)); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Fatalf("%q as bytes: got %s, want x%s", s, got, want)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	s := "SELECT abalance FROM pgbench_accounts WHERE aid = $1; 9b1e3f5c7a9d2b4e6f8a0c1e3d5f7b9a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f"
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = appendString(buf[:0], s)
	}
}
