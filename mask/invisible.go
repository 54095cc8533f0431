package mask

import (
	"encoding/binary"
	"unicode/utf8"
)

// Invisible characters. A zero-width space, a word joiner, a soft hyphen
// or a BOM between the characters of a value (A\u200bK\u200bI\u200bA...)
// changes nothing a reader sees, and copying the text drops most of them.
// The numeric scanners skip them already (unicode.go); for the other
// detectors a text that holds one is also read without them.

// hasInvisible reports whether t holds an invisible format character
// (isIgnorable). ASCII text is skipped eight bytes at a time.
func hasInvisible(t []byte) bool {
	for i := 0; i < len(t); {
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
		r, size := utf8.DecodeRune(t[i:])
		if isIgnorable(r) {
			return true
		}
		i += size
	}
	return false
}

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
			_, size := utf8.DecodeRune(src[i:])
			n = l.copyRun(n, src, st, en, i, i+size)
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
