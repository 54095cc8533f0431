package mask

import (
	"encoding/binary"
	"math/bits"
)

// Code lists. A value is also written one character at a time as a list
// of codes: its bytes in hex with a separator (34 31 31 31, 34:31:31,
// 0x34,0x31), as a hex dump (xxd, hexdump -C and od lines, with offsets
// and ASCII columns; od -x and hexdump print 16-bit words little-endian,
// so a group of four hex digits is read in both byte orders), as decimal code points (52,49,49, chr(52)+chr(49),
// String.fromCharCode(52,49), CHAR(52)||CHAR(49)), or as spelled digits
// (four, one, one, one). A reader, or a one-line decoder, turns the list
// back; so a text holding a list of at least minCodes such codes is also
// read with the list decoded, when the decoded bytes are text, and the
// ASCII columns of a dump are read joined. A match masks the codes its
// bytes were written in (and what stands between them).
//
// A list is a run of tokens (letters and digits) of one kind, with at
// most maxCodeGap other bytes between two: the separators, brackets and
// &#, and up to four words of the calls that wrap a code (chr, char,
// String, fromCharCode, and the others of codecalls.go). At the start of a line, a dump's offset is
// skipped; after two spaces, a line's rest of at most maxDumpASCII bytes
// is an ASCII column. A list's first token is dropped when it does not fit
// the kind of the others: a stream window may begin inside a list.

// codeKind is the kind of a token of a code list; a token may be of
// several (31 is hex and decimal).
type codeKind uint8

const (
	ckHex2   codeKind = 1 << iota // two hex digits, perhaps after 0x or x
	ckHex4                        // four hex digits: two bytes, as xxd groups them
	ckHex4LE                      // four hex digits: a 16-bit word, little-endian (od -x, hexdump)
	ckDec                         // a decimal code point, 0-255
	ckWord                        // a spelled digit, zero to nine
	ckOct                         // three octal digits, 000-377 (od -b, hexdump -b)
	ckAll    = ckHex2 | ckHex4 | ckHex4LE | ckDec | ckWord | ckOct
)

const (
	// minCodes is the fewest codes of a list read (but ckHex4): the
	// characters of an SSN.
	minCodes = 9
	// minHex4 is the fewest groups of four hex digits of a list read.
	minHex4 = 5
	// maxCodeGap bounds the bytes between two codes, words of a call
	// aside.
	maxCodeGap = 8
	// maxCodeGlue bounds the words of a call between two codes
	// (new String(Character.toChars(52)) holds four).
	maxCodeGlue = 4
	// maxDumpASCII bounds an ASCII column: sixteen bytes and its bars.
	maxDumpASCII = 18
)

// codeTok is one token of a list: t[s:e], its digits from ds.
type codeTok struct {
	s, ds, e int
	kinds    codeKind
	word     byte // the digit a spelled digit stands for
}

// codeList is a list found by nextCodeList.
type codeList struct {
	kinds codeKind // the kinds of every token after the first
	n     int      // tokens
	end   int      // where the scan stopped
}

// Byte kinds of the code list scanner.
const (
	cbAlnum  = 1 << iota
	cbDigit  // 0-9
	cbHexL   // a-f, A-F
	cbX      // x, X
	cbLetter // any other letter
)

var codeByte [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case isDigit(b):
			codeByte[c] = cbAlnum | cbDigit
		case b|0x20 >= 'a' && b|0x20 <= 'f':
			codeByte[c] = cbAlnum | cbHexL
		case b|0x20 == 'x':
			codeByte[c] = cbAlnum | cbX
		case b|0x20 >= 'a' && b|0x20 <= 'z':
			// (The byte class table of detector.go may not be built
			// yet: init functions run in file order.)
			codeByte[c] = cbAlnum | cbLetter
		}
	}
}

