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
