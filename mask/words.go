package mask

import "bytes"

// Spelled-out e-mail addresses. People and tools hide an address from
// harvesters by spelling its at sign and dots: ann [at] example [dot] com,
// ann(at)example.com, ann{at}example{dot}com, ann [@] example [.] com.
// A reader puts them back at a glance, so the
// e-mail detector also reads the text with them put back, and a match
// masks the whole spelled-out address.
//
// A bracketed at or dot ([at], (at), {at}, <at>, [@], (dot), [.], any case,
// with up to two spaces around it and one inside the brackets) is always
// read, and so is an at sign or a dot with spaces around it (ann @
// example . com). Once a text holds one of those, bare words are read in
// it too: " dot ", and " at " when the domain after it spells its dot
// (ann at example [dot] com), so that "look at docs.example.org" stays
// prose. A text spelled with bare words alone (ann at example dot com) is
// read when it holds " dot " in any case (hasDotWord).

// maxWordSpaces bounds the spaces around a spelled-out at sign or dot.
const maxWordSpaces = 2

// hasAtWords reports whether t may hold a spelled-out at sign or dot;
// markup tells whether t holds markup, without which it holds no <at>.
func hasAtWords(t []byte, markup bool) bool {
	return hasAtSigns(t, markup) || hasDotWord(t)
}

// hasAtSigns reports whether t holds a bracketed at or dot, or an at sign
// with a space beside it.
func hasAtSigns(t []byte, markup bool) bool {
	for _, c := range [...]byte{'[', '(', '{', '<'} {
		if c == '<' && !markup {
			continue
		}
		for i := 0; ; i++ {
			k := bytes.IndexByte(t[i:], c)
			if k < 0 {
				break
			}
			i += k
			if _, _, ok := bracketWord(t, i); ok {
				return true
			}
		}
	}
	for i := 0; ; i++ {
		k := bytes.IndexByte(t[i:], '@')
		if k < 0 {
			break
		}
		if i += k; at(t, i-1) == ' ' || at(t, i+1) == ' ' {
			return true
		}
	}
	return false
}

// hasDotWord reports whether t holds " dot " in any case. Bare words alone
// (ann at example dot com) are read only in a text that does, which prose
// rarely does. The text as it is learns it from the keyword walk of the
// secret detectors (plainScan, when the policy has them); its views, and
// a policy without them, ask here.
func hasDotWord(t []byte) bool {
	for i := 0; ; {
		k := bytes.IndexByte(t[i:], ' ')
		if k < 0 || i+k+4 >= len(t) {
			return false
		}
		i += k + 1
		if t[i+3] == ' ' && equalFoldASCII(t[i:i+3], "DOT") {
			return true
		}
	}
}

// bracketWord reads a bracketed at or dot whose opening bracket is t[i]:
// it returns the end of the closing bracket and '@' or '.'.
func bracketWord(t []byte, i int) (end int, c byte, ok bool) {
	var closing byte
	switch at(t, i) {
	case '[':
		closing = ']'
	case '(':
		closing = ')'
	case '{':
		closing = '}'
	case '<':
		closing = '>'
	default:
		return 0, 0, false
	}
	j := i + 1
	if at(t, j) == ' ' {
		j++
	}
	j, c, ok = wordAt(t, j)
	if !ok {
		return 0, 0, false
	}
	if at(t, j) == ' ' {
		j++
	}
	if at(t, j) != closing {
		return 0, 0, false
	}
	return j + 1, c, true
}

// wordAt reads "at", "dot" (any case), '@' or '.' at t[j].
func wordAt(t []byte, j int) (end int, c byte, ok bool) {
	switch a := at(t, j) | 0x20; {
	case at(t, j) == '@':
		return j + 1, '@', true
	case at(t, j) == '.':
		return j + 1, '.', true
	case a == 'a' && at(t, j+1)|0x20 == 't':
		return j + 2, '@', true
	case a == 'd' && at(t, j+1)|0x20 == 'o' && at(t, j+2)|0x20 == 't':
		return j + 3, '.', true
	}
	return 0, 0, false
}

// spelledAt reads a spelled-out at sign or dot starting at t[i], spaces
// around it included: it returns its end and the character it stands for.
func spelledAt(t []byte, i int) (end int, c byte, ok bool) {
	j := i
	for j < len(t) && j-i < maxWordSpaces && t[j] == ' ' {
		j++
	}
	if c := at(t, j); c == '@' || c == '.' {
		// ann @ example . com: spaces around a real at sign or dot.
		e := j + 1
		for e < len(t) && e-j <= maxWordSpaces && t[e] == ' ' {
			e++
		}
		// A dot needs spaces on both sides: "noon. Dot" ends a sentence.
		if (j == i && e == j+1) || c == '.' && (j == i || e == j+1) || !is(at(t, i-1), clEmailL) || !is(at(t, e), clEmailD) {
			return 0, 0, false
		}
		return e, c, true
	}
	if e, c, ok := bracketWord(t, j); ok {
		for e < len(t) && t[e] == ' ' && e-j < maxWordSpaces+6 {
			e++
		}
		return e, c, true
	}
	// Bare words need a space on both sides.
	if j == i || !is(at(t, i-1), clEmailL) {
		return 0, 0, false
	}
	e, c, ok := wordAt(t, j)
	if !ok || at(t, j) == '@' || at(t, j) == '.' || at(t, e) != ' ' {
		return 0, 0, false
	}
	for k := 0; k < maxWordSpaces && at(t, e) == ' '; k++ {
		e++
	}
	if !is(at(t, e), clEmailD) {
		return 0, 0, false
	}
	if c == '@' {
		// ann at example dot com: the domain's dot must be spelled too.
		d := e
		for d < len(t) && d-e <= 64 && is(t[d], clEmailD) {
			d++
		}
		if _, dc, ok := spelledAt(t, d); !ok || dc != '.' {
			return 0, 0, false
		}
	}
	return e, c, true
}

// readWords fills l with src, its spelled-out at signs and dots put back;
// srcSt and srcEn map src to the original text (nil: src is it).
func (l *layer) readWords(src []byte, srcSt, srcEn []int) {
	l.grow(len(src))
	n := 0
	for i := 0; i < len(src); {
		j := i
		for j < len(src) && !wordStart[src[j]] {
			j++
		}
		n = l.copyRun(n, src, srcSt, srcEn, i, j)
		if i = j; i == len(src) {
			break
		}
		e, c, ok := spelledAt(src, i)
		if !ok {
			n = l.copyRun(n, src, srcSt, srcEn, i, i+1)
			i++
			continue
		}
		s, _ := spanOf(srcSt, srcEn, i)
		_, en := spanOf(srcSt, srcEn, e-1)
		l.b[n], l.st[n], l.en[n] = c, s, en
		n++
		i = e
	}
	l.b, l.st, l.en = l.b[:n], l.st[:n], l.en[:n]
}

// wordStart marks the bytes a spelled-out at sign or dot may start with.
var wordStart = [256]bool{' ': true, '[': true, '(': true, '{': true, '<': true, '@': true, '.': true}
