package mask

import (
	"slices"
	"sync"
	"unicode/utf8"
)

// loosePool recycles looseBuf: zeroing one per number would cost more than
// the scan.
var loosePool = sync.Pool{New: func() any { return new(looseBuf) }}

// The loose number scanner: cards and SSNs whose digits were disguised
// (look-alike digits, invisible characters, unusual or repeated
// separators, one digit per group, reversed), and phones and IBANs written
// with look-alike digits or letters. It starts at every digit group — a
// digit, of any script, whose previous rune is not a digit — folds what
// follows to ASCII with normRune and judges the folded text.
//
// Bounds, which keep false positives and the stream look-ahead in check:
// at most looseMaxGap separators between two digit groups (invisible
// characters do not count; they are skipped wherever they stand), and at
// most looseMaxSpan bytes from the first digit to the last. Luhn and the
// network prefix still gate a card; an SSN must have nine digits grouped
// 9, 3-2-4 or one by one, unless look-alike or invisible characters show
// that it was disguised on purpose.
const (
	looseMaxGap  = 3
	looseMaxSpan = 256
	looseBehind  = 3 // runes of look-behind kept for phone and IBAN
	// looseMaxLen bounds a loose candidate plus its look-ahead.
	looseMaxLen = looseMaxSpan + looseBehind*(utf8.UTFMax+3*maxIgnorables) + 2*utf8.UTFMax
)

// looseBuf is the folded form of the text around one digit group start.
type looseBuf struct {
	b     [160]byte
	st    [160]int // st[k], en[k]: where b[k] came from in t
	en    [160]int
	n     int
	first int  // index in b of the first digit (after the look-behind)
	odd   bool // the window holds a non-ASCII or invisible character
	// disguised: the number itself holds a look-alike digit, a non-ASCII
	// separator or an invisible character, which ordinary data rarely does.
	disguised bool
	trunc     bool // the scan stopped on a bound, not on the end of the number
	// comma: an ASCII comma or apostrophe separates groups, as in CSV rows
	// and arrays ([4,1,1,1,...]); only groups of three or more, or
	// thousands, count then.
	comma bool
}

func (lb *looseBuf) push(c byte, st, en int) {
	lb.b[lb.n], lb.st[lb.n], lb.en[lb.n] = c, st, en
	lb.n++
}

// build folds the look-behind and the number starting at t[i]. With
// letters false a letter ends the number.
func (lb *looseBuf) build(t []byte, i int, letters bool) {
	lb.n, lb.odd, lb.trunc, lb.disguised, lb.comma = 0, false, false, false, false
	// Look-behind: up to looseBehind runes, outermost first.
	var bb [looseBehind]byte
	var bs, be [looseBehind]int
	nb, ign := 0, 0
	for j := i; nb < looseBehind && j > 0; {
		r, size := utf8.DecodeLastRune(t[:j])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		k, c, _ := normRune(t, j-size)
		if size > 1 {
			lb.odd = true
		}
		if k == nkIgnorable {
			if ign++; ign > maxIgnorables {
				break
			}
			j -= size
			continue
		}
		ign = 0
		if k == nkOther {
			break
		}
		bb[nb], bs[nb], be[nb] = c, j-size, j
		nb++
		j -= size
	}
	for k := nb - 1; k >= 0; k-- {
		lb.push(bb[k], bs[k], be[k])
	}
	lb.first = lb.n
	seps, chars := 0, 0
	// A comma or apostrophe counts only between two digit groups: a
	// quote that closes a SQL or shell string ('1 2 3 4 5 6 7 8 9') does
	// not make the groups a CSV row.
	pendComma := false
	// Enough characters for any verdict: 20 digits tell a card or an SSN
	// from a longer number, an IBAN has at most 34 characters and a phone
	// 15 digits. Stopping there keeps "1 1 1 1 ..." linear.
	maxChars := 20
	if letters {
		maxChars = 36
	}
	j := i
	for j < len(t) {
		if j-i >= looseMaxSpan || lb.n == len(lb.b) || chars == maxChars {
			lb.trunc = true
			return
		}
		k, c, size := normRune(t, j)
		if size > 1 {
			lb.odd = true
		}
		switch k {
		case nkDigit:
			seps = 0
			chars++
			lb.disguised = lb.disguised || size > 1
			lb.comma = lb.comma || pendComma
			pendComma = false
		case nkLetter:
			if !letters {
				return
			}
			seps = 0
			chars++
		case nkSep:
			lb.disguised = lb.disguised || t[j] >= utf8.RuneSelf
			pendComma = pendComma || t[j] == ',' || t[j] == '\''
			seps++
			if seps > looseMaxGap {
				return
			}
		case nkIgnorable:
			lb.disguised = true
			j += size
			continue
		default:
			return
		}
		lb.push(c, j, j+size)
		j += size
	}
}