// classifyCode returns the kinds of the token t[s:e], whose bytes are of
// the kinds in m (cb...), where its digits start, and the digit a spelled
// digit stands for.
func classifyCode(t []byte, s, e int, m uint8) (k codeKind, ds int, word byte) {
	n := e - s
	if n > 5 {
		return 0, s, 0
	}
	if m&cbLetter != 0 {
		if d, ok := digitWord(t[s:e]); ok {
			return ckWord, s, d
		}
		return 0, s, 0
	}
	ds = s
	if m&cbX != 0 {
		switch {
		case n == 4 && t[s] == '0' && t[s+1]|0x20 == 'x':
			ds = s + 2
		case n == 3 && t[s]|0x20 == 'x':
			ds = s + 1
		default:
			return 0, s, 0
		}
		for _, c := range t[ds:e] {
			if codeByte[c]&(cbDigit|cbHexL) == 0 {
				return 0, s, 0
			}
		}
		return ckHex2, ds, 0
	}
	switch n {
	case 2:
		k = ckHex2
	case 4:
		k = ckHex4 | ckHex4LE
	}
	if m&cbHexL == 0 && n <= 3 && (n < 3 || t[s] < '2' || t[s] == '2' && (t[s+1] < '5' || t[s+1] == '5' && t[s+2] <= '5')) {
		k |= ckDec
	}
	if n == 3 && m&cbHexL == 0 && t[s] <= '3' && isOctal(t[s+1]) && isOctal(t[s+2]) {
		k |= ckOct
	}
	return k, ds, 0
}

// digitWord reads w as a spelled digit, in any case.
func digitWord(w []byte) (byte, bool) {
	if len(w) < 3 || len(w) > 5 {
		return 0, false
	}
	d, _ := codeWordOf(w)
	return d, d != 0
}

// spelledDigits are the digits spelled out, by value.
var spelledDigits = [...]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// codeWordEntry is a word of codeWordTable: its letters packed (packWord),
// the digit it spells (0: none), and whether it is a call's word.
type codeWordEntry struct {
	key   uint64
	digit byte
	glue  bool
}

// codeWordTable holds the spelled digits and the call words of at most eight
// letters, open-addressed by hashWord: a word is looked up with one
// packing of its letters rather than compared with each in turn.
var codeWordTable = func() (t [128]codeWordEntry) {
	put := func(w string, digit byte, glue bool) {
		v := packWord([]byte(w))
		h := hashWord(v)
		for t[h].key != 0 && t[h].key != v {
			h = (h + 1) % uint64(len(t))
		}
		t[h].key = v
		t[h].digit = max(t[h].digit, digit)
		t[h].glue = t[h].glue || glue
	}
	for d, w := range spelledDigits {
		put(w, '0'+byte(d), false)
	}
	for n, ws := range callWords {
		for _, w := range ws {
			if n <= 8 {
				put(w, 0, true)
			}
		}
	}
	return t
}()

// packWord packs the bytes of w, of at most eight, into an integer, each
// ORed with 0x20: a letter in small case, no byte zero (so words of
// different lengths differ), and no other byte a small letter.
func packWord(w []byte) uint64 {
	var v uint64
	for _, c := range w {
		v = v<<8 | uint64(c|0x20)
	}
	return v
}

// codeWordPairs marks, by the low five bits of each of its first two
// letters (case aside, as packWord reads them), the words of
// codeWordTable: a word whose two are not marked is none of them.
var codeWordPairs = func() (s [16]uint64) {
	for _, e := range codeWordTable {
		if e.key == 0 {
			continue
		}
		top := (63 - bits.LeadingZeros64(e.key)) &^ 7 // the first letter's shift
		p := uint(e.key>>top&31)<<5 | uint(e.key>>(top-8)&31)
		s[p/64] |= 1 << (p % 64)
	}
	return s
}()

// hashWord is the slot of codeWordTable a packed word starts its search at.
func hashWord(v uint64) uint64 { return v * 0x9E3779B97F4A7C15 >> 57 }

// codeWordOf reads w, in any case, as a spelled digit (the digit, else 0)
// and as a word of a call that wraps a code (callWords).
func codeWordOf(w []byte) (digit byte, glue bool) {
	if len(w) > 8 {
		return 0, glueWordLong(w)
	}
	if len(w) < 2 {
		return 0, false
	}
	if p := uint(w[0]&31)<<5 | uint(w[1]&31); codeWordPairs[p/64]&(1<<(p%64)) == 0 {
		return 0, false // no word of the table starts with these two letters
	}
	var v uint64
	if cap(w) >= 8 {
		// The eight bytes from w's first, read at once (those after
		// w, of the text it was cut from, are shifted out): packWord
		// without a step per letter.
		v = bits.ReverseBytes64(binary.LittleEndian.Uint64(w[:8])|ones8*0x20) >> (64 - 8*len(w))
	} else {
		v = packWord(w)
	}
	for h := hashWord(v); ; h = (h + 1) % uint64(len(codeWordTable)) {
		e := &codeWordTable[h]
		if e.key == v {
			return e.digit, e.glue
		}
		if e.key == 0 {
			return 0, false
		}
	}
}

