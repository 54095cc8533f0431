package mask

import "bytes"

// Word dumps. od, xxd and hexdump print bytes in groups of other widths,
// bases and orders than the hex codes of codelists.go read: 32- and
// 64-bit hex words (od -tx4, -tx8, xxd -e, xxd -g 8), 16- and 32-bit
// octal words (od -o, -to4, hexdump -o), bits (xxd -b), 16- and 32-bit
// decimal words (od -d, -D, hexdump -d), and xxd's short lines (-c 2,
// -c 4) whose ASCII columns the code lists do not join. A run of such
// lines is read as the bytes its groups stand for, in both byte orders,
// and its ASCII columns joined; a match masks the groups (or the column
// characters) its bytes were printed in.

// wdKind is a base a group of a word dump may be written in.
type wdKind uint8

const (
	wdHex wdKind = 1 << iota
	wdOct
	wdBin
	wdDec
	wdAll = wdHex | wdOct | wdBin | wdDec
)

const (
	// maxWordDumpGroups bounds the groups of one dump line.
	maxWordDumpGroups = 64
	// maxWordDumpColumn bounds an ASCII column of a word dump (xxd -c
	// 32 and its bars).
	maxWordDumpColumn = 66
	// maxWordDumpGap bounds the spaces between two groups of a line
	// (od -D pads its decimals to eleven columns).
	maxWordDumpGap = 10
)

// wdGroupKinds returns the bases t[s:e] may be a group of, given its
// length.
func wdGroupKinds(t []byte, s, e int) wdKind {
	n := e - s
	if n > 32 {
		return 0
	}
	var m uint8
	for _, c := range t[s:e] {
		m |= codeByte[c]
	}
	if m&(cbLetter|cbX) != 0 {
		return 0
	}
	var k wdKind
	switch n {
	case 2, 4, 8, 16, 32:
		k |= wdHex
	}
	if m&cbHexL != 0 {
		return k
	}
	oct, bin := true, true
	for _, c := range t[s:e] {
		oct = oct && c <= '7'
		bin = bin && c <= '1'
	}
	if oct && (n == 6 && t[s] <= '1' || n == 11 && t[s] <= '3' || n == 22 && t[s] <= '1') {
		k |= wdOct
	}
	if bin && n == 8 {
		k |= wdBin
	}
	if n <= 10 {
		k |= wdDec
	}
	return k
}

// wdToken returns the end of the token of letters and digits at t[i].
func wdToken(t []byte, i int) int {
	for i < len(t) && codeByte[t[i]]&cbAlnum != 0 {
		i++
	}
	return i
}

// wordDumpPair is the quick test: whether the word at t[s:e] and the next
// one, after one to maxWordDumpGap spaces, may be two groups of five
// digits or more of one word dump. Shorter groups are codelists.go's, or
// follow an offset with a colon (wordDumpOffset): two groups of four
// digits are as often a card or an account number written in groups.
func wordDumpPair(t []byte, s, e int) bool {
	if e-s < 5 || at(t, e) != ' ' || !isDigit(t[s]) {
		return false
	}
	j := e
	for j < len(t) && t[j] == ' ' && j-e <= maxWordDumpGap {
		j++
	}
	if j-e > maxWordDumpGap || !isDigit(at(t, j)) {
		return false // a group of text starts with a digit in every base
	}
	f := wdToken(t, j)
	if f-j != e-s && (f-j < 4 || f-j > 10 || e-s > 10) {
		return false // of two lengths: decimals only
	}
	k := wdGroupKinds(t, s, e) & wdGroupKinds(t, j, f)
	if k&^wdDec == 0 || f-j != e-s {
		// Decimals differ in length; five digits or more are words.
		return k&wdDec != 0 && f-j >= 4
	}
	return true
}

