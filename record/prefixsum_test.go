package record

import (
	"crypto/sha256"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestChainHashMatchesComputeSum: the hash chain.next gives an entry,
// going on from the state after its session's common prefix, is the
// SHA-256 of its whole hashed bytes (what Verify computes), for session
// ids of every length around the block boundaries, both versions, and
// bodies of every length around them.
func TestChainHashMatchesComputeSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	for n := range 140 {
		session := strings.Repeat("s", n)
		for _, v := range []int{VersionLegacy, Version} {
			c := &chain{version: v}
			for seq := range 70 {
				body := make([]byte, seq*5+rng.IntN(5))
				for i := range body {
					body[i] = byte(rng.IntN(256))
				}
				e := c.next(session, "decision", rng.Int64(), body)
				want := sha256.Sum256(e.appendHashInput(nil))
				if e.sum != want || e.Hash != hashHex(want) || e.ComputeHash() != e.Hash {
					t.Fatalf("session of %d bytes, version %d, seq %d: hash %s, want %s", n, v, e.Seq, e.Hash, hashHex(want))
				}
			}
		}
	}
}

// TestPrefixSumOtherInput: a prefixSum asked for the hash of bytes that
// do not start with its prefix hashes them whole.
func TestPrefixSumOtherInput(t *testing.T) {
	p := newPrefixSum(Version, strings.Repeat("a", 32))
	if p == nil {
		t.Fatal("no prefix state for a 32-byte session id")
	}
	for _, b := range [][]byte{nil, []byte("x"), appendHashPrefix(nil, Version, strings.Repeat("b", 32)), appendHashPrefix(nil, VersionLegacy, strings.Repeat("a", 32))} {
		if got, want := p.sum(b), sha256.Sum256(b); got != want {
			t.Fatalf("sum(%q) = %x, want %x", b, got, want)
		}
	}
}