// equalFoldASCII reports whether the letters w are s (upper case) in any
// case.
func equalFoldASCII(w []byte, s string) bool {
	if len(w) != len(s) {
		return false
	}
	for i := range w {
		if w[i]&^0x20 != s[i] {
			return false
		}
	}
	return true
}

// dumpOffset reports whether t[s:e], at the start of a line, is the
// offset of a dump line: six to eight hex digits before a colon or a
// space.
func dumpOffset(t []byte, s, e int) bool {
	if e-s < 6 || e-s > 8 || s > 0 && t[s-1] != '\n' || at(t, e) != ':' && at(t, e) != ' ' {
		return false
	}
	for _, c := range t[s:e] {
		if !is(c, clHex) {
			return false
		}
	}
	return true
}

// dumpColumn returns the end of the ASCII column after the two spaces at
// t[i], and where its text starts, or ok false: the line's rest, its
// bars and spaces aside, is at most maxDumpASCII bytes.
func dumpColumn(t []byte, i int) (start, end int, ok bool) {
	j := i
	for j < len(t) && t[j] == ' ' {
		j++
	}
	k := j
	for k < len(t) && t[k] != '\n' && k-j <= maxDumpASCII {
		k++
	}
	if k-j > maxDumpASCII || k == j {
		return 0, 0, false
	}
	return j, k, true
}

// spacedWords reports whether the rest of the line from the spaces at
// t[i] is words of two or four letters or digits, each after as many
// spaces as lastGap: the last groups of a dump spaced wide (hexdump -x
// puts four spaces between its words), not an ASCII column.
func spacedWords(t []byte, i, lastGap int) bool {
	for {
		j := i
		for j < len(t) && t[j] == ' ' {
			j++
		}
		if j == len(t) || t[j] == '\n' {
			return true
		}
		if j-i != lastGap {
			return false
		}
		k := j
		for k < len(t) && codeByte[t[k]]&cbAlnum != 0 {
			k++
		}
		if k-j != 2 && k-j != 4 || k < len(t) && t[k] != ' ' && t[k] != '\n' {
			return false
		}
		i = k
	}
}

// enough reports whether n tokens of kinds make a list.
func enough(kinds codeKind, n int) bool {
	return n >= minCodes || kinds&(ckHex4|ckHex4LE) != 0 && n >= minHex4
}