// wordDumpOffset is the quick test for a dump of one group a line (xxd
// -c 2, od -w4): whether t[s:e], at the start of a line, is an offset of
// six to eleven hex digits, before a group of hex of text, with a colon
// or before a line that starts with an offset as long.
func wordDumpOffset(t []byte, s, e int) bool {
	if e-s < 6 || e-s > 11 || s > 0 && t[s-1] != '\n' {
		return false
	}
	colon := at(t, e) == ':'
	j := e
	if colon {
		j++
	}
	if at(t, j) != ' ' {
		return false
	}
	j++
	f := wdToken(t, j)
	if f == j || t[j] < '2' || t[j] > '7' || (f-j)%2 != 0 || !hexToken(t, j, f) {
		return false
	}
	if colon {
		return true
	}
	n := f
	for n < len(t) && t[n] != '\n' {
		n++
	}
	return n+1 < len(t) && wdToken(t, n+1)-n-1 == e-s && at(t, n+1+e-s) == ' '
}

// loneGroups is the quick test for a dump of one group a line without
// offsets (xxd -p -c 4): whether t[s:e] is a line of an even number of
// hex digits, six or more, of text (starting with 2 to 7), and the next
// line holds one token as long (or shorter, ending the text).
func loneGroups(t []byte, s, e int) bool {
	n := e - s
	if n < 6 || n%2 != 0 || s > 0 && t[s-1] != '\n' || at(t, e) != '\n' || t[s] < '2' || t[s] > '7' || !hexToken(t, s, e) {
		return false
	}
	f := wdToken(t, e+1)
	return f-e-1 == n && at(t, f) == '\n' || f-e-1 > 0 && f-e-1 < n && f >= len(t)-1
}

// wdLine is one line of a word dump.
type wdLine struct {
	end    int // before its '\n'
	kinds  wdKind
	width  int // the groups' length (decimals: the longest)
	groups []span
	col    span // the ASCII column, empty when none
	offset bool // the line starts with an offset
}

// readWordDumpLine reads the line that begins at t[i] as a word dump line:
// an offset (six to eleven hex digits, perhaps with a colon), groups of
// one base and length, and after an offset with a colon (xxd's), an
// ASCII column after two spaces or more. width and kinds are the groups'
// length and bases in the lines before (0 and wdAll: none); a last group
// may be shorter, in hex (xxd prints the bytes left). groups is reused.
func readWordDumpLine(t []byte, i, width int, kinds wdKind, groups []span) (l wdLine, ok bool) {
	l.groups = groups[:0]
	l.kinds = kinds
	l.width = width
	j := i
	colon := false
	if j < len(t) && t[j] != ' ' {
		e := wdToken(t, j)
		n := e - j
		k := e
		for k < len(t) && t[k] == ' ' {
			k++
		}
		switch {
		case n < 6 || n > 11:
		case at(t, e) == ':':
			colon, l.offset = true, true
			j = e + 1
		case wdLineEnd(t, k) && n != width && !loneGroups(t, j, e) && !(n < width && n%2 == 0 && hexToken(t, j, e)):
			return l, false // od's last line: the offset alone
		case at(t, e) == ' ' && wdToken(t, k)-k != n && !wdLineEnd(t, k):
			// An offset, unless the next token is a group as long as
			// it (hexdump -e prints groups without offsets).
			j, l.offset = e, true
		}
	}
	short := false
	for j < len(t) && !wdLineEnd(t, j) {
		g := j
		for j < len(t) && t[j] == ' ' {
			j++
		}
		gap := j - g
		if wdLineEnd(t, j) {
			break
		}
		e := wdToken(t, j)
		k := wdGroupKinds(t, j, e)
		if l.width > 0 && e-j < l.width && (e-j)%2 == 0 && hexToken(t, j, e) {
			k |= wdHex
		}
		if colon && len(l.groups) > 0 && gap >= 2 {
			// xxd's ASCII column, or a last group right-aligned before it.
			c := e
			for c < len(t) && t[c] == ' ' {
				c++
			}
			if short || k&wdHex == 0 || e-j > l.width || c-e < 2 || wdLineEnd(t, c) {
				for c = j; c < len(t) && t[c] != '\n' && c-j <= maxWordDumpColumn; c++ {
				}
				if c-j > maxWordDumpColumn {
					return l, false
				}
				l.col = span{start: j, end: c}
				j = c
				break
			}
		}
		if short || e == j || k == 0 || gap > maxWordDumpGap && !colon && len(l.groups) > 0 || !wdLineEnd(t, e) && t[e] != ' ' {
			return l, false
		}
		switch {
		case l.width > 0 && e-j < l.width && k&wdHex != 0 && l.kinds&wdHex != 0:
			short, k = true, wdHex
		case l.width > 0 && e-j != l.width:
			k &= wdDec
		}
		if l.kinds &= k; l.kinds == 0 || len(l.groups) == maxWordDumpGroups {
			return l, false
		}
		if !short {
			l.width = max(l.width, e-j)
		}
		l.groups = append(l.groups, span{start: j, end: e})
		j = e
	}
	l.end = j
	return l, len(l.groups) > 0
}

