package packed

import (
	"bytes"
	"encoding/ascii85"
	"math/rand/v2"
	"testing"
)

// TestBase85RunsFindsASCII85: text encoded by encoding/ascii85 after a
// prefix of any length, in lines or not, is handed to the visitor
// decoded; a word list is not.
func TestBase85RunsFindsASCII85(t *testing.T) {
	r := rand.New(rand.NewPCG(431, 432))
	missed := 0
	for k := range 500 {
		src := []byte("name ann card 4111 1111 1111 1111 " + string(rune('a'+k%26)))
		enc := make([]byte, ascii85.MaxEncodedLen(len(src)))
		enc = enc[:ascii85.Encode(enc, src)]
		if k%2 == 1 {
			enc = append(enc[:20:20], append([]byte("\n"), enc[20:]...)...)
		}
		text := append(bytes.Repeat([]byte("x"), r.IntN(40)), enc...)
		if !Base85Runs(text, func(d []byte) bool { return bytes.Contains(d, []byte("4111 1111 1111 1111")) }) {
			missed++
		}
	}
	if missed > 0 {
		t.Errorf("%d of 500 encodings missed", missed)
	}
	if Base85Runs([]byte("the quick brown fox jumps over the lazy dog, again and again"), func([]byte) bool { return true }) {
		t.Error("words read as a run")
	}
}

// FuzzBase85Runs: decoding never panics and decodes at most four bytes
// per five characters (and four per 'z').
func FuzzBase85Runs(f *testing.F) {
	f.Add([]byte("<~87cURD]i,\"Ebo80~>"))
	f.Add([]byte("stream\nz!!!!!zz\nendstream"))
	f.Add([]byte("HelloWorld0123456789abcdefABCDEF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Base85Runs(b, func(d []byte) bool {
			if len(d) > 4*len(b) {
				t.Fatalf("%d bytes from %d", len(d), len(b))
			}
			return false
		})
	})
}