// nextCodeList finds the next list at or after i. toks, when not nil,
// gets its tokens, and cols the spans of its ASCII columns. It gives up,
// returning where, when no list is in progress at or after stop.
func nextCodeList(t []byte, i int, toks *[]codeTok, cols *[]span, stop int) (codeList, bool) {
	var first codeTok
	n, gap, glue := 0, 0, 0
	lastGap := 0 // the bytes between the last two tokens
	kinds := ckAll
	reset := func() {
		n, kinds = 0, ckAll
		if toks != nil {
			*toks = (*toks)[:0]
		}
		if cols != nil {
			*cols = (*cols)[:0]
		}
	}
	for i < len(t) {
		if n == 0 && i >= stop {
			return codeList{end: i}, false
		}
		c := t[i]
		if codeByte[c]&cbAlnum == 0 {
			if n == 0 {
				i++
				continue
			}
			if c >= 0x80 {
				if enough(kinds, n) {
					return codeList{kinds, n, i}, true
				}
				reset()
				i++
				continue
			}
			if c == ' ' && at(t, i+1) == ' ' && kinds&(ckHex2|ckHex4|ckHex4LE) != 0 && n >= 4 && gap == 0 && !spacedWords(t, i, lastGap) {
				if s, e, ok := dumpColumn(t, i); ok {
					if cols != nil {
						*cols = append(*cols, span{start: s, end: e})
					}
					i = e
					continue
				}
			}
			if gap++; gap > maxCodeGap {
				if enough(kinds, n) {
					return codeList{kinds, n, i}, true
				}
				reset()
			}
			i++
			continue
		}
		m := codeByte[c]
		e := i + 1
		for e < len(t) && codeByte[t[e]]&cbAlnum != 0 {
			m |= codeByte[t[e]]
			e++
		}
		if n == 0 && (e-i > 5 || m&cbLetter != 0 && e-i < 3) {
			// Most words of prose: no code, and no list to go on.
			i = e
			continue
		}
		if (i == 0 || t[i-1] == '\n') && e-i >= 6 && dumpOffset(t, i, e) {
			i = e
			continue
		}
		k, ds, w := classifyCode(t, i, e, m)
		tk := codeTok{s: i, ds: ds, e: e, kinds: k, word: w}
		switch {
		case k == 0:
			if n > 0 && glue < maxCodeGlue && glueWord(t[i:e]) {
				glue++
				i = e
				continue
			}
			if enough(kinds, n) {
				return codeList{kinds, n, i}, true
			}
			reset()
		case n == 0:
			first, n = tk, 1
		case n == 1 && k&first.kinds == 0:
			// A list may start inside its first token: it is dropped.
			first = tk
			if toks != nil {
				*toks = (*toks)[:0]
			}
		case kinds&k == 0:
			if enough(kinds, n) {
				return codeList{kinds, n, i}, true
			}
			reset()
			first, n = tk, 1
		default:
			kinds &= k
			n++
		}
		if n > 0 && toks != nil {
			*toks = append(*toks, tk)
		}
		lastGap, gap, glue = gap, 0, 0
		i = e
	}
	if enough(kinds, n) {
		return codeList{kinds, n, i}, true
	}
	return codeList{}, false
}

// hasCodeList reports whether t holds a list nextCodeList finds.
func hasCodeList(t []byte) bool { return codeListIn(t, spelledUnknown, nil) }

// spelled is what a caller knows of the spelled digits in a text.
type spelled uint8

const (
	spelledUnknown spelled = iota
	spelledFew             // fewer than minCodes whole words: no list of them
	spelledMany
)

// spelled says what the keyword walk learnt of the spelled digits.
func (kf kwFacts) spelled() spelled {
	switch {
	case !kf.known:
		return spelledUnknown
	case kf.digits >= minCodes:
		return spelledMany
	}
	return spelledFew
}

// codeListIn reports whether t holds a list nextCodeList finds; sp is what
// the keyword walk learnt of its spelled digits, cp (nil: nothing) what
// the digit walk learnt. Most text holds no list, and reading every word
// of it would cost more than the detectors. A list of hex or decimal
// codes of text has a digit in every code (the hex of a printable byte
// starts with 2 to 7): so only the words that hold a digit are looked at
// (by the digit walk of the numeric detectors, when it ran), and the
// words around one are read only where it and the next word may be codes
// of one list of text. A list of spelled digits is looked for only when
// the keyword walk counted enough of them, or, when it did not run, by
// probing a word every spellProbe bytes.
func codeListIn(t []byte, sp spelled, cp *codeProber) bool {
	return codeListInSpaced(t, sp, cp, true)
}

// codeListInSpaced is codeListIn, told whether t may hold a space: a
// character dump's columns stand three spaces apart (hasCharDump).
func codeListInSpaced(t []byte, sp spelled, cp *codeProber, spaces bool) bool {
	if spaces && hasCharDump(t) {
		return true
	}
	switch sp {
	case spelledMany:
		_, ok := nextCodeList(t, 0, nil, nil, len(t)+1)
		return ok
	case spelledUnknown:
		if probeCodes(t, spellProbe, false) {
			return true
		}
	}
	if cp != nil && cp.ran {
		return cp.found
	}
	return probeCodes(t, 1, true)
}

// spellProbe is the stride of the probes for spelled digits: a list of
// them spans at least 35 bytes.
const spellProbe = 16

