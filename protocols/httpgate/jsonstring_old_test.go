package httpgate

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// jsonStringEndOld is jsonStringEnd as it was before it read eight
// bytes at a time (issue #19): the oracle of
// TestJSONStringEndAgreesWithOld.
func jsonStringEndOld(doc []byte, i int) int {
	j := i + 1
	for {
		for j < len(doc) && plainStringByte[doc[j]] {
			j++
		}
		if j >= len(doc) {
			return -1
		}
		switch doc[j] {
		case '"':
			return j + 1
		case '\\':
			if j+1 >= len(doc) {
				return -1
			}
			switch doc[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(doc) || !isHex(doc[j+2]) || !isHex(doc[j+3]) || !isHex(doc[j+4]) || !isHex(doc[j+5]) {
					return -1
				}
				j += 6
			default:
				return -1
			}
		default: // a control character
			return -1
		}
	}
}

// jsonStringEnd answers as jsonStringEndOld on strings of every length
// up to 24 with one byte of each kind (every control character, a quote,
// a backslash and each escape's letter, bytes above ASCII) at every
// position, cut at every length, and on random bytes.
func TestJSONStringEndAgreesWithOld(t *testing.T) {
	var special []byte
	for c := range 0x21 {
		special = append(special, byte(c))
	}
	special = append(special, '"', '\\', 'u', 'n', '/', '0', 'f', 0x7f, 0x80, 0xff, 'a')
	check := func(doc []byte) {
		if got, want := jsonStringEnd(doc, 0), jsonStringEndOld(doc, 0); got != want {
			t.Fatalf("jsonStringEnd(%q) = %d, the old %d", doc, got, want)
		}
	}
	for n := range 25 {
		for pos := range n {
			for _, c := range special {
				doc := []byte(`"` + strings.Repeat("ab", n)[:n] + `"xyz`)
				doc[1+pos] = c
				for cut := 0; cut <= len(doc); cut++ {
					check(doc[:cut])
				}
				// An escape before the byte, and a second stop after it.
				if pos > 1 {
					doc[pos] = '\\'
					check(doc)
					doc[1+pos-2] = '"'
					check(doc)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(19, 3))
	for range 20000 {
		doc := make([]byte, 1+r.IntN(40))
		for i := range doc {
			const alpha = "ab\\\"u0f\x01 \x1f\x7f\xc3\xa9"
			doc[i] = alpha[r.IntN(len(alpha))]
			if r.IntN(3) > 0 {
				doc[i] = byte('a' + r.IntN(26))
			}
		}
		doc[0] = '"'
		check(doc)
	}
}
