package mask

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The encoded-run tests as first written (one comparison per character
// per test, a decoder called through a function value): the oracles of
// the table-driven ones in encruns.go and encalphabet.go.

func refIsHexRun(t []byte) bool {
	for _, c := range t {
		if !is(c, clHex) && !lineBreak(c) {
			return false
		}
	}
	return true
}
func refIsB32Run(t []byte) bool {
	upper, lower := false, false
	for _, c := range t {
		if b32Value(c) == 0xFF && !lineBreak(c) {
			return false
		}
		upper = upper || c >= 'A' && c <= 'Z'
		lower = lower || c >= 'a' && c <= 'z'
	}
	return !(upper && lower)
}
func (l *layer) refDecodeRun(src []byte, st, en []int, s, e int, bits uint, value func(byte) byte) {
	chars := 0
	for _, c := range src[s:e] {
		if !lineBreak(c) {
			chars++
		}
	}
	total := chars * int(bits) / 8
	if total < minEncBytes {
		return
	}
	allowed := total / 8
	bad := 0
	ok := eachDecodedByte(src, s, e, bits, value, func(_, _ int, c byte) bool {
		if !textByte(c) && c != 0 {
			bad++
		}
		return bad <= allowed
	})
	if !ok {
		return
	}
	eachDecodedByte(src, s, e, bits, value, func(first, k int, c byte) bool {
		if c != 0 {
			// NULs are dropped: the text of UTF-16 or UTF-32 encoded
			// (PowerShell's -EncodedCommand) reads as itself.
			cs, _ := spanOf(st, en, first)
			_, ce := spanOf(st, en, k)
			l.b, l.st, l.en = append(l.b, c), append(l.st, cs), append(l.en, ce)
		}
		return true
	})
	_, ce := spanOf(st, en, e-1)
	l.b, l.st, l.en = append(l.b, 0), append(l.st, ce-1), append(l.en, ce)
}
func refEncodedLooking(r []byte) bool {
	upper, upper0, lower, digit, dash, hexOnly, b32Only := false, false, false, false, false, true, true
	for k, c := range r {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = upper || k > 0
			upper0 = true
		case c >= 'a' && c <= 'z':
			lower = true
		case isDigit(c):
			digit = true
		case c == '-' || c == '_':
			dash = true
		}
		hexOnly = hexOnly && (is(c, clHex) || lineBreak(c))
		b32Only = b32Only && (b32Value(c) != 0xFF || lineBreak(c))
	}
	b32Only = b32Only && !(upper0 && lower)
	return upper && (lower || digit && !dash) || digit && hexOnly || b32Only && len(r) >= 16
}

// runSamples generates runs as the scanners meet them: characters of the
// base64 alphabets in one or both cases, digits, dashes, line breaks and
// other bytes; encodings of text and of noise, with prefixes and cut at
// any character.
func runSamples(n int) [][]byte {
	rng := rand.New(rand.NewPCG(7, 11))
	pools := []string{
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=",
		"abcdefghijklmnopqrstuvwxyz234567",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
		"0123456789abcdefABCDEF",
		"0123456789abcdef\n\r",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
		"widget",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n\r \x00\xff\\x",
	}
	texts := []string{"4111 1111 1111 1111", "jane.doe@example.com", "123-45-6789", "hello world, a longer text to encode"}
	var out [][]byte
	for i := 0; i < n; i++ {
		var s string
		switch i % 4 {
		case 0, 1:
			pool := pools[rng.IntN(len(pools))]
			b := make([]byte, rng.IntN(70))
			for k := range b {
				b[k] = pool[rng.IntN(len(pool))]
			}
			s = string(b)
		case 2:
			t := texts[rng.IntN(len(texts))]
			switch rng.IntN(5) {
			case 0:
				s = base64.StdEncoding.EncodeToString([]byte(t))
			case 1:
				s = base64.RawURLEncoding.EncodeToString([]byte(t))
			case 2:
				s = base32.StdEncoding.EncodeToString([]byte(t))
			case 3:
				s = strings.ToLower(base32.StdEncoding.EncodeToString([]byte(t)))
			default:
				s = hex.EncodeToString([]byte(t))
			}
			if rng.IntN(3) == 0 {
				k := rng.IntN(len(s))
				s = s[:k] + "\n" + s[k:]
			}
			s = s[rng.IntN(4):]
		default:
			b := make([]byte, 8+rng.IntN(40))
			for k := range b {
				b[k] = byte(rng.UintN(256))
			}
			s = base64.StdEncoding.EncodeToString(b)
			if rng.IntN(2) == 0 {
				s = hex.EncodeToString(b)
			}
		}
		out = append(out, []byte(s))
	}
	return out
}

// TestRunTestsAsFirstWritten compares the table-driven run tests with
// the ones they replace, on generated runs and every suffix of each (the
// run is decoded from each of its first characters).
func TestRunTestsAsFirstWritten(t *testing.T) {
	alphabets := []struct {
		a     *alphabet
		bits  uint
		value func(byte) byte
	}{{&base64Alphabet, 6, b64Value}, {&base32Alphabet, 5, b32Value}, {&hexAlphabet, 4, unhex}}
	differ, kept := 0, 0
	for _, r := range runSamples(4000) {
		for a := 0; a <= min(4, len(r)); a++ {
			s := r[a:]
			if got, want := encodedLooking(s), refEncodedLooking(s); got != want {
				differ++
				t.Errorf("encodedLooking(%q) = %v, first written %v", s, got, want)
			}
			if got, want := isB32Run(s), refIsB32Run(s); got != want {
				differ++
				t.Errorf("isB32Run(%q) = %v, first written %v", s, got, want)
			}
			if got, want := isHexRun(s), refIsHexRun(s); got != want {
				differ++
				t.Errorf("isHexRun(%q) = %v, first written %v", s, got, want)
			}
			// A run is decoded only when its characters are of the
			// alphabet (and line breaks), as readEncoded calls it.
			for _, al := range alphabets {
				if al.bits == 5 && !refIsB32Run(s) || al.bits == 4 && !refIsHexRun(s) {
					continue
				}
				var got, want layer
				got.decodeRun(r, nil, nil, a, len(r), al.a)
				want.refDecodeRun(r, nil, nil, a, len(r), al.bits, al.value)
				if len(want.b) > 0 {
					kept++
				}
				if !slices.Equal(got.b, want.b) || !slices.Equal(got.st, want.st) || !slices.Equal(got.en, want.en) {
					differ++
					t.Errorf("decodeRun(%q, %d bits) = %q %v %v, first written %q %v %v", s, al.bits, got.b, got.st, got.en, want.b, want.st, want.en)
				}
			}
		}
		if differ > 10 {
			t.Fatal("too many differences")
		}
	}
	// The samples must reach the decoder's output, not only its judge.
	if kept < 200 {
		t.Errorf("only %d decodes kept text: the samples do not exercise decodeRun", kept)
	}
}
