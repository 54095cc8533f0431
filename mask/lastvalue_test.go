package mask

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
)

// lastValueQuote reads only the stretches between quotes, backslashes,
// '#' and '&' that hold a value byte, eight bytes at a time (issue #19).
// Against the run-by-run reading it replaced and the byte-by-byte one:
// texts of pieces about maxPiece long, of every byte a piece may hold or
// end at, with '#' and '&' beside quotes and values, at every offset from
// an eight-byte boundary and at both ends of the text.
func TestLastValueQuoteStretches(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 1913))
	alphabet := []string{`"`, `'`, `\`, `#`, `&`, "1", "Z", "@", "a", "z", "=", "-", ".", ":", ",", " ", "\x00", "\xff", "é", "$", "%", "!"}
	long := []string{strings.Repeat("a", 62), strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("b", 30) + "1" + strings.Repeat("b", 33)}
	found, checked := 0, 0
	check := func(b []byte) {
		got := lastValueQuote(b)
		if runs := lastValueQuoteRuns(b); got != runs {
			t.Fatalf("lastValueQuote(%q) = %d, run by run %d", b, got, runs)
		}
		if byByte := lastValueQuoteByByte(b); got != byByte {
			t.Fatalf("lastValueQuote(%q) = %d, byte by byte %d", b, got, byByte)
		}
		checked++
		if got >= 0 {
			found++
		}
	}
	for range 40000 {
		var b []byte
		for range r.IntN(40) {
			switch k := r.IntN(12); {
			case k == 0:
				b = append(b, long[r.IntN(len(long))]...)
			case k < 3:
				b = append(b, alphabet[r.IntN(6)]...) // an end byte or '#', '&'
			default:
				b = append(b, alphabet[r.IntN(len(alphabet))]...)
			}
		}
		check(b)
	}
	// A quote, a piece holding a value, and a byte that ends it, at every
	// offset, with filler of every kind before and after.
	for pad := range 17 {
		for _, f := range []string{`"a1`, `"a1"`, `'Z'`, `"a#1"`, `"a&1"`, `"1#"`, `"1&`, `\"1"`, `"a\1"`, `#"1`, `&'1'`, `"` + strings.Repeat("a", 63) + `1"`, `"` + strings.Repeat("a", 64) + `1"`, `"=1"`, `"a=b"`, `"@"`, `"aB"`, `"ab"`} {
			for _, fill := range []string{"a", "#", "&", `"`, `\`, "1", "\xff", " "} {
				check([]byte(strings.Repeat(fill, pad) + f))
				check([]byte(f + strings.Repeat(fill, pad)))
				check([]byte(strings.Repeat(fill, pad) + f + strings.Repeat(fill, 16-pad)))
			}
		}
	}
	if found < checked/8 || found == checked {
		t.Fatalf("%d texts of %d with a quote before a piece holding a value", found, checked)
	}
}

// endBytes marks exactly the quotes, backslashes, '#' and '&' of a word:
// every byte at every position among every other, and random words.
func TestEndBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 1917))
	want := func(c byte) bool { return c == '"' || c == '\'' || c == '\\' || c == '#' || c == '&' }
	check := func(w [8]byte) {
		m := endBytes(binary.LittleEndian.Uint64(w[:]))
		for k, c := range w {
			if got := m>>(8*k+7)&1 == 1; got != want(c) {
				t.Fatalf("endBytes(%q): byte %d (%q) marked %v", w, k, c, got)
			}
		}
		if m&^high8 != 0 {
			t.Fatalf("endBytes(%q) = %x: a mark below a high bit", w, m)
		}
	}
	for c := range 256 {
		for pos := range 8 {
			for _, fill := range []byte{0, '"', '\'', '\\', '#', '&', '!', '$', '%', '(', 0x7f, 0x80, 0xa2, 0xa7, 0xdc, 0xff} {
				var w [8]byte
				for k := range w {
					w[k] = fill
				}
				w[pos] = byte(c)
				check(w)
			}
		}
	}
	for range 100000 {
		var w [8]byte
		for k := range w {
			w[k] = byte(r.IntN(256))
		}
		check(w)
	}
}
