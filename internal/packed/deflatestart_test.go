package packed

import (
	"bytes"
	"compress/flate"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestDeflateStartKnowsStreams: every level's stream of text (stored,
// fixed, dynamic blocks), after a flush, is judged a start, as text and
// not.
func TestDeflateStartKnowsStreams(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		text := fmt.Sprintf("id,owner,note\n%d,ann,Authorization: Bearer %x and more text %d\n", r.IntN(1e6), r.Uint64(), i)
		level := []int{flate.NoCompression, flate.BestSpeed, 5, flate.BestCompression, flate.HuffmanOnly}[i%5]
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, level)
		if i%7 == 0 {
			w.Flush() // an empty stored block first
		}
		w.Write([]byte(text))
		w.Close()
		for _, asText := range []bool{false, true} {
			if !deflateStart(buf.Bytes(), asText) {
				t.Errorf("level %d (text %v): %q not judged a start", level, asText, text)
			}
		}
	}
}

// TestDeflateStartRareInRandomBytes: few offsets of random bytes pass,
// and fewer as text.
func TestDeflateStartRareInRandomBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	any, text := 0, 0
	for i := range b {
		if deflateStart(b[i:], false) {
			any++
		}
		if deflateStart(b[i:], true) {
			text++
		}
	}
	t.Logf("of %d offsets: %d pass, %d as text", len(b), any, text)
	if any > len(b)/50 || text > len(b)/10000 {
		t.Errorf("too many offsets pass: %d, %d as text", any, text)
	}
}
