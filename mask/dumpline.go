package mask

// Dump lines read as numbers. od, xxd and hexdump print bytes as groups of
// hex, octal or decimal digits; the digit runs of those groups, read
// across their separators or inside a hex group, look like card, social
// security and phone numbers (about four clean dumps in ten were masked:
// TestDumpsCleanGenerated). A dump's bytes are read by the dump readers
// (codelists.go, chardump.go, dumpwords.go), which mask a secret the
// bytes hold; the plain reading of the groups' digits is noise there, and
// is dropped where a line is a dump line beyond doubt: an offset column or
// the look of a dump (hex letters, character fields, more digits than a
// card has), groups at one pitch, and a neighbouring line of the same
// shape. A group that is a decimal number in a field no wider than itself
// (a card in a numbered list) is still read.

// maxDumpLine bounds a dump line's bytes; with it a line and its
// neighbour before lie within ctxBefore of any byte of the line.
const maxDumpLine = 120

// dumpLine is one line read as a dump line.
type dumpLine struct {
	ok     bool
	offLen int    // the offset's length (0: none)
	off    uint64 // the offset (or a lone token), its digits read in hex
	groups int
	// pitchS and pitchE are the bytes from one group's start (end) to
	// the next when the same all along the line, else -1.
	pitchS, pitchE int
	width          int  // the longest group
	digits         int  // the groups' characters
	lone           bool // one token alone (xxd -p, or od's last offset)
	hexL           bool // a group holds a hex letter
	chars          bool // a group is a character field (od -c, od -a)
	ls             int  // where the line starts
	gs, ge         int  // the groups' region
}

// isHexDigit reports whether c is a hex digit.
func isHexDigit(c byte) bool { return codeByte[c]&(cbDigit|cbHexL) != 0 }

// parseDumpLine reads the line t[ls:le] (no line break) as a dump line.
func parseDumpLine(t []byte, ls, le int) dumpLine {
	d := dumpLine{ls: ls}
	if le-ls > maxDumpLine {
		return dumpLine{}
	}
	for le > ls && t[le-1] == ' ' {
		le--
	}
	if le <= ls {
		return dumpLine{}
	}
	i := ls
	if isHexDigit(t[i]) {
		e := i
		for e < le && isHexDigit(t[e]) {
			e++
		}
		n := e - i
		colon := at(t, e) == ':' && e < le
		switch {
		case n >= 6 && n <= 16 && (colon || n == 7 && e < le || n == 8 && at(t, e) == ' ' && at(t, e+1) == ' '):
			for k := i; k < e; k++ {
				d.off = d.off<<4 | uint64(hexVal(t[k]))
			}
			if colon {
				e++
			}
			d.offLen = e - i
			i = e
			if t[i] != ' ' {
				return dumpLine{}
			}
			d.gs, d.ge = i, i
		case e == le && (n >= 4 && n%2 == 0 || n == 7):
			// One token alone: xxd -p's line, or od's last line (the
			// offset alone).
			for k := i; k < e && k-i < 16; k++ {
				d.off = d.off<<4 | uint64(hexVal(t[k]))
			}
			d.lone = true
		}
	}
	prevS, prevE, gaps := -1, -1, 0
	okS, okE := true, true
	for i < le {
		for i < le && t[i] == ' ' {
			i++
		}
		if i == le {
			break
		}
		s := i
		for i < le && t[i] != ' ' {
			i++
		}
		n := i - s
		hex, hexL := true, false
		ds := s
		if t[s] == '-' && n > 1 { // od -td: a negative number
			ds++
		}
		for _, c := range t[ds:i] {
			hex = hex && isHexDigit(c)
			hexL = hexL || codeByte[c]&cbHexL != 0
		}
		char := !hex && n <= 3
		if !hex && !char || hex && n > 64 || char && (prevE >= 0 && i-prevE != 4 || d.width > 3) {
			break
		}
		if prevE >= 0 {
			pS, pE := s-prevS, i-prevE
			if d.pitchS == 0 {
				d.pitchS, d.pitchE = pS, pE
			} else {
				extra := gaps == 0 && !char && pS == d.pitchS+1 && pE == d.pitchE+1 // hexdump -C's middle gap
				if extra {
					gaps++
				}
				nS := okS && (pS == d.pitchS || extra)
				nE := okE && (pE == d.pitchE || extra)
				if !nS && !nE {
					break
				}
				okS, okE = nS, nE
			}
		} else if d.offLen == 0 {
			d.gs = s
		}
		prevS, prevE = s, i
		d.ge = i
		d.groups++
		d.hexL = d.hexL || hexL
		d.chars = d.chars || char
		if n > d.width {
			d.width = n
		}
		d.digits += i - ds
	}
	if !okS {
		d.pitchS = -1
	}
	if !okE {
		d.pitchE = -1
	}
	if d.groups == 0 && !(d.offLen > 0 && d.gs == le) || d.groups > 0 && d.width < 2 && !d.chars {
		// (Digits one by one are no dump's groups: "4 1 1 1 ...".)
		return dumpLine{}
	}
	d.ok = true
	return d
}

