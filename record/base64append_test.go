package record

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"slices"
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

// appendBase64TwoWords is appendBase64 as it was before it wrote four
// words a turn at indices: two a turn, its slices moved on. It is an
// oracle of TestAppendBase64MatchesOldForm.
func appendBase64TwoWords(b, p []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(p))
	b = slices.Grow(b, n)
	dst := b[len(b) : len(b)+n]
	for len(p) >= 14 && len(dst) >= 16 {
		binary.LittleEndian.PutUint64(dst, base64Word(binary.BigEndian.Uint64(p)))
		binary.LittleEndian.PutUint64(dst[8:], base64Word(binary.BigEndian.Uint64(p[6:])))
		p, dst = p[12:], dst[16:]
	}
	for len(p) >= 8 && len(dst) >= 8 {
		binary.LittleEndian.PutUint64(dst, base64Word(binary.BigEndian.Uint64(p)))
		p, dst = p[6:], dst[8:]
	}
	base64.StdEncoding.Encode(dst, p)
	return b[:len(b)+n]
}

// TestAppendBase64MatchesOldForm holds appendBase64 to
// appendBase64TwoWords on every length up to 300 with a changed byte at
// every position (each lane of a turn's four words), and on random
// lengths up to 256 KiB, appended after random prefixes.
func TestAppendBase64MatchesOldForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 29))
	check := func(prefix, p []byte) {
		t.Helper()
		want := appendBase64TwoWords(bytes.Clone(prefix), p)
		if got := appendBase64(bytes.Clone(prefix), p); !bytes.Equal(got, want) {
			t.Fatalf("len %d prefix %d: appendBase64 = %q,\nthe old form's %q", len(p), len(prefix), got, want)
		}
	}
	for n := 0; n <= 300; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		check(nil, p)
		for pos := range n {
			q := bytes.Clone(p)
			q[pos] ^= byte(1 + rng.IntN(255))
			check(q[:rng.IntN(pos+1)], q)
		}
	}
	for range 20 {
		p := make([]byte, rng.IntN(256<<10))
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		check(make([]byte, rng.IntN(64)), p)
	}
}