// probeCodes looks at the word at or after p (with digits, at or after
// the first digit from p on), for p from 0 on in steps of at least
// stride.
func probeCodes(t []byte, stride int, digits bool) bool {
	var cp codeProber
	scanned := 0 // cp.scanned, kept here
	for p := 0; p < len(t); {
		i := p
		if digits {
			i = nextDigit(t, p)
		}
		for i < len(t) && codeByte[t[i]]&cbAlnum == 0 {
			i++
		}
		if i >= len(t) {
			break
		}
		// The word at i (p is at or after cp.next: at looks at it), read
		// here: most words are no code and no dump, and at would only
		// note where they end.
		s := i
		for s > scanned && codeByte[t[s-1]]&cbAlnum != 0 {
			s--
		}
		m, e := uint8(0), s
		for ; e < len(t) && codeByte[t[e]]&cbAlnum != 0; e++ {
			m |= codeByte[t[e]]
		}
		// (mayBeTextCode fails on a word of one byte or of more than
		// five, on one of letters with a digit or of fewer than three,
		// and on one of five without a letter: asked here first.)
		n := e - s
		dump := n >= 5 && mayStartWordDump(t, s, e)
		text := n >= 2 && n <= 5 && (m&cbLetter == 0 && n < 5 || m&cbLetter != 0 && m&cbDigit == 0 && n >= 3) && mayBeTextCode(t, s, e, m)
		if !dump && !text {
			p = max(e, p+stride) // at would set cp.next to e
			continue
		}
		if cp.atWordOf(t, s, e, m, dump, text); cp.found {
			return true
		}
		scanned, p = cp.scanned, max(cp.next, p+stride)
	}
	return false
}

// codeProber looks for a code list at the words it is shown.
type codeProber struct {
	scanned int  // t[:scanned] was read word by word
	next    int  // the words before next were looked at
	ran     bool // the digit walk showed it every word with a digit
	found   bool
}

// at looks at the word that holds t[i], and reads the words around it
// when it and the next word may be codes of one list of text; digits,
// when above i, is the end of the run of digits at t[i].
func (cp *codeProber) at(t []byte, i, digits int) {
	if cp.found || i < cp.next {
		return
	}
	if digits-i > 4 {
		// Too many digits for a code: most numbers of text, or a group
		// of a word dump (dumpwords.go).
		if e := wdToken(t, digits); (i == 0 || codeByte[t[i-1]]&cbAlnum == 0) && mayStartWordDump(t, i, e) && (wordDumpPair(t, i, e) || wordDumpOffset(t, i, e) || loneGroups(t, i, e)) {
			cp.found = true
		}
		cp.next = digits
		return
	}
	s := i
	for s > cp.scanned && codeByte[t[s-1]]&cbAlnum != 0 {
		s--
	}
	m, e := uint8(0), s
	for ; e < len(t) && codeByte[t[e]]&cbAlnum != 0; e++ {
		m |= codeByte[t[e]]
	}
	dump, text := e-s >= 5 && mayStartWordDump(t, s, e), mayBeTextCode(t, s, e, m)
	if !dump && !text {
		cp.next = e // all atWordOf would do
		return
	}
	cp.atWordOf(t, s, e, m, dump, text)
}

// atWordOf is at, told the word t[s:e] (from cp.scanned on) it looks at,
// of byte kinds m, whether its length and the bytes around it let it
// start a word dump (e-s >= 5 and mayStartWordDump), and whether it may
// be a code of text (mayBeTextCode).
func (cp *codeProber) atWordOf(t []byte, s, e int, m uint8, dump, text bool) {
	cp.next = e
	if dump && (wordDumpPair(t, s, e) || wordDumpOffset(t, s, e) || loneGroups(t, s, e)) {
		cp.found = true
		return
	}
	if !text || !probeHit(t, s, e, m) {
		return
	}
	cl, ok := nextCodeList(t, max(cp.scanned, s-maxCodeBack), nil, nil, e)
	if ok {
		cp.found = true
		return
	}
	cp.scanned, cp.next = cl.end, max(cl.end, e)
}

// mayStartWordDump is what wordDumpPair, wordDumpOffset and loneGroups
// all ask of the word t[s:e] first: a space after it, or a line that it
// starts.
func mayStartWordDump(t []byte, s, e int) bool {
	return s == 0 || t[s-1] == '\n' || at(t, e) == ' '
}

