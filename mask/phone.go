package mask

// phoneDetector finds telephone numbers in two shapes:
//
//   - E.164 and international notation: '+', a country code that does not
//     start with 0, 8 to 15 digits in all, separated by at most two of
//     space, '-', '.', '(' or ')' at a time: +14155552671, +44 20 7946 0958;
//   - North American notation with separators: (415) 555-2671,
//     415-555-2671, 415.555.2671, 415 555 2671, 1-415-555-2671, where area
//     code and exchange start with 2-9.
//
// Ten bare digits are not reported: too many identifiers look like that.
type phoneDetector struct{}

func (phoneDetector) maxLen() int { return looseMaxLen } // the loose scanner (loose.go) bounds every candidate

func (d phoneDetector) find(s *scan, id int, out []span) []span { return findRuns(d, s, id, out) }

func (phoneDetector) onRun(t []byte, start, end, id int, out []span) []span {
	if at(t, start-1) == '+' {
		if e := e164End(t, start); e > 0 && !isAlnum(at(t, start-2)) {
			out = append(out, span{start: start - 1, end: e, det: id})
			return out
		}
	}
	if p := at(t, start-1); isAlnum(p) || p == '+' || ((p == '.' || p == '-') && isDigit(at(t, start-2))) {
		return out
	}
	if at(t, start-1) == '(' {
		if isAlnum(at(t, start-2)) {
			return out
		}
		if e := nanpEnd(t, start-1); e > 0 {
			out = append(out, span{start: start - 1, end: e, det: id})
		}
		return out
	}
	if e := nanpEnd(t, start); e > 0 {
		out = append(out, span{start: start, end: e, det: id})
	}
	return out
}

// e164End parses digits and separators after a '+' at i-1.
func e164End(t []byte, i int) int {
	if t[i] == '0' {
		return 0
	}
	digits, seps, end := 0, 0, 0
	for j := i; j < len(t) && j < i+24; j++ {
		c := t[j]
		switch {
		case isDigit(c):
			digits++
			seps = 0
			end = j + 1
			if digits > 15 {
				return 0
			}
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			seps++
			if seps > 2 {
				j = len(t)
			}
		default:
			j = len(t)
		}
	}
	if digits < 8 || isDigit(at(t, end)) {
		return 0
	}
	return end
}

func isPhoneSep(c byte) bool { return c == '-' || c == '.' || c == ' ' }

// nanpEnd parses a North American number at i and returns its end or 0.
func nanpEnd(t []byte, i int) int {
	j := i
	if at(t, j) == '1' && isPhoneSep(at(t, j+1)) && (isDigit(at(t, j+2)) || at(t, j+2) == '(') {
		j += 2
	}
	if at(t, j) == '(' {
		if digitRunEnd(t, j+1) != j+4 || at(t, j+4) != ')' || at(t, j+1) < '2' {
			return 0
		}
		j += 5
		if isPhoneSep(at(t, j)) {
			j++
		}
	} else {
		if digitRunEnd(t, j) != j+3 || at(t, j) < '2' || !isPhoneSep(at(t, j+3)) {
			return 0
		}
		j += 4
	}
	if digitRunEnd(t, j) != j+3 || at(t, j) < '2' || !isPhoneSep(at(t, j+3)) {
		return 0
	}
	j += 4
	if digitRunEnd(t, j) != j+4 {
		return 0
	}
	j += 4
	// "415-555-2671-9" or "415.555.2671.5" continue a longer number.
	if (at(t, j) == '-' || at(t, j) == '.') && isDigit(at(t, j+1)) {
		return 0
	}
	return j
}

// phoneOtherSep marks the separators of digit groups that the phone
// scanner does not read but a reader skips: 415,555,2671, 415_555_2671,
// 415'555'2671, 415/555/2671, one group per line, ", " and the like.
var phoneOtherSep = [256]bool{',': true, '\'': true, '_': true, '/': true, '\t': true, '\n': true, '\r': true}

// phoneOtherSeps runs the phone scanner over the number whose first group
// of three digits starts at t[i], with each run of one or two separators
// read as one '-': it finds the North American numbers that phoneOtherSep
// separators disguise. Spans come back in t.
func phoneOtherSeps(t []byte, i, id int, out []span) []span {
	if p := at(t, i-1); (phoneOtherSep[p] || isPhoneSep(p)) && isDigit(at(t, i-2)) {
		// A field of a longer list (1,200,300,4000), not a number.
		return out
	}
	var b [32]byte
	var pos [33]int
	n := 0
	lo := max(0, i-2)
	j := lo
	for j < len(t) && n < len(b) && j < i+len(b) {
		c := t[j]
		if j >= i && (phoneOtherSep[c] || isPhoneSep(c)) {
			k := j + 1
			if k < len(t) && (phoneOtherSep[t[k]] || isPhoneSep(t[k])) {
				k++
			}
			b[n], pos[n] = '-', j
			n++
			j = k
			continue
		}
		b[n], pos[n] = c, j
		n++
		j++
	}
	pos[n] = j
	k := len(out)
	out = phoneDetector{}.onRun(b[:n], i-lo, i-lo+3, id, out)
	for x := k; x < len(out); x++ {
		out[x].start, out[x].end = pos[out[x].start], pos[out[x].end-1]+1
	}
	return out
}