// hexVal returns the value of the hex digit c.
func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// wholeNumber reports whether x is one whole group of the dump line d
// that is a decimal number in a field of its own width: not a hex group,
// not right-aligned in a wider field (od -D, od -tu8), no longer than a
// card. Such a number is read as it stands (a card in a numbered list).
func wholeNumber(t []byte, x span, d dumpLine) bool {
	if d.hexL || d.chars || x.end-x.start > 19 {
		return false
	}
	for _, c := range t[x.start:x.end] {
		if !isDigit(c) {
			return false
		}
	}
	if x.end < d.ge && t[x.end] != ' ' {
		return false
	}
	b := at(t, x.start-1)
	return b == '\n' || x.start == 0 || b == ' ' && at(t, x.start-2) != ' '
}

// looksDump reports whether the dump line d shows what a card or a list
// of numbers does not: hex letters, character fields, more digits in its
// groups than a card has.
func (d dumpLine) looksDump() bool {
	return d.hexL || d.chars || d.digits > 19
}

// sameShape reports whether n, a line next to d (after it when later),
// continues d's dump.
func (d dumpLine) sameShape(n dumpLine, later bool) bool {
	if !n.ok || d.groups == 0 {
		return false
	}
	if later && n.lone && d.offLen > 0 && n.width == d.offLen && n.off > d.off {
		return true // od's and hexdump's last line: the offset alone
	}
	if n.offLen != d.offLen || n.groups == 0 {
		return false
	}
	if d.offLen > 0 && (later && n.off <= d.off || !later && n.off >= d.off) {
		return false
	}
	if d.lone || n.lone {
		return d.lone && n.lone && (n.width == d.width || later && n.width < d.width || !later && d.width < n.width)
	}
	if d.groups == 1 && n.groups == 1 {
		return d.width == n.width || later && n.width < d.width || !later && d.width < n.width
	}
	if d.pitchS > 0 && n.pitchS == d.pitchS || d.pitchE > 0 && n.pitchE == d.pitchE {
		return true
	}
	// A short last line.
	if n.chars != d.chars {
		return false
	}
	if later {
		return n.groups < d.groups && (n.groups == 1 || n.pitchS == d.pitchS)
	}
	return d.groups < n.groups && (d.groups == 1 || n.pitchS == d.pitchS)
}

// lineAround returns the line holding t[i] when it is no longer than
// maxDumpLine.
func lineAround(t []byte, i int) (ls, le int) {
	ls = i
	for ls > 0 && t[ls-1] != '\n' && i-ls <= maxDumpLine {
		ls--
	}
	le = i
	for le < len(t) && t[le] != '\n' && le-ls <= maxDumpLine {
		le++
	}
	return ls, le
}

