package mask

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// emailDetector finds e-mail addresses from their '@': a local part of 1
// to 64 characters [A-Za-z0-9._%+-] not starting with '.', and a domain of
// at most 255 characters with two or more labels of letters, digits and
// '-', the last one alphabetic and at least two long.
type emailDetector struct{}

const (
	maxEmailLocal  = 64
	maxEmailDomain = 255
)

func (emailDetector) maxLen() int { return maxEmailLocal + maxEmailDomain + 3 }

func (emailDetector) find(s *scan, id int, out []span) []span {
	t := s.t
	for i := 0; i < len(t); {
		k := bytes.IndexByte(t[i:], '@')
		if k < 0 {
			break
		}
		at := i + k
		i = at + 1
		a := at
		for a > 0 && is(t[a-1], clEmailL) {
			a--
			if at-a > maxEmailLocal {
				break
			}
		}
		d := emailDomainRun(t, at+1)
		if (a > 0 && t[a-1] >= utf8.RuneSelf) || (d < len(t) && t[d] >= utf8.RuneSelf) {
			// Look-alike or invisible characters next to the address.
			if sp, ok := foldedEmail(t, at, 1); ok {
				sp.det = id
				out = append(out, sp)
			}
			continue
		}
		if at-a > maxEmailLocal {
			continue
		}
		for a < at && t[a] == '.' {
			a++
		}
		if a == at {
			continue
		}
		b := emailDomainEnd(t, at+1)
		if b < 0 || hostSpec(t, a, b) {
			continue
		}
		out = append(out, span{start: a, end: b, det: id})
	}
	// The fullwidth and small commercial at signs.
	for i := 0; i < len(t); {
		k := bytes.IndexByte(t[i:], 0xEF)
		if k < 0 {
			break
		}
		at := i + k
		i = at + 1
		if at+2 < len(t) && (t[at+1] == 0xBC && t[at+2] == 0xA0 || t[at+1] == 0xB9 && t[at+2] == 0xAB) {
			if sp, ok := foldedEmail(t, at, 3); ok {
				sp.det = id
				out = append(out, sp)
			}
		}
	}
	return out
}

// emailDomainRun returns the end of the run of domain characters at i.
func emailDomainRun(t []byte, i int) int {
	j := i
	for j < len(t) && is(t[j], clEmailD) && j-i <= maxEmailDomain {
		j++
	}
	return j
}

// foldedEmail matches an address around the at sign t[at:at+size] whose
// characters may be fullwidth forms or interleaved with invisible ones
// (ａｄａ＠example.com): it folds them to ASCII and applies the rules of
// the ASCII scanner. The whole candidate, with one rune of look-ahead,
// must fit in maxLen bytes — at least a hundred fullwidth characters.
func foldedEmail(t []byte, at, size int) (span, bool) {
	const limit = maxEmailLocal + maxEmailDomain + 3
	var buf [limit]byte
	var off [limit + 1]int // off[k]: where buf[k] starts in t; off[n]: the end
	// Local part, backwards.
	var lb [maxEmailLocal + 1]byte
	var lo [maxEmailLocal + 1]int
	nl, ign := 0, 0
	for j := at; j > 0 && at-j < limit; {
		r, sz := utf8.DecodeLastRune(t[:j])
		c, ok := foldIntlRune(r)
		if !ok {
			// Invisible characters are skipped, a few in a row at most, so
			// that the look-behind before the address stays short.
			if ign++; isIgnorable(r) && ign <= maxIgnorables {
				j -= sz
				continue
			}
			break
		}
		ign = 0
		if !is(c, clEmailL) {
			break
		}
		if nl == len(lb) {
			return span{}, false
		}
		j -= sz
		lb[nl], lo[nl] = c, j
		nl++
	}
	for nl > 0 && lb[nl-1] == '.' {
		nl--
	}
	if nl == 0 {
		return span{}, false
	}
	start := lo[nl-1]
	n := 0
	for k := nl - 1; k >= 0; k-- {
		buf[n], off[n] = lb[k], lo[k]
		n++
	}
	buf[n], off[n] = '@', at
	n++
	dom := n
	j := at + size
	label := scriptNone // the script of the domain label being read
	end := start + limit - utf8.UTFMax
	for {
		if j >= end || n == len(buf) {
			return span{}, false // the domain may go on: too long
		}
		if j >= len(t) {
			break
		}
		r, sz := utf8.DecodeRune(t[j:])
		c, ok := foldIntlRune(r)
		if !ok {
			if isIgnorable(r) {
				j += sz
				continue
			}
			break
		}
		if c == '.' {
			label = scriptNone
		} else if sc := scriptOf(r); sc != scriptNone {
			if label != scriptNone && sc != label {
				break // text of another script glued to the domain (example.com中文)
			}
			label = sc
		}
		if r == 0x3002 || r == 0xFF61 { // ideographic full stops
			c = '.'
		}
		if !is(c, clEmailD) {
			break
		}
		buf[n], off[n] = c, j
		n++
		j += sz
	}
	off[n] = j
	b := emailDomainEnd(buf[:n], dom)
	if b < 0 {
		return span{}, false
	}
	// off[b] is where the first character not kept starts, or the end.
	return span{start: start, end: off[b]}, true
}