// wdLineEnd reports whether t[j] ends a line (or t).
func wdLineEnd(t []byte, j int) bool { return j >= len(t) || t[j] == '\n' || t[j] == '\r' }

// hexToken reports whether t[s:e] is all hex digits.
func hexToken(t []byte, s, e int) bool {
	for _, c := range t[s:e] {
		if !is(c, clHex) {
			return false
		}
	}
	return true
}

// wdBytes calls f with the bytes the group t[g] stands for in base k, in
// big-endian order (le false) or little-endian; size is the bytes of a
// decimal group.
func wdBytes(t []byte, g span, k wdKind, size int, le bool, f func(c byte)) {
	var v uint64
	var n int
	switch k {
	case wdHex:
		if g.end-g.start > 16 {
			// 128 bits: two halves, each in its order.
			h := span{start: g.start, end: g.start + 16}
			l := span{start: g.start + 16, end: g.end}
			if le {
				h, l = l, h
			}
			wdBytes(t, h, k, size, le, f)
			wdBytes(t, l, k, size, le, f)
			return
		}
		for _, c := range t[g.start:g.end] {
			v = v<<4 | uint64(unhex(c))
		}
		n = (g.end - g.start) / 2
	case wdOct:
		for _, c := range t[g.start:g.end] {
			v = v<<3 | uint64(c-'0')
		}
		n = (g.end - g.start) * 3 / 8 // 6, 11, 22 digits: 2, 4, 8 bytes
	case wdBin:
		for _, c := range t[g.start:g.end] {
			v = v<<1 | uint64(c-'0')
		}
		n = 1
	case wdDec:
		for _, c := range t[g.start:g.end] {
			v = v*10 + uint64(c-'0')
		}
		n = size
	}
	for i := range n {
		if le {
			f(byte(v >> (8 * i)))
		} else {
			f(byte(v >> (8 * (n - 1 - i))))
		}
	}
}

// repeatLine reports whether the line at t[i] is od's "*" (spaces
// around it), which stands for the line before repeated.
func repeatLine(t []byte, i int) bool {
	for i < len(t) && t[i] == ' ' {
		i++
	}
	if at(t, i) != '*' {
		return false
	}
	i++
	for i < len(t) && t[i] == ' ' {
		i++
	}
	return wdLineEnd(t, i)
}

// wdScratch holds the lines of one run of a word dump while it is read.
type wdScratch struct {
	groups []span
	cols   []span
	line   []span
}

