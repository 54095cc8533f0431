package mask

import "bytes"

// Key material without its armour. A private key cut by a command that
// prints part of a file (tail -n 3 id_rsa, grep -v BEGIN, sed 1d, grep -v
// -- -----) loses its BEGIN line, and the PEM reading starts there; the
// body is still the key. So the private_key detector also masks the
// base64 lines an END line of a private key closes, and any block of two
// or more base64 lines as keys are written (64 characters a line in PEM,
// 70 in OpenSSH's format), the last of the block possibly shorter: what a
// window of a key's lines looks like. A certificate's body written that
// way is masked too; MIME's lines (76) are left to the readings of
// encoded runs, which find the values inside them.

// The widths of the lines of a key's body, and the longest line read as
// one.
const (
	pemLine     = 64
	opensshLine = 70
	maxKeyLine  = 80
)

// matchPEMTail matches, at "-----END ", a private key's END line and the
// body lines before it.
func matchPEMTail(s *scan, h kwHit) (span, bool) {
	t := s.t
	j := h.end
	for j < len(t) && j-h.end < 64 && (is(t[j], clUpper|clDigit) || t[j] == ' ') {
		j++
	}
	if !bytes.HasPrefix(t[j:], []byte("-----")) || !bytes.Contains(t[h.end:j], []byte("PRIVATE KEY")) {
		return span{}, false
	}
	start := h.start
	for h.start-start < maxPEM {
		ls, ok := bodyLineBefore(t, start)
		if !ok {
			break
		}
		start = ls
	}
	if start == h.start {
		return span{}, false // an END line alone holds nothing
	}
	return span{start: start, end: j + 5}, true
}

// bodyLineBefore returns where the line before the one whose text starts
// at k starts, when it is a line of a key's body: base64, up to
// maxKeyLine characters. Lines end at a line feed, at \n written out, or
// between two strings of a list.
func bodyLineBefore(t []byte, k int) (int, bool) {
	j := k
	for j > 0 && (t[j-1] == ' ' || t[j-1] == '\t' || t[j-1] == '"' || t[j-1] == '\'') {
		j-- // the line's indent and opening quote
	}
	switch {
	case j > 1 && t[j-2] == '\\' && t[j-1] == 'n':
		j -= 2
	case j > 0 && (t[j-1] == '\n' || t[j-1] == ','):
		j--
	default:
		return 0, false
	}
	for j > 0 && (t[j-1] == '\r' || t[j-1] == '"' || t[j-1] == '\'' || t[j-1] == ' ') {
		j--
	}
	if j > 1 && t[j-2] == '\\' && t[j-1] == 'r' {
		j -= 2
	}
	s := j
	for s > 0 && j-s <= maxKeyLine && isBodyByte(t[s-1]) {
		s--
	}
	if n := j - s; n < 4 || n > maxKeyLine {
		return 0, false
	}
	b := s
	for b > 0 && (t[b-1] == ' ' || t[b-1] == '\t' || t[b-1] == '"' || t[b-1] == '\'' || t[b-1] == '[') {
		b--
	}
	if b > 0 && t[b-1] != '\n' && t[b-1] != ',' && !(t[b-1] == 'n' && b > 1 && t[b-2] == '\\') {
		return 0, false // the body's bytes end a longer line
	}
	return s, true
}

// isBodyByte reports whether c may stand in a line of an armoured body.
func isBodyByte(c byte) bool {
	return is(c, clB64) && c != '-' && c != '_' || c == '+' || c == '/' || c == '='
}

// findKeyBlocks appends the spans of the blocks of base64 lines in t: two
// or more lines of pemLine or opensshLine characters, the last of the
// block possibly shorter. A line ends at a line feed, or at the
// two characters \n of a string in code or JSON.
func findKeyBlocks(t []byte, id int, out []span) []span {
	blockStart, width, lines := -1, 0, 0
	flush := func(end int) {
		if lines >= 2 || lines == 1 && loneKeyLine(t[blockStart:end]) {
			out = append(out, span{start: blockStart, end: end, det: id})
		}
		blockStart, width, lines = -1, 0, 0
	}
	prevEnd := 0
	for ls := 0; ls < len(t); {
		le, next := lineEnd(t, ls)
		s, e := trimLine(t, ls, le)
		n := e - s
		body := n >= 4 && n <= maxKeyLine && allBodyBytes(t[s:e])
		switch {
		case body && lines > 0 && n == width:
			lines++
		case body && lines > 0 && n < width:
			// The last line of a block.
			lines++
			flush(e)
			prevEnd = e
			ls = next
			continue
		case body && (n == pemLine || n == opensshLine):
			flush(prevEnd)
			blockStart, width, lines = s, n, 1
		default:
			flush(prevEnd)
		}
		prevEnd = e
		ls = next
	}
	flush(prevEnd)
	return out
}

// lineEnd returns where the line that starts at t[ls] ends, and where
// the next starts: after a line feed, after \n written out, or between
// two strings of a list ("…","…": lines as a JSON array).
func lineEnd(t []byte, ls int) (end, next int) {
	for i := ls; i < len(t); i++ {
		switch t[i] {
		case '\n':
			return i, i + 1
		case '\\':
			if at(t, i+1) == 'n' {
				return i, i + 2
			}
		case '"', '\'':
			if at(t, i+1) == ',' {
				if j := skipSpaces(t, i+2); at(t, j) == t[i] {
					return i, j + 1
				}
			}
		}
	}
	return len(t), len(t)
}

// trimLine returns the line t[ls:le] without the white space and quote
// before it and the carriage return, quote or comma after it.
func trimLine(t []byte, ls, le int) (int, int) {
	s, e := ls, le
	for s < e && (t[s] == ' ' || t[s] == '\t' || t[s] == '"' || t[s] == '\'' || t[s] == '[') {
		s++
	}
	for e > s {
		switch {
		case t[e-1] == '\r' || t[e-1] == '"' || t[e-1] == '\'' || t[e-1] == ',' || t[e-1] == ']':
			e--
			continue
		case e-s >= 2 && t[e-2] == '\\' && t[e-1] == 'r':
			e -= 2
			continue
		}
		break
	}
	return s, e
}

// allBodyBytes reports whether every byte of b may stand in an armoured
// body.
func allBodyBytes(b []byte) bool {
	for _, c := range b {
		if !isBodyByte(c) {
			return false
		}
	}
	return true
}