// foldEmailRune folds ASCII and fullwidth forms of printable ASCII.
func foldEmailRune(r rune) (byte, bool) {
	switch {
	case r > ' ' && r < 0x7F:
		return byte(r), true
	case r >= 0xFF01 && r <= 0xFF5E:
		return byte(r - 0xFEE0), true
	case r == 0x3002 || r == 0xFF61 || r == 0x2024 || r == 0xFE52:
		// Ideographic, halfwidth, one dot leader, small full stop.
		return '.', true
	}
	return 0, false
}

// foldIntlRune is foldEmailRune, and also reads a letter, digit or mark
// of any script as a letter: internationalised addresses (RFC 6531) hold
// them in their local part (josé.garcía@, мария@) and their domain
// (münchen.de, пример.рф).
func foldIntlRune(r rune) (byte, bool) {
	if c, ok := foldEmailRune(r); ok {
		return c, true
	}
	if r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
		return 'x', true
	}
	return 0, false
}

// Scripts a label of a domain is written in; one label keeps to one.
const (
	scriptNone = iota // digits, marks, hyphens: any label holds them
	scriptLatin
	scriptOther // a letter of another script: each its own
)

// scriptOf returns the script class of a letter r (scriptOther plus its
// script's index, so that two other scripts differ).
func scriptOf(r rune) int {
	switch {
	case r < utf8.RuneSelf:
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return scriptLatin
		}
		return scriptNone
	case !unicode.IsLetter(r):
		return scriptNone
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	}
	for i, sc := range otherScripts {
		if unicode.In(r, sc...) {
			return scriptOther + i
		}
	}
	return scriptOther + len(otherScripts)
}

// otherScripts are the scripts of internationalised domains scriptOf
// tells apart; Han, Hiragana and Katakana are one (Japanese mixes them).
var otherScripts = [][]*unicode.RangeTable{{unicode.Cyrillic}, {unicode.Greek}, {unicode.Arabic}, {unicode.Hebrew},
	{unicode.Devanagari}, {unicode.Thai}, {unicode.Hangul}, {unicode.Han, unicode.Hiragana, unicode.Katakana}}

// emailDomainEnd validates the domain starting at i and returns its end.
func emailDomainEnd(t []byte, i int) int {
	b := i
	for b < len(t) && is(t[b], clEmailD) {
		b++
		if b-i > maxEmailDomain {
			return -1
		}
	}
	for b > i && (t[b-1] == '.' || t[b-1] == '-') {
		b--
	}
	labels := 0
	lastAlpha := false
	for j := i; j < b; {
		e := j
		for e < b && t[e] != '.' {
			e++
		}
		l := t[j:e]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return -1
		}
		labels++
		lastAlpha = len(l) >= 2
		for _, c := range l {
			if !is(c, clUpper|clLower) {
				lastAlpha = false
				break
			}
		}
		j = e + 1
	}
	if labels < 2 || !lastAlpha {
		return -1
	}
	return b
}
