package mask

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unicode look-alikes. An agent that can run SQL or a shell can rewrite a
// value before it reaches the masker: translate(card, '0123456789',
// '０１２３４５６７８９'), a zero-width space between the digits, an en
// dash instead of '-'. The numeric detectors therefore read digits,
// separators and letters through normRune, which folds each look-alike to
// the ASCII byte it stands for.

// normKind classifies a rune for the numeric scanners.
type normKind uint8

const (
	nkOther     normKind = iota // ends a number
	nkDigit                     // a decimal digit; b is '0'..'9'
	nkSep                       // a separator between digit groups; b is its ASCII form
	nkIgnorable                 // invisible: skipped wherever it stands
	nkLetter                    // an ASCII or fullwidth letter; b is its ASCII form
)

// digitValue returns the value of a rune that is a decimal digit or folds
// to one under NFKC (fullwidth, other scripts' digits, mathematical
// digits, superscripts, subscripts, circled digits), or -1.
func digitValue(r rune) int {
	if r < utf8.RuneSelf {
		if r >= '0' && r <= '9' {
			return int(r - '0')
		}
		return -1
	}
	switch {
	case r == 0xB9:
		return 1
	case r == 0xB2 || r == 0xB3:
		return int(r-0xB2) + 2
	case r == 0x2070:
		return 0
	case r >= 0x2074 && r <= 0x2079:
		return int(r-0x2074) + 4
	case r >= 0x2080 && r <= 0x2089:
		return int(r - 0x2080)
	case r >= 0x2460 && r <= 0x2468: // circled 1-9
		return int(r-0x2460) + 1
	case r == 0x24EA: // circled 0
		return 0
	}
	if !unicode.Is(unicode.Nd, r) {
		return -1
	}
	// Every Nd range of the table starts at a zero and runs through whole
	// sets of ten (TestDigitValueTable checks this).
	if r <= 0xFFFF {
		for _, g := range unicode.Nd.R16 {
			if uint16(r) >= g.Lo && uint16(r) <= g.Hi {
				return int(uint16(r)-g.Lo) % 10
			}
		}
		return -1
	}
	for _, g := range unicode.Nd.R32 {
		if uint32(r) >= g.Lo && uint32(r) <= g.Hi {
			return int(uint32(r)-g.Lo) % 10
		}
	}
	return -1
}

// isIgnorable reports invisible format characters an attacker can put
// between digits without changing how the value reads: soft hyphen,
// zero-width space, joiners and marks, word joiner, invisible operators,
// bidirectional controls, BOM.
func isIgnorable(r rune) bool {
	switch {
	case r == 0xAD, r == 0x34F, r == 0x61C, r == 0x180E, r == 0xFEFF:
		return true
	case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E,
		r >= 0x2060 && r <= 0x2064, r >= 0x2066 && r <= 0x2069:
		return true
	case r >= 0x180B && r <= 0x180D, r == 0x180F, r >= 0xFE00 && r <= 0xFE0F,
		r >= 0xE0100 && r <= 0xE01EF, r == 0xE0001, r == 0xE007F:
		// Variation selectors, and the language and cancel tags.
		return true
	}
	return false
}

// normRune decodes the rune at t[i] and classifies it; b is the ASCII byte
// it folds to and size its length in t.
func normRune(t []byte, i int) (k normKind, b byte, size int) {
	c := t[i]
	if c < utf8.RuneSelf {
		switch {
		case isDigit(c):
			return nkDigit, c, 1
		case is(c, clUpper|clLower):
			return nkLetter, c, 1
		case c == ' ', c == '\t', c == '\n', c == '\r', c == '-', c == '.', c == '_', c == '/',
			c == '(', c == ')', c == '+', c == ',', c == '\'':
			return nkSep, c, 1
		case c == '%' && i+2 < len(t):
			// A separator percent-encoded, as a URL or form encoder
			// writes "4111 1111": 4111%201111.
			if b := pctSep(t[i+1], t[i+2]); b != 0 {
				return nkSep, b, 3
			}
		}
		return nkOther, c, 1
	}
	r, size := utf8.DecodeRune(t[i:])
	if r >= 0xFF01 && r <= 0xFF5E { // fullwidth ASCII
		a := byte(r - 0xFEE0)
		k, _, _ := normRune([]byte{a}, 0)
		return k, a, size
	}
	if a, ok := tagASCII(r); ok {
		k, _, _ := normRune([]byte{a}, 0)
		return k, a, size
	}
	if v := digitValue(r); v >= 0 {
		return nkDigit, byte('0' + v), size
	}
	switch {
	case isIgnorable(r):
		return nkIgnorable, 0, size
	case r == 0xA0, r >= 0x2000 && r <= 0x200A, r == 0x202F, r == 0x205F, r == 0x3000:
		return nkSep, ' ', size
	case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE58, r == 0xFE63, r == 0x2043:
		return nkSep, '-', size
	case r == 0xB7, r == 0x2024, r == 0x30FB, r == 0x2027, r == 0x066B, r == 0xFE52:
		return nkSep, '.', size
	case r == 0x066C, r == 0x060C, r == 0x3001, r == 0xFE50, r == 0xFE51:
		// Thousands separators and commas of other scripts.
		return nkSep, ',', size
	case r == 0x2018, r == 0x2019, r == 0x02BC, r == 0x2032, r == 0x02B9:
		// Apostrophes, as Swiss thousands separators.
		return nkSep, '\'', size
	case r == 0x2044, r == 0x2215:
		return nkSep, '/', size
	}
	return nkOther, 0, size
}

// pctSep decodes the separators the loose scanner accepts in
// percent-encoded form: space, tab, CR, LF, '+', '-', '.', '/', '_'.
func pctSep(h, l byte) byte {
	if !is(h, clHex) || !is(l, clHex) {
		return 0
	}
	if v := unhex(h)<<4 | unhex(l); strings.IndexByte(pctSeparators, v) >= 0 {
		return v
	}
	return 0
}

// pctSeparators are the separators pctSep decodes.
const pctSeparators = " \t\n\r+-./_"

// maxIgnorables bounds how many invisible characters in a row the
// scanners skip; more end a number (and keep look-behind bounded).
const maxIgnorables = 4

// prevRuneIsDigit reports whether the rune ending at t[i], invisible
// characters skipped, folds to a digit.
func prevRuneIsDigit(t []byte, i int) bool {
	for n := 0; i > 0 && n <= maxIgnorables; n++ {
		if c := t[i-1]; c < utf8.RuneSelf {
			return isDigit(c)
		}
		r, size := utf8.DecodeLastRune(t[:i])
		if !isIgnorable(r) {
			return digitValue(r) >= 0
		}
		i -= size
	}
	return false
}

// tagASCII reads a tag character (U+E0020-U+E007E): invisible, it mirrors
// an ASCII character, and a program (or a model) reads the text it spells
// ("ASCII smuggling").
func tagASCII(r rune) (byte, bool) {
	if r >= 0xE0020 && r <= 0xE007E {
		return byte(r - 0xE0000), true
	}
	return 0, false
}
