package postgres

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// oldWriteEscaped is writeEscaped as it was before it took row bytes
// directly: the oracle of TestWriteEscapedMatchesOracle.
func oldWriteEscaped(b *bytes.Buffer, s string) {
	if !strings.ContainsAny(s, "\t\n\\\r") {
		b.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(s[i])
		}
	}
}

// TestWriteEscapedMatchesOracle: the rendering of random values, as
// strings and as bytes, is the old rendering byte for byte.
func TestWriteEscapedMatchesOracle(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\t\n\r\\ \x00\xff'\"é")
	for n := 0; n < 20000; n++ {
		v := make([]byte, rng.IntN(24))
		for i := range v {
			if rng.IntN(4) == 0 {
				v[i] = byte(rng.IntN(256))
			} else {
				v[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		var want, gotS, gotB bytes.Buffer
		want.WriteString("x")
		gotS.WriteString("x")
		gotB.WriteString("x")
		oldWriteEscaped(&want, string(v))
		writeEscaped(&gotS, string(v))
		writeEscaped(&gotB, v)
		if !bytes.Equal(want.Bytes(), gotS.Bytes()) || !bytes.Equal(want.Bytes(), gotB.Bytes()) {
			t.Fatalf("%q: old %q, string %q, bytes %q", v, want.Bytes(), gotS.Bytes(), gotB.Bytes())
		}
	}
}