// readWordDumps appends to l the bytes of every run of word dump lines of
// src, under each base and order the run may be in, and its ASCII columns
// joined (each followed by a NUL), when they are text; st and en map src
// to the original (nil: src is it).
func (l *layer) readWordDumps(src []byte, st, en []int, sc *wdScratch) {
	var kinds wdKind
	width := 0
	last, lastEnd := 0, 0 // the groups of the run's last line
	flush := func() {
		if len(sc.groups) >= 2 {
			for _, k := range [...]wdKind{wdHex, wdOct, wdBin, wdDec} {
				if kinds&k == 0 {
					continue
				}
				size := 2
				if k == wdDec {
					if width <= 3 {
						continue // decimal bytes: codelists.go
					}
					if width > 5 {
						size = 4
					}
				}
				l.appendWordGroups(src, st, en, sc.groups, k, size, false)
				if k != wdBin && (k != wdHex || width > 2) {
					l.appendWordGroups(src, st, en, sc.groups, k, size, true)
				}
			}
		}
		if len(sc.cols) > 1 {
			for _, c := range sc.cols {
				for k := c.start; k < c.end; k++ {
					s, e := spanOf(st, en, k)
					l.b, l.st, l.en = append(l.b, src[k]), append(l.st, s), append(l.en, e)
				}
			}
			_, ce := spanOf(st, en, sc.cols[len(sc.cols)-1].end-1)
			l.b, l.st, l.en = append(l.b, 0), append(l.st, ce-1), append(l.en, ce)
		}
		sc.groups, sc.cols, kinds, width, last, lastEnd = sc.groups[:0], sc.cols[:0], 0, 0, 0, 0
	}
	for i := 0; i < len(src); {
		rk := kinds
		if rk == 0 {
			rk = wdAll
		}
		if len(sc.groups) > 0 && repeatLine(src, i) {
			// od's "*": the line before, repeated (once at least).
			sc.groups = append(sc.groups, sc.groups[last:lastEnd]...)
			if e := bytes.IndexByte(src[i:], '\n'); e >= 0 {
				i += e + 1
				continue
			}
			break
		}
		ln, ok := readWordDumpLine(src, i, width, rk, sc.line)
		if !ok && len(sc.groups) > 0 {
			// Not a line of this run: perhaps the first of another.
			flush()
			ln, ok = readWordDumpLine(src, i, 0, wdAll, ln.groups)
		}
		sc.line = ln.groups[:0]
		if ok && len(sc.groups) > 0 && (ln.kinds&kinds == 0 || ln.width != width && ln.kinds&kinds != wdDec) {
			flush()
		}
		if ok && (len(ln.groups) >= 2 || ln.offset || ln.col.end > ln.col.start || len(sc.groups) > 0 || loneGroups(src, i, ln.end)) {
			if len(sc.groups) == 0 {
				kinds = ln.kinds
			} else {
				kinds &= ln.kinds
			}
			width = max(width, ln.width)
			last = len(sc.groups)
			sc.groups = append(sc.groups, ln.groups...)
			lastEnd = len(sc.groups)
			if ln.col.end > ln.col.start {
				sc.cols = append(sc.cols, ln.col)
			}
		} else if len(sc.groups) > 0 {
			flush()
		}
		e := bytes.IndexByte(src[i:], '\n')
		if e < 0 {
			break
		}
		i += e + 1
	}
	flush()
}

// appendWordGroups appends the bytes groups stand for in base k and the
// order le, and a NUL, when seven in eight are text; NULs (a last word's
// padding) are dropped.
func (l *layer) appendWordGroups(src []byte, st, en []int, groups []span, k wdKind, size int, le bool) {
	total, bad := 0, 0
	for _, g := range groups {
		wdBytes(src, g, k, size, le, func(c byte) {
			total++
			if !textByte(c) && c != 0 {
				bad++
			}
		})
	}
	if total < minEncBytes || bad > total/8 {
		return
	}
	for _, g := range groups {
		s, _ := spanOf(st, en, g.start)
		_, e := spanOf(st, en, g.end-1)
		wdBytes(src, g, k, size, le, func(c byte) {
			if c != 0 {
				l.b, l.st, l.en = append(l.b, c), append(l.st, s), append(l.en, e)
			}
		})
	}
	_, ce := spanOf(st, en, groups[len(groups)-1].end-1)
	l.b, l.st, l.en = append(l.b, 0), append(l.st, ce-1), append(l.en, ce)
}