// loose runs the loose checks from the digit group starting at t[i].
func (p *Policy) loose(t []byte, i int, out []span, lb *looseBuf) []span {
	r := &p.runs
	lb.build(t, i, false)
	if r.card >= 0 || r.ssn >= 0 {
		out = lb.cardSSN(r, out)
	}
	if !lb.odd || (r.phone < 0 && r.iban < 0 && r.ipv4 < 0) {
		return out
	}
	// Look-alike characters: run the strict phone, IBAN and IPv4 scanners
	// on the folded text, letters included.
	lb.build(t, i, r.iban >= 0)
	f := lb.b[:lb.n]
	e := digitRunEnd(f, lb.first)
	var tmp [4]span
	c := tmp[:0]
	if r.phone >= 0 {
		k := len(c)
		c = phoneDetector{}.onRun(f, lb.first, e, r.phone, c)
		if len(c) == k && e-lb.first == 3 {
			c = phoneOtherSeps(f, lb.first, r.phone, c)
		}
	}
	if r.ipv4 >= 0 && e-lb.first <= 3 && at(f, e) == '.' {
		c = ipv4Detector{}.onRun(f, lb.first, e, r.ipv4, c)
	}
	if r.iban >= 0 && e-lb.first >= 2 {
		c = ibanDetector{}.onRun(f, lb.first, e, r.iban, c)
	}
	for _, x := range c {
		if lb.trunc && x.end >= lb.n {
			continue
		}
		out = append(out, span{start: lb.st[x.start], end: lb.en[x.end-1], det: x.det})
	}
	return out
}

// cardSSN collects the digits of the folded number and reports a card
// (forward or reversed) or an SSN.
func (lb *looseBuf) cardSSN(r *runSet, out []span) []span {
	var d [20]byte     // digit values
	var at [20]int     // index in lb.b of each digit
	var gend [20]bool  // the digit ends its group
	var glen [20]uint8 // length of each group
	var gi [20]int     // group of each digit
	n, groups := 0, 0
	f := lb.b[:lb.n]
	ended := false
	for k := lb.first; k < len(f) && n < len(d); k++ {
		c := f[k]
		if isDigit(c) {
			if k == lb.first || !isDigit(f[k-1]) {
				groups++
			}
			glen[groups-1]++
			d[n], at[n], gi[n] = c-'0', k, groups-1
			n++
			continue
		}
		if is(c, clUpper|clLower) || c == '(' || c == ')' {
			ended = true
			break
		}
	}
	if n < len(d) && !lb.trunc {
		ended = true
	}
	for k := 0; k < n; k++ {
		nx := at[k] + 1
		if nx < len(f) {
			gend[k] = !isDigit(f[nx])
		} else {
			gend[k] = ended
		}
	}
	span0 := lb.st[lb.first]
	// Card networks start with 2-6 or 8; most runs of numbers do not.
	iinFirst := func(v byte) bool { return v >= 2 && v <= 6 || v == 8 }
	if r.card >= 0 && n >= 13 && (iinFirst(d[0]) || iinFirst(d[min(n, 19)-1]) || ended && n <= 19 && iinFirst(d[n-1])) {
		best := -1
		for k := 13; k <= min(n, 19); k++ {
			if gend[k-1] && (lb.disguised || lb.regular(glen[:gi[k-1]+1])) && cardIIN(d[:k]) && luhnValid(d[:k]) {
				best = k
			}
		}
		if best < 0 && ended && n >= 13 && n <= 19 && gend[n-1] && (lb.disguised || lb.regular(glen[:groups])) {
			var rv [19]byte
			for k := 0; k < n; k++ {
				rv[k] = d[n-1-k]
			}
			if cardIIN(rv[:n]) && luhnValid(rv[:n]) {
				best = n
			}
		}
		if best > 0 {
			out = append(out, span{start: span0, end: lb.en[at[best-1]], det: r.card})
		}
	}
	if r.ssn >= 0 && n == 9 && ended && gend[8] {
		shape := lb.disguised || groups == 1 || groups == 9 && !lb.comma ||
			(groups == 3 && glen[0] == 3 && glen[1] == 2 && glen[2] == 4)
		var a [9]byte
		for k := range a {
			a[k] = '0' + d[k]
		}
		if shape && ssnValid(a[:]) {
			out = append(out, span{start: span0, end: lb.en[at[8]], det: r.ssn})
		}
	}
	return out
}

// looseNext marks the bytes after a digit run that may continue a loose
// number: ASCII separators, '%' of an encoded one, and non-ASCII bytes.
var looseNext = func() (m [256]bool) {
	for _, c := range []byte(" \t\n\r-._/+,'%") {
		m[c] = true
	}
	for c := 0x80; c < 256; c++ {
		m[c] = true
	}
	return m
}()

