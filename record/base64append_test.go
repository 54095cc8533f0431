package record

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// TestAppendBase64MatchesEncoding holds appendBase64 to its oracle,
// base64.StdEncoding.AppendEncode (what optBytes wrote before), on every
// length up to 200 and on random and extreme bytes, appended to slices
// with and without room.
func TestAppendBase64MatchesEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 7))
	for n := 0; n <= 200; n++ {
		for _, fill := range []func(i int) byte{
			func(int) byte { return byte(rng.Uint32()) },
			func(int) byte { return 0xff },
			func(int) byte { return 0 },
			func(i int) byte { return byte(i * 37) },
		} {
			p := make([]byte, n)
			for i := range p {
				p[i] = fill(i)
			}
			for _, prefix := range [][]byte{nil, []byte(`{"data":"`), make([]byte, 3, 500)} {
				want := base64.StdEncoding.AppendEncode(append([]byte(nil), prefix...), p)
				got := appendBase64(append([]byte(nil), prefix...), p)
				if !bytes.Equal(got, want) {
					t.Fatalf("len %d prefix %q: appendBase64 = %q, want %q", n, prefix, got, want)
				}
				if len(prefix) > 0 && cap(prefix) >= len(want) {
					if got := appendBase64(prefix, p); !bytes.Equal(got, want) || &got[0] != &prefix[0] {
						t.Fatalf("len %d: appendBase64 in place = %q, want %q in the same array", n, got, want)
					}
				}
			}
		}
	}
}

// FuzzAppendBase64 is TestAppendBase64MatchesEncoding on fuzzed bytes.
func FuzzAppendBase64(f *testing.F) {
	f.Add([]byte("hello, world"))
	f.Add([]byte{0xff, 0xfe, 0, 1, 2, 3, 4, 5, 6})
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := appendBase64(nil, p), base64.StdEncoding.AppendEncode(nil, p); !bytes.Equal(got, want) {
			t.Fatalf("appendBase64(%x) = %q, want %q", p, got, want)
		}
	})
}
