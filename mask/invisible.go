package mask

import (
	"encoding/binary"
	"unicode/utf8"
)

// Invisible characters. A zero-width space, a word joiner, a soft hyphen,
// a variation selector or a BOM between the characters of a value
// (A\u200bK\u200bI\u200bA...) changes nothing a reader sees, and copying
// the text drops most of them. Tag characters (U+E0020-U+E007E) are
// invisible too, but each mirrors an ASCII character that a program reads
// back; the view reads them as that character.
// The numeric scanners skip them already (unicode.go); for the other
// detectors a text that holds one is also read without them.

// hasInvisible reports whether t holds an invisible format character
// (isIgnorable). ASCII text is skipped 32 bytes at a time, then eight.
func hasInvisible(t []byte) bool {
	for i := 0; i < len(t); {
		for ; i+32 <= len(t); i += 32 {
			// Four words at once: one test for most of a text.
			w := t[i : i+32]
			if (binary.LittleEndian.Uint64(w)|binary.LittleEndian.Uint64(w[8:])|binary.LittleEndian.Uint64(w[16:])|binary.LittleEndian.Uint64(w[24:]))&high8 != 0 {
				break
			}
		}
		for ; i+8 <= len(t); i += 8 {
			if binary.LittleEndian.Uint64(t[i:])&high8 != 0 {
				break
			}
		}
		for i < len(t) && t[i] < utf8.RuneSelf {
			i++
		}
		if i == len(t) {
			return false
		}
		if !invisibleLead[t[i]] {
			// Most non-ASCII text (other scripts, accents) starts no
			// invisible character: skip it a byte at a time, undecoded.
			i++
			continue
		}
		r, size := utf8.DecodeRune(t[i:])
		if _, tag := tagASCII(r); tag || isIgnorable(r) {
			return true
		}
		i += size
	}
	return false
}

// invisibleLead marks the first bytes of the UTF-8 of the characters
// isIgnorable reports, and of the tag characters: U+00AD, U+034F, U+061C,
// U+180B-U+180F, U+200B-U+206F, U+FE00-U+FE0F, U+FEFF, U+E0000-U+E01EF.
var invisibleLead = [256]bool{0xC2: true, 0xCD: true, 0xD8: true, 0xE1: true, 0xE2: true, 0xEF: true, 0xF3: true}

// dropInvisible fills l with src without its invisible characters, in
// runs of up to maxIgnorables as the numeric scanners skip them (a longer
// run is kept: it would stretch a value beyond its bound); st and en map
// src to the original text (nil: src is it).
func (l *layer) dropInvisible(src []byte, st, en []int) {
	l.grow(len(src))
	n := 0
	for i := 0; i < len(src); {
		j := i
		for j < len(src) && src[j] < utf8.RuneSelf {
			j++
		}
		n = l.copyRun(n, src, st, en, i, j)
		if i = j; i == len(src) {
			break
		}
		e, runes := i, 0
		for e < len(src) {
			r, size := utf8.DecodeRune(src[e:])
			if !isIgnorable(r) {
				break
			}
			e += size
			runes++
		}
		switch {
		case runes == 0:
			r, size := utf8.DecodeRune(src[i:])
			if a, ok := tagASCII(r); ok {
				s, _ := spanOf(st, en, i)
				_, e := spanOf(st, en, i+size-1)
				l.b[n], l.st[n], l.en[n] = a, s, e
				n++
			} else {
				n = l.copyRun(n, src, st, en, i, i+size)
			}
			i += size
		case runes > maxIgnorables:
			n = l.copyRun(n, src, st, en, i, e)
			i = e
		default:
			i = e
		}
	}
	l.b, l.st, l.en = l.b[:n], l.st[:n], l.en[:n]
}

// longInvisible appends a span that fails closed for each run of more than
// maxIgnorables invisible characters right after a letter or a digit: the
// views read a value through shorter runs, and one spread further would
// stretch beyond its detector's bound (and the stream masker's
// look-ahead). Such runs are no part of ordinary text; what cannot be
// read is refused rather than passed. st and en map src to the original
// text (nil: src is it).
func longInvisible(src []byte, st, en []int, out []span) []span {
	for i := 0; i < len(src); {
		if src[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if !isIgnorable(r) || !isAlnum(at(src, i-1)) {
			i += size
			continue
		}
		e, runes := i, 0
		for e < len(src) && runes <= maxIgnorables {
			r, size := utf8.DecodeRune(src[e:])
			if !isIgnorable(r) {
				break
			}
			e += size
			runes++
		}
		if runes > maxIgnorables {
			s, _ := spanOf(st, en, i)
			_, x := spanOf(st, en, e-1)
			out = append(out, span{start: s, end: x, overlong: true})
		}
		i = e
	}
	return out
}
