package packed

import (
	"bytes"
	"compress/flate"
	"math/rand/v2"
	"testing"
)

func deflated(s string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestRawDeflate: raw deflate of text is known, short or long; random
// binary data and text are not.
func TestRawDeflate(t *testing.T) {
	for _, s := range []string{"name,card\nann,4111 1111 1111 1111\n", "owner ann@example.com card 4111111111111111 end of file",
		string(bytes.Repeat([]byte("id,email\n1,ann@example.com\n"), 200))} {
		if !RawDeflate(deflated(s)) {
			t.Errorf("raw deflate of %.40q not known", s)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		b := make([]byte, 16+r.IntN(500))
		for j := range b {
			b[j] = byte(r.IntN(256))
		}
		if RawDeflate(b) {
			t.Errorf("random bytes %d read as raw deflate: %x", i, b[:16])
		}
	}
	for _, s := range []string{"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "GIF89a\x01\x00\x01\x00", "\xff\xd8\xff\xe0\x00\x10JFIF\x00"} {
		if RawDeflate([]byte(s)) {
			t.Errorf("%q read as raw deflate", s)
		}
	}
}
