package postgres

import (
	"math/rand/v2"
	"testing"
)

// TestTagStringIsCopy: tagString is string(b) (the oracle) for every
// input, the common tags, their prefixes and extensions, and noise.
func TestTagStringIsCopy(t *testing.T) {
	var inputs [][]byte
	for _, tag := range commonTags {
		inputs = append(inputs, []byte(tag), []byte(tag[:len(tag)-1]), []byte(tag+"0"), []byte(" "+tag), nil)
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("SELECT 01 BEGINUPDATExyz\x00")
	for range 2000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, b)
	}
	for _, b := range inputs {
		if got, want := tagString(b), string(b); got != want {
			t.Fatalf("tagString(%q) = %q", b, got)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = tagString([]byte("SELECT 1")) }); n != 0 {
		t.Errorf("a common tag costs %v allocations", n)
	}
}
