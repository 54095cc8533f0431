package mask

import (
	"bytes"
	"unicode/utf8"
)

// UTF-16 text. A value written in UTF-16 (4\x001\x00... or, in other
// scripts' digits, no NUL at all) is text to a client that sniffs the
// encoding, reads a byte order mark or is told the charset, and noise to
// detectors that read UTF-8. So a text that cannot be UTF-8 (it holds a
// NUL or is not valid UTF-8) is also read as UTF-16, in both byte orders
// and from both byte alignments (a stream or a field may start mid-unit),
// NUL units dropped (which reads UTF-32 too, but for characters beyond
// the BMP, and text padded with NULs), and a match there masks the bytes
// of the code units it came from. The
// masked output is then no longer valid UTF-16 around the match: it fails
// towards masking.

// wideView is one way of reading bytes as UTF-16.
type wideView struct {
	off int
	big bool
}

var wideViews = [...]wideView{{0, false}, {0, true}, {1, false}, {1, true}}

// wideText reports whether t may be UTF-16 rather than UTF-8.
func wideText(t []byte) bool {
	return bytes.IndexByte(t, 0) >= 0 || !utf8.Valid(t)
}

// utf16 fills l with t read as UTF-16 from byte off in the byte order
// big; it reports whether there is anything to read. An unpaired
// surrogate reads as U+FFFD.
func (l *layer) utf16(t []byte, off int, big bool) bool {
	if len(t)-off < 2 {
		return false
	}
	// Each unit of two bytes becomes at most three bytes of UTF-8, a pair
	// of four bytes four.
	l.grow((len(t)-off)/2*3 + utf8.UTFMax)
	unit := func(i int) rune {
		if big {
			return rune(t[i])<<8 | rune(t[i+1])
		}
		return rune(t[i+1])<<8 | rune(t[i])
	}
	n := 0
	for i := off; i+1 < len(t); {
		r, size := unit(i), 2
		if r >= 0xD800 && r < 0xE000 {
			r = utf8.RuneError
			if hi := unit(i); hi < 0xDC00 && i+3 < len(t) {
				if lo := unit(i + 2); lo >= 0xDC00 && lo < 0xE000 {
					r, size = 0x10000+(hi-0xD800)<<10+(lo-0xDC00), 4
				}
			}
		}
		if r == 0 {
			// NUL units are dropped, as clients that strip NULs do: UTF-32
			// (BMP) text read as UTF-16 is then the text itself.
			i += size
			continue
		}
		k := utf8.EncodeRune(l.b[n:], r)
		for j := n; j < n+k; j++ {
			l.st[j], l.en[j] = i, i+size
		}
		n += k
		i += size
	}
	l.b, l.st, l.en = l.b[:n], l.st[:n], l.en[:n]
	return true
}

// UTF-32 beyond the BMP. Read as UTF-16 with NUL units dropped, UTF-32
// text keeps its characters below U+10000 but not the others (a
// mathematical digit U+1D7CF is the units D7CF 0001 there). So a text
// that may be UTF-32 and holds such a character is also read as UTF-32,
// in each byte order and from each of the four alignments where that
// reads as text.

// utf32 fills l with t read as UTF-32 from byte off in the byte order big;
// it reports whether that reads as text: nine units in ten are scalar
// values and one is beyond the BMP (else the UTF-16 views read it). NUL
// units are dropped.
func (l *layer) utf32(t []byte, off int, big bool) bool {
	units := (len(t) - off) / 4
	if units < 1 {
		return false
	}
	unit := func(i int) rune {
		if big {
			return rune(t[i])<<24 | rune(t[i+1])<<16 | rune(t[i+2])<<8 | rune(t[i+3])
		}
		return rune(t[i+3])<<24 | rune(t[i+2])<<16 | rune(t[i+1])<<8 | rune(t[i])
	}
	bad, astral := 0, false
	for i := off; i+3 < len(t); i += 4 {
		r := unit(i)
		switch {
		case r < 0 || r > utf8.MaxRune || r >= 0xD800 && r < 0xE000:
			bad++
		case r > 0xFFFF:
			astral = true
		}
	}
	if !astral || bad*10 > units {
		return false
	}
	l.grow(units * utf8.UTFMax)
	n := 0
	for i := off; i+3 < len(t); i += 4 {
		r := unit(i)
		if r == 0 {
			continue
		}
		if r < 0 || r > utf8.MaxRune || r >= 0xD800 && r < 0xE000 {
			r = utf8.RuneError
		}
		k := utf8.EncodeRune(l.b[n:], r)
		for j := n; j < n+k; j++ {
			l.st[j], l.en[j] = i, i+4
		}
		n += k
	}
	l.b, l.st, l.en = l.b[:n], l.st[:n], l.en[:n]
	return true
}