// mayBeTextCode is the quick test of probeCodes: whether the word t[s:e],
// of byte kinds m, may be a code of printable ASCII (textCodes): a
// spelled digit, hex starting with 2 to 7, a decimal code point.
func mayBeTextCode(t []byte, s, e int, m uint8) bool {
	c := t[s]
	switch n := e - s; {
	case m&cbLetter != 0:
		// A word of letters is a code only spelled (classifyCode), or
		// a call's word the probe reads past (probeHit).
		if m&cbDigit != 0 || n < 3 || n > 5 {
			return false
		}
		digit, glue := codeWordOf(t[s:e])
		return digit != 0 || glue
	case n == 2:
		return c >= '2' && c <= '9'
	case n == 3:
		return c == '0' || c == '1' || c|0x20 == 'x'
	case n == 4:
		return c >= '2' && c <= '7' || c == '0' && t[s+1]|0x20 == 'x'
	}
	return false
}

// maxCodeBack is how far before a probe's hit the linear scan starts.
const maxCodeBack = 96

// probeHit reports whether the word t[s:e] and the next (call words
// aside) may be two codes of one list of text: hex of a printable byte, a
// printable code point, a spelled digit.
func probeHit(t []byte, s, e int, m uint8) bool {
	if !nextMayBeCode(t, e) {
		return false
	}
	kinds, got := ckAll, 0
	for range 2 + maxCodeGlue {
		var k codeKind
		if m&cbLetter != 0 {
			// A word is a code only spelled (classifyCode), or a call's
			// word: both read at once.
			if d, glue := codeWordOf(t[s:e]); d != 0 {
				k = ckWord
			} else if !glue {
				return false
			}
		} else {
			var ds int
			if k, ds, _ = classifyCode(t, s, e, m); k != 0 {
				k &= textCodes(t, s, ds, e)
			}
			if k == 0 && !glueWord(t[s:e]) {
				return false
			}
		}
		if k != 0 { // else a call's word
			if kinds &= k; kinds == 0 {
				return false
			}
			if got++; got == 2 {
				return true
			}
		}
		j := nextCodeWord(t, e)
		if j < 0 {
			return false
		}
		s, m = j, 0
		for e = j; e < len(t) && codeByte[t[e]]&cbAlnum != 0; e++ {
			m |= codeByte[t[e]]
		}
	}
	return false
}

// nextCodeWord returns where the word after the one ending at e starts,
// as probeHit reads a gap between codes: -1 when the gap holds a byte
// above ASCII, is maxCodeGap long or more, or runs to the end of t.
func nextCodeWord(t []byte, e int) int {
	j := e
	for j < len(t) && codeByte[t[j]]&cbAlnum == 0 {
		if t[j] >= 0x80 || j-e >= maxCodeGap {
			return -1
		}
		j++
	}
	if j == len(t) {
		return -1
	}
	return j
}

// nextMayBeCode is the quick test of probeHit, which reads the word
// t[s:e] and the next before it can find two codes (its first round never
// reports a hit): false when the bytes after e do not lead to a next word
// as probeHit reads them, or that word is of letters and neither a
// spelled digit nor a call's word, where probeHit fails whatever t[s:e]
// is.
func nextMayBeCode(t []byte, e int) bool {
	j := nextCodeWord(t, e)
	if j < 0 {
		return false
	}
	m, k := uint8(0), j
	for ; k < len(t) && codeByte[t[k]]&cbAlnum != 0; k++ {
		m |= codeByte[t[k]]
	}
	if m&cbLetter == 0 {
		return true
	}
	d, glue := codeWordOf(t[j:k])
	return d != 0 || glue
}

// textCodes keeps of the kinds of the token t[s:e] (digits from ds) those
// under which it stands for printable ASCII.
func textCodes(t []byte, s, ds, e int) codeKind {
	k := ckWord
	if h := t[ds]; h >= '2' && h <= '7' {
		k |= ckHex2
		if h3 := at(t, ds+2); e-ds == 4 && h3 >= '2' && h3 <= '7' {
			k |= ckHex4 | ckHex4LE
		}
	}
	if e-ds >= 2 && e-ds <= 3 && ds == s {
		v := 0
		for _, c := range t[s:e] {
			v = v*10 + int(c-'0')
		}
		if v >= ' ' && v < 0x7F {
			k |= ckDec
		}
	}
	if e-s == 3 && ds == s && (t[s] == '0' || t[s] == '1') && isOctal(t[s+1]) && isOctal(t[s+2]) {
		if v := (t[s]-'0')<<6 | (t[s+1]-'0')<<3 | (t[s+2] - '0'); v >= ' ' && v < 0x7F {
			k |= ckOct
		}
	}
	return k
}

