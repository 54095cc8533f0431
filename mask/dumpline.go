package mask

// Dump lines read as numbers. od, xxd and hexdump print bytes as groups of
// hex, octal or decimal digits; the digit runs of those groups, read
// across their separators or inside a hex group, look like card, social
// security and phone numbers (about four clean dumps in ten were masked:
// TestDumpsCleanGenerated). A dump's bytes are read by the dump readers
// (codelists.go, chardump.go, dumpwords.go), which mask a secret the
// bytes hold; the plain reading of the groups' digits is noise there, and
// is dropped where a line is a dump line beyond doubt: an offset column or
// the look of a dump (hex letters, character fields, more groups than a
// card prints), groups at one pitch, and a neighbouring line of the same
// shape. A group that is a number in a field no wider than itself (a card
// in a numbered list) is still read.

// maxDumpLine bounds a dump line's bytes; with it a line and its
// neighbour before lie within ctxBefore of any byte of the line.
const maxDumpLine = 120

// dumpLine is one line read as a dump line.
type dumpLine struct {
	ok     bool
	offLen int    // the offset's length (0: none)
	off    uint64 // the offset, its digits read in hex
	groups int
	pitch  int  // bytes from one group's end to the next
	width  int  // the longest group
	padded bool // a group is narrower than its field
	hexL   bool // a group holds a hex letter
	chars  bool // a group is a character field (od -c, od -a)
	ls     int  // where the line starts
	gs, ge int  // the groups' region
}

// isHexDigit reports whether c is a hex digit.
func isHexDigit(c byte) bool { return codeByte[c]&(cbDigit|cbHexL) != 0 }

// parseDumpLine reads the line t[ls:le] (no line break) as a dump line.
func parseDumpLine(t []byte, ls, le int) dumpLine {
	d := dumpLine{ls: ls}
	if le-ls > maxDumpLine || le <= ls {
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
		if n >= 6 && n <= 16 && (colon || n == 7 || n == 8 && at(t, e) == ' ' && at(t, e+1) == ' ' || e == le) {
			for k := i; k < e; k++ {
				d.off = d.off<<4 | uint64(hexVal(t[k]))
			}
			if colon {
				e++
			}
			d.offLen = e - i
			i = e
			if i == le { // od's and hexdump's last line: the offset alone
				d.ok = true
				d.gs, d.ge = i, i
				return d
			}
			if t[i] != ' ' {
				return dumpLine{}
			}
			d.gs = i
		}
	}
	prevEnd, gaps := -1, 0
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
		if t[s] == '-' && i-s > 1 { // od -td: a negative number
			ds++
		}
		for _, c := range t[ds:i] {
			hex = hex && isHexDigit(c)
			hexL = hexL || codeByte[c]&cbHexL != 0
		}
		char := !hex && n <= 3
		if !hex && !char || hex && n > 64 {
			break
		}
		if prevEnd >= 0 {
			p := i - prevEnd
			switch {
			case d.pitch == 0:
				d.pitch = p
			case p == d.pitch:
			case p == d.pitch+1 && gaps == 0 && !char: // hexdump -C's middle gap
				gaps++
			case i+1 >= le || t[i] == ' ' && at(t, i+1) == ' ': // a short last group
				if p > d.pitch || !hex {
					return d.done()
				}
			default:
				return d.done()
			}
		} else if d.offLen == 0 {
			d.gs = s
		}
		prevEnd = i
		d.ge = i
		d.groups++
		d.hexL = d.hexL || hexL
		d.chars = d.chars || char
		if n > d.width {
			d.width = n
		}
	}
	return d.done()
}

// done marks d ok when it holds groups at one pitch (one group of hex
// digits, as xxd -p prints, is one too), and notes a group narrower than
// its field.
func (d dumpLine) done() dumpLine {
	if d.groups == 0 || d.groups == 1 && d.width < 8 && d.offLen == 0 {
		return dumpLine{}
	}
	d.padded = d.pitch > d.width+1 || d.hexL
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

// looksDump reports whether the dump line d shows what a card, a list of
// numbers or prose does not: hex letters, character fields, more groups
// than a card prints, groups of another width than four.
func (d dumpLine) looksDump() bool {
	return d.hexL || d.chars || d.groups >= 5 || d.width != 4 && d.groups > 1
}

// sameShape reports whether n, a line next to d (after it when later),
// continues d's dump.
func (d dumpLine) sameShape(n dumpLine, later bool) bool {
	if !n.ok || n.offLen != d.offLen {
		return false
	}
	if d.offLen > 0 && (later && n.off <= d.off || !later && n.off >= d.off) {
		return false
	}
	if n.groups == 0 {
		return later && d.offLen > 0
	}
	return n.pitch == d.pitch
}

// dumpLineAround returns the dump line holding t[i] when it is one
// beyond doubt (see the head of this file).
func dumpLineAround(t []byte, i int) (dumpLine, bool) {
	ls := i
	for ls > 0 && t[ls-1] != '\n' && i-ls <= maxDumpLine {
		ls--
	}
	le := i
	for le < len(t) && t[le] != '\n' && le-ls <= maxDumpLine {
		le++
	}
	d := parseDumpLine(t, ls, le)
	if !d.ok || d.groups == 0 {
		return d, false
	}
	near := false
	if ls > 0 {
		ps := ls - 1
		for ps > 0 && t[ps-1] != '\n' && ls-ps <= maxDumpLine+1 {
			ps--
		}
		n := parseDumpLine(t, ps, ls-1)
		near = d.sameShape(n, false) && (d.looksDump() || n.looksDump())
	}
	if !near && le < len(t) {
		ne := le + 1
		for ne < len(t) && t[ne] != '\n' && ne-le <= maxDumpLine+1 {
			ne++
		}
		n := parseDumpLine(t, le+1, ne)
		near = d.sameShape(n, true) && (d.looksDump() || n.looksDump() || n.groups == 0 && d.groups >= 5)
	}
	return d, near
}

// dumpNoise reports whether the number candidate x is a reading of a
// dump's group digits: every line it touches is a dump line beyond doubt,
// it lies in their groups, and it is not one whole group in a field no
// wider than itself.
func dumpNoise(t []byte, x span) bool {
	i := x.start
	for {
		d, ok := dumpLineAround(t, i)
		if !ok || x.start < d.ls && i == x.start {
			return false
		}
		if x.end <= d.ge {
			if x.start >= d.gs && !d.padded && !d.chars && at(t, x.start-1) == ' ' && (x.end == d.ge || t[x.end] == ' ') && x.end-x.start == d.width {
				// One whole group as wide as any: a number in its own
				// field.
				k := x.start
				for k < x.end && isDigit(t[k]) {
					k++
				}
				if k == x.end {
					return false
				}
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

// dropDumpNoise drops the card, SSN and phone candidates of out[k:] that
// are readings of a dump's group digits (dumpNoise).
func (p *Policy) dropDumpNoise(t []byte, out []span, k int) []span {
	r := &p.runs
	w := k
	for _, x := range out[k:] {
		if (x.det == r.card || x.det == r.ssn || x.det == r.phone) && x.det >= 0 && dumpNoise(t, x) {
			continue
		}
		out[w] = x
		w++
	}
	return out[:w]
}
