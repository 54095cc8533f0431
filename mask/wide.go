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