// looseTrigger reports whether the ASCII digit run t[i:e] should start a
// loose scan: it is a group start and, counting the digits of the regular
// groups that follow (what cardSSN could accept in ASCII: see
// regularGroups, and 3-2-4 for an SSN), there are thirteen or more for a
// card (at most nineteen unless the first digit can start a card, for a
// reversed one) or exactly nine for an SSN, or a non-ASCII byte shows up. It
// over-approximates cardSSN, which has the last word.
func looseTrigger(t []byte, i, e int, card, ssn bool) bool {
	n := e - i
	if n > 19 {
		return false
	}
	if n < 13 || at(t, i-1) >= utf8.RuneSelf {
		g0, g1, ng, cur := n, 0, 1, 0 // first and second group, groups, current group
		gap := 0
		j := e
	scan:
		for ; j < len(t) && j-i < looseMaxSpan && n < 20; j++ {
			c := t[j]
			switch {
			case isDigit(c):
				if gap > 0 {
					// A new group starts; the one before it was complete.
					if ng > 1 && !groupOK(g0, g1, ng, cur) {
						// The regular groups end here; a disguise further
						// on still makes any grouping count.
						if seqHasHigh(t, j) {
							return !prevRuneIsDigit(t, i)
						}
						break scan
					}
					ng++
					cur = 0
				}
				cur++
				if ng == 2 {
					g1 = cur
				}
				n++
				gap = 0
			case c >= utf8.RuneSelf:
				return !prevRuneIsDigit(t, i)
			case c == ' ' || c == '-' || c == '.' || c == '_' || c == '/' || c == '+' ||
				c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\'':
				if gap++; gap > looseMaxGap {
					break scan
				}
			case c == '%' && j+2 < len(t) && pctSep(t[j+1], t[j+2]) != 0:
				if gap++; gap > looseMaxGap {
					break scan
				}
				j += 2
			default:
				break scan
			}
		}
		// A card reads forward from a network's first digit, or backward
		// when the whole number has at most 19 digits.
		first := t[i] - '0'
		cardOK := card && n >= 13 && (first >= 2 && first <= 6 || first == 8 || n <= 19)
		if !cardOK && !(ssn && n == 9) && at(t, i-1) < utf8.RuneSelf {
			return false
		}
	}
	return !prevRuneIsDigit(t, i)
}

// looseNextGroup is the cheap first test of looseTrigger for a run of n
// digits followed by the separator t[e]: when one separator and a group
// of another length follow, the regular groups stop there, and the digits
// they hold must already be thirteen or more, or nine. Dates (2024-01-15)
// and versions (1.12.3) end here.
func looseNextGroup(t []byte, e, n int) bool {
	c := at(t, e+1)
	if t[e] == '%' {
		return true
	}
	if !isDigit(c) {
		return looseNext[c]
	}
	g1 := digitRunEnd(t, e+1) - (e + 1)
	if g1 == n || (n == 3 && g1 == 2) || (n == 4 && g1 == 6) || (n < 3 && g1 == 3) {
		return true
	}
	if g1 < n {
		n += g1
	}
	return n >= 13 || n == 9 || seqHasHigh(t, e)
}

// seqHasHigh reports whether the ASCII number that goes on at t[e] runs
// into a non-ASCII byte (a look-alike or invisible character, after which
// any grouping counts) within the loose bounds.
func seqHasHigh(t []byte, e int) bool {
	gap := 0
	for j := e; j < len(t) && j-e < looseMaxSpan; j++ {
		c := t[j]
		switch {
		case isDigit(c):
			gap = 0
		case c >= utf8.RuneSelf:
			return true
		case looseNext[c]:
			if gap++; gap > looseMaxGap {
				return false
			}
		default:
			return false
		}
	}
	return false
}

// groupOK reports whether group number ng (from 1), of length cur, keeps
// the groups so far acceptable to regularGroups or the SSN's 3-2-4 when
// more follow.
func groupOK(g0, g1, ng, cur int) bool {
	switch {
	case g0 == 3 && g1 == 2 && ng <= 3: // SSN 3-2-4
		return true
	case g0 == 4 && g1 == 6 && ng <= 3: // Amex 4-6-5
		return true
	case g0 <= 3 && g1 == 3 && cur == 3: // thousands: 4,111,111,...
		return true
	}
	return cur == g0
}

// regular is regularGroups, with groups of three or more (or thousands)
// when commas separate them.
func (lb *looseBuf) regular(g []uint8) bool {
	return regularGroups(g) && (!lb.comma || len(g) <= 1 || g[0] >= 3 || g[1] == 3)
}

// regularGroups reports whether digit groups look mechanically cut: one
// group, groups of one length with a shorter or equal last one (4-4-4-4,
// one digit each, pairs), the American Express 4-6-5, or thousands (one to
// three digits, then groups of three: 4,111,111,111,111,111, as a
// spreadsheet or a number format writes a card). Natural runs of numbers
// (a version, then a date) rarely do.
func regularGroups(g []uint8) bool {
	if len(g) <= 1 {
		return true
	}
	if len(g) == 3 && g[0] == 4 && g[1] == 6 && g[2] == 5 {
		return true
	}
	if g[0] <= 3 && !slices.ContainsFunc(g[1:], func(x uint8) bool { return x != 3 }) {
		return true
	}
	w := g[0]
	for _, x := range g[1 : len(g)-1] {
		if x != w {
			return false
		}
	}
	return g[len(g)-1] <= w
}
