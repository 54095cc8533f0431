package mask

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// lastValueQuote is the search of valueQuotes over the whole of t, eight
// bytes at a time from its end, as joinsBack runs it.
func lastValueQuote(t []byte) int {
	var vq valueQuotes
	for base := (len(t) - 1) &^ 7; base >= 0; base -= 8 {
		x := word8(t, base)
		if v := valueBytes(x); v != 0 || vq.pending {
			if q := vq.word(t, base, x, v); q >= 0 {
				return q
			}
		}
	}
	return -1
}

// lastValueQuoteStretches is lastValueQuote as it was before valueQuotes
// read the words joinsBack reads (issue #19): it returns the index of the last quote of t that a piece
// holding a value follows (pieceOf(t, q+1, 1) is ok, and a value), or -1.
// Such a piece holds a digit, an at sign or a capital (valueBytes), and
// runs from its quote to the next quote or backslash (or to t's end):
// reading t from its end eight bytes at a time, only the stretches
// between two such bytes (endBytes) that hold a value byte are read,
// from the quote or backslash before each. endBytes also marks '#' and
// '&', which no piece holds: a piece read from a quote before one is no
// piece, so a stretch that one ends is read as if a quote ended it.
func lastValueQuoteStretches(t []byte) int {
	pending := false // a value byte after the bytes read, no end mark between
	for base := len(t) - 8; base > -8; base -= 8 {
		var x uint64
		if base >= 0 {
			x = binary.LittleEndian.Uint64(t[base:])
		} else {
			var b [8]byte // NULs (no value byte, no end), then t's first bytes
			copy(b[-base:], t)
			x = binary.LittleEndian.Uint64(b[:])
		}
		v := valueBytes(x)
		if v == 0 && !pending {
			continue
		}
		e := endBytes(x)
		for {
			ends := e // the end marks that may start a stretch holding a value byte
			if !pending {
				if v == 0 {
					break
				}
				ends &= 1<<(63-bits.LeadingZeros64(v)) - 1
			}
			if ends == 0 {
				pending = true
				break
			}
			b := 63 - bits.LeadingZeros64(ends)
			q := base + b/8
			if c := t[q]; c == '"' || c == '\'' {
				if val, ok := pieceOf(t, q+1, 1); val && ok {
					return q
				}
			}
			pending = false
			below := uint64(1)<<(b&^7) - 1 // the marks of the bytes before t[q]
			v &= below
			e &= below
		}
	}
	return -1
}

// hasJoinsForward is hasJoins as it was before it read t from its end
// once it met a quote that may close a joined piece (issue #19): it reports whether t holds a join of string pieces, and whether
// one joins digits. It reads t once, forward, and reads a join at each
// quote that may close a piece joined to the next (joinAtBefore), told
// where the last quote that a piece holding a value follows stands
// (lastValueQuote, learnt at the first such quote). Which join it finds
// first does not matter.
func hasJoinsForward(t []byte) (any, digits bool) {
	lastValue := -2 // not known yet
	for base := 0; base < len(t); base += 8 {
		var x uint64
		if base+8 <= len(t) {
			x = binary.LittleEndian.Uint64(t[base:])
		} else {
			var b [8]byte // the last bytes, and NULs (no quote, no colon)
			copy(b[:], t[base:])
			x = binary.LittleEndian.Uint64(b[:])
		}
		// The quotes of eight bytes at once: marked with '#' and '&',
		// the bytes that differ from one of them only where '"' and
		// '\'' differ (bits 0 and 2), which the test below passes over;
		// a quote a colon follows in the eight is a key's, no join's.
		y := (x ^ ones8*'"') &^ (ones8 * 5)
		c := x ^ ones8*':'
		m := ^(y&low7 + low7 | y) & high8 &^ (^(c&low7 + low7 | c) & high8 >> 8)
		for ; m != 0; m &= m - 1 {
			i := base + bits.TrailingZeros64(m)/8
			// Most quotes of a JSON text cannot close a piece joined
			// to the next: an opening quote (after ':', ',', '[') or a
			// key's closing quote (before ':'). joinAt would say so
			// too.
			if b := t[i]; b != '"' && b != '\'' || i == 0 || t[i-1] != '\\' && !joinChar(t[i-1]) || at(t, i+1) == ':' {
				continue
			}
			if lastValue == -2 {
				lastValue = lastValueQuoteStretches(t)
			}
			if commaJoinFails(t, i, lastValue) {
				continue
			}
			if _, d, ok := joinAtBefore(t, i, lastValue); ok {
				if d {
					return true, true // nothing more to learn
				}
				any = true
			}
		}
	}
	return any, false
}

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
		if st := lastValueQuoteStretches(b); got != st {
			t.Fatalf("lastValueQuote(%q) = %d, by stretches from the end %d", b, got, st)
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
	checkByteMarks(t, "endBytes", endBytes, func(c byte) bool { return c == '"' || c == '\'' || c == '\\' || c == '#' || c == '&' },
		[]byte{0, '"', '\'', '\\', '#', '&', '!', '$', '%', '(', 0x7f, 0x80, 0xa2, 0xa7, 0xdc, 0xff}, 1917)
}
