package mask

// Code lists. A value is also written one character at a time as a list
// of codes: its bytes in hex with a separator (34 31 31 31, 34:31:31,
// 0x34,0x31), as a hex dump (xxd, hexdump -C and od lines, with offsets
// and ASCII columns), as decimal code points (52,49,49, chr(52)+chr(49),
// String.fromCharCode(52,49), CHAR(52)||CHAR(49)), or as spelled digits
// (four, one, one, one). A reader, or a one-line decoder, turns the list
// back; so a text holding a list of at least minCodes such codes is also
// read with the list decoded, when the decoded bytes are text, and the
// ASCII columns of a dump are read joined. A match masks the codes its
// bytes were written in (and what stands between them).
//
// A list is a run of tokens (letters and digits) of one kind, with at
// most maxCodeGap other bytes between two: the separators, brackets and
// &#, and up to two words of the calls that wrap a code (chr, char,
// String, fromCharCode). At the start of a line, a dump's offset is
// skipped; after two spaces, a line's rest of at most maxDumpASCII bytes
// is an ASCII column. A list's first token is dropped when it does not fit
// the kind of the others: a stream window may begin inside a list.

// codeKind is the kind of a token of a code list; a token may be of
// several (31 is hex and decimal).
type codeKind uint8

const (
	ckHex2 codeKind = 1 << iota // two hex digits, perhaps after 0x or x
	ckHex4                      // four hex digits: two bytes, as xxd groups them
	ckDec                       // a decimal code point, 0-255
	ckWord                      // a spelled digit, zero to nine
	ckAll  = ckHex2 | ckHex4 | ckDec | ckWord
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
	// maxCodeGlue bounds the words of a call between two codes.
	maxCodeGlue = 2
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

// classifyCode returns the kinds of the token t[s:e], where its digits
// start, and the digit a spelled digit stands for.
func classifyCode(t []byte, s, e int) (k codeKind, ds int, word byte) {
	n := e - s
	if n > 5 {
		return 0, s, 0
	}
	ds = s
	switch {
	case n == 4 && t[s] == '0' && t[s+1]|0x20 == 'x':
		ds = s + 2
	case n == 3 && t[s]|0x20 == 'x':
		ds = s + 1
	}
	hexOnly, decOnly := true, true
	for _, c := range t[ds:e] {
		hexOnly = hexOnly && is(c, clHex)
		decOnly = decOnly && isDigit(c)
	}
	m := e - ds
	if hexOnly && m == 2 {
		k |= ckHex2
	}
	if hexOnly && m == 4 && ds == s {
		k |= ckHex4
	}
	if decOnly && ds == s && m <= 3 && (m < 3 || t[s] < '2' || t[s] == '2' && (t[s+1] < '5' || t[s+1] == '5' && t[s+2] <= '5')) {
		k |= ckDec
	}
	if k == 0 && n >= 3 {
		if d, ok := digitWord(t[s:e]); ok {
			return ckWord, s, d
		}
	}
	return k, ds, 0
}

// digitWord reads w as a spelled digit, in any case.
func digitWord(w []byte) (byte, bool) {
	for d, name := range digitNames {
		if equalFoldASCII(w, name) {
			return byte('0' + d), true
		}
	}
	return 0, false
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

var codeGlue = [...]string{"CHR", "CHAR", "CHRW", "STRING", "FROMCHARCODE"}

// glueWord reports whether w is a word of a call that wraps a code.
func glueWord(w []byte) bool {
	for _, g := range codeGlue {
		if equalFoldASCII(w, g) {
			return true
		}
	}
	return false
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

// enough reports whether n tokens of kinds make a list.
func enough(kinds codeKind, n int) bool {
	return n >= minCodes || kinds&ckHex4 != 0 && n >= minHex4
}

// nextCodeList finds the next list at or after i. toks, when not nil,
// gets its tokens, and cols the spans of its ASCII columns.
func nextCodeList(t []byte, i int, toks *[]codeTok, cols *[]span) (codeList, bool) {
	var first codeTok
	n, gap, glue := 0, 0, 0
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
		c := t[i]
		if !isAlnum(c) {
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
			if c == ' ' && at(t, i+1) == ' ' && kinds&(ckHex2|ckHex4) != 0 && n >= 4 {
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
		e := i + 1
		for e < len(t) && isAlnum(t[e]) {
			e++
		}
		if n == 0 && e-i > 5 {
			// Most words of prose: no code, and no list to go on.
			i = e
			continue
		}
		if (i == 0 || t[i-1] == '\n') && dumpOffset(t, i, e) {
			i = e
			continue
		}
		k, ds, w := classifyCode(t, i, e)
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
		gap, glue = 0, 0
		i = e
	}
	if enough(kinds, n) {
		return codeList{kinds, n, i}, true
	}
	return codeList{}, false
}

// hasCodeList reports whether t holds a list nextCodeList finds.
func hasCodeList(t []byte) bool {
	_, ok := nextCodeList(t, 0, nil, nil)
	return ok
}

// codeScratch holds the tokens and columns of one list while it is read.
type codeScratch struct {
	toks []codeTok
	cols []span
}

// readCodes fills l with the lists of src decoded under each kind they
// may be of (each followed by a NUL), when the decoded bytes are text,
// and with the ASCII columns of a dump joined; st and en map src to the
// original (nil: src is it). It reports whether anything was kept.
func (l *layer) readCodes(src []byte, st, en []int, sc *codeScratch) bool {
	l.b, l.st, l.en = l.b[:0], l.st[:0], l.en[:0]
	for i := 0; i < len(src); {
		sc.toks, sc.cols = sc.toks[:0], sc.cols[:0]
		cl, ok := nextCodeList(src, i, &sc.toks, &sc.cols)
		if !ok {
			break
		}
		i = cl.end
		for _, k := range [...]codeKind{ckHex2, ckHex4, ckDec, ckWord} {
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
	case ckDec:
		v := 0
		for _, c := range src[tk.ds:tk.e] {
			v = v*10 + int(c-'0')
		}
		f(byte(v))
	case ckWord:
		f(tk.word)
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