// codeScratch holds the tokens and columns of one list while it is read.
type codeScratch struct {
	toks []codeTok
	cols []span
	wd   wdScratch
}

// readCodes fills l with the lists of src decoded under each kind they
// may be of (each followed by a NUL), when the decoded bytes are text,
// and with the ASCII columns of a dump joined; st and en map src to the
// original (nil: src is it). It reports whether anything was kept.
func (l *layer) readCodes(src []byte, st, en []int, sc *codeScratch) bool {
	l.b, l.st, l.en = l.b[:0], l.st[:0], l.en[:0]
	for i := 0; i < len(src); {
		sc.toks, sc.cols = sc.toks[:0], sc.cols[:0]
		cl, ok := nextCodeList(src, i, &sc.toks, &sc.cols, len(src)+1)
		if !ok {
			break
		}
		i = cl.end
		for _, k := range [...]codeKind{ckHex2, ckHex4, ckHex4LE, ckDec, ckWord, ckOct} {
			toks := sc.toks
			if toks[0].kinds&k == 0 {
				toks = toks[1:]
			}
			if cl.kinds&k != 0 && enough(k, len(toks)) {
				l.appendCodes(src, st, en, toks, k)
			}
		}
		if len(sc.cols) > 1 {
			for _, c := range sc.cols {
				for k := c.start; k < c.end; k++ {
					if src[k] != '|' {
						s, e := spanOf(st, en, k)
						l.b, l.st, l.en = append(l.b, src[k]), append(l.st, s), append(l.en, e)
					}
				}
			}
			_, ce := spanOf(st, en, sc.cols[len(sc.cols)-1].end-1)
			l.b, l.st, l.en = append(l.b, 0), append(l.st, ce-1), append(l.en, ce)
		}
	}
	if hasCharDump(src) {
		l.readCharDumps(src, st, en)
	}
	l.readWordDumps(src, st, en, &sc.wd)
	return len(l.b) > 0
}

// codeBytes calls f with each byte the token tk stands for under kind k.
func codeBytes(src []byte, tk codeTok, k codeKind, f func(c byte)) {
	switch k {
	case ckHex2:
		f(unhex(src[tk.ds])<<4 | unhex(src[tk.ds+1]))
	case ckHex4:
		f(unhex(src[tk.ds])<<4 | unhex(src[tk.ds+1]))
		f(unhex(src[tk.ds+2])<<4 | unhex(src[tk.ds+3]))
	case ckHex4LE:
		f(unhex(src[tk.ds+2])<<4 | unhex(src[tk.ds+3]))
		f(unhex(src[tk.ds])<<4 | unhex(src[tk.ds+1]))
	case ckDec:
		v := 0
		for _, c := range src[tk.ds:tk.e] {
			v = v*10 + int(c-'0')
		}
		f(byte(v))
	case ckWord:
		f(tk.word)
	case ckOct:
		f((src[tk.ds]-'0')<<6 | (src[tk.ds+1]-'0')<<3 | (src[tk.ds+2] - '0'))
	}
}

// appendCodes appends the bytes toks stand for under kind k, and a NUL,
// when seven in eight are text; NULs are dropped.
func (l *layer) appendCodes(src []byte, st, en []int, toks []codeTok, k codeKind) {
	total, bad := 0, 0
	for _, tk := range toks {
		codeBytes(src, tk, k, func(c byte) {
			total++
			if !textByte(c) && c != 0 {
				bad++
			}
		})
	}
	if total < minEncBytes || bad > total/8 {
		return
	}
	for _, tk := range toks {
		s, _ := spanOf(st, en, tk.s)
		_, e := spanOf(st, en, tk.e-1)
		codeBytes(src, tk, k, func(c byte) {
			if c != 0 {
				l.b, l.st, l.en = append(l.b, c), append(l.st, s), append(l.en, e)
			}
		})
	}
	_, ce := spanOf(st, en, toks[len(toks)-1].e-1)
	l.b, l.st, l.en = append(l.b, 0), append(l.st, ce-1), append(l.en, ce)
}