// dumpLineAround returns the dump line holding t[i] when it is one
// beyond doubt (see the head of this file).
func dumpLineAround(t []byte, i int) (dumpLine, bool) {
	ls, le := lineAround(t, i)
	d := parseDumpLine(t, ls, le)
	if !d.ok || d.groups == 0 {
		return d, false
	}
	var p, n dumpLine
	if ls > 0 {
		ps, pe := lineAround(t, ls-1)
		if pe == ls-1 {
			p = parseDumpLine(t, ps, pe)
		}
	}
	if le < len(t) && le+1 < len(t) {
		ns, ne := lineAround(t, le+1)
		if ns == le+1 {
			n = parseDumpLine(t, ns, ne)
		}
	}
	sp, sn := d.sameShape(p, false), d.sameShape(n, true)
	looks := d.looksDump() || sp && p.looksDump() || sn && n.looksDump()
	if !looks && (sp || sn) && d.digits <= 8 {
		looks = hexNear(t, ls, le, d)
	}
	if (sp || sn) && looks {
		d.hexL = d.hexL || sp && p.hexL || sn && n.hexL
		return d, true
	}
	return d, false
}

// maxLoneWalk bounds the bytes loneHexNear reads on either side of a
// line: with the line itself, within ctxBefore.
const maxLoneWalk = 120

// hexNear reports whether a short dump line d, t[ls:le], has among the
// lines of its shape around it (at most sixteen on either side, within
// maxLoneWalk bytes) one with a hex letter: a dump of two or four bytes a
// line (xxd -p -c 4, od -tx1 -w2) shows one within a few lines, a column
// of numbers (a card cut in pieces) does not.
func hexNear(t []byte, ls, le int, d dumpLine) bool {
	like := func(q dumpLine) bool {
		return q.ok && q.offLen == d.offLen && q.lone == d.lone && q.chars == d.chars && q.width <= d.width && q.groups <= d.groups && q.groups > 0
	}
	for k, s := 0, ls; k < 16 && s > 0 && ls-s < maxLoneWalk; k++ {
		ps, pe := lineAround(t, s-1)
		q := parseDumpLine(t, ps, pe)
		if !like(q) {
			break
		}
		if q.hexL {
			return true
		}
		s = ps
	}
	for k, e := 0, le; k < 16 && e+1 < len(t) && e-le < maxLoneWalk; k++ {
		ns, ne := lineAround(t, e+1)
		q := parseDumpLine(t, ns, ne)
		if !like(q) {
			break
		}
		if q.hexL {
			return true
		}
		e = ne
	}
	return false
}

// dumpNoise reports whether the number candidate x is a reading of a
// dump's group digits: every line it touches is a dump line beyond doubt,
// it lies in their groups (and at most a few digits of a line's ASCII
// column), and it is not one whole group that is a decimal number in its
// own field.
func dumpNoise(t []byte, x span) bool {
	i := x.start
	for {
		d, ok := dumpLineAround(t, i)
		if !ok || x.start < d.ls && i == x.start {
			return false
		}
		le := dumpLineEnd(t, d.ge)
		if x.end <= d.ge || x.end <= le && dumpDigits(t[d.ge:x.end]) < 8 {
			if x.start >= d.gs && wholeNumber(t, x, d) {
				return false
			}
			return true
		}
		// The candidate goes on past the line: it must go on to the
		// next line's groups.
		nl := d.ge
		for nl < len(t) && t[nl] == ' ' {
			nl++
		}
		if nl >= x.end || t[nl] != '\n' {
			return false
		}
		i = nl + 1
		for i < len(t) && t[i] == ' ' {
			i++
		}
		if i >= x.end {
			return false
		}
	}
}

// dumpLineEnd returns the end of the line t[i] is on.
func dumpLineEnd(t []byte, i int) int {
	for i < len(t) && t[i] != '\n' {
		i++
	}
	return i
}

// dumpDigits counts the digits of b.
func dumpDigits(b []byte) int {
	n := 0
	for _, c := range b {
		if isDigit(c) {
			n++
		}
	}
	return n
}

// dropDumpNoise drops the card, SSN and phone candidates of out[k:] that
// are readings of a dump's group digits (dumpNoise), in the text or a view
// that keeps its digits (escapes decoded, joins removed); what the dump
// readers found in the bytes a dump stands for is kept.
func (p *Policy) dropDumpNoise(t []byte, out []span, k int) []span {
	r := &p.runs
	w := k
	for _, x := range out[k:] {
		if !x.decoded && x.det >= 0 && (x.det == r.card || x.det == r.ssn || x.det == r.phone) && dumpNoise(t, x) {
			continue
		}
		out[w] = x
		w++
	}
	return out[:w]
}
