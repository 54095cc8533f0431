package mask

// Short texts (JSON members, SQL fields, header values) are most of what
// a masker reads, and most hold none of the bytes a view starts from: an
// escape's introducer, a tag's '<', a quote of a join, a bracket or a
// space of a spelled-out word, a NUL or a byte above ASCII. readings
// learns that of a short text in one pass over it, and searches only for
// the views whose bytes it holds.

// maxQuickText bounds the texts readings classifies in one pass; a longer
// one is searched view by view (each search skips ahead faster than a
// pass byte by byte).
const maxQuickText = 64

// The byte classes of quickClass: which views a byte may start.
const (
	qcEscape  uint8 = 1 << iota // % & \ =: hasEscape
	qcMarkup                    // <: hasMarkup, hasAtSigns
	qcQuote                     // " ': hasJoins
	qcBracket                   // [ ( {: hasAtSigns
	qcSpace                     // ' ': hasDotWord, hasAtSigns ("ann @ example")
	qcWide                      // NUL or above ASCII: wideText, hasInvisible
)

// quickClass is the class of each byte.
var quickClass = func() (c [256]uint8) {
	for _, b := range []byte{'%', '&', '\\', '='} {
		c[b] = qcEscape
	}
	c['<'] = qcMarkup
	c['"'], c['\''] = qcQuote, qcQuote
	c['['], c['('], c['{'] = qcBracket, qcBracket, qcBracket
	c[' '] = qcSpace
	c[0] = qcWide
	for b := 0x80; b < 0x100; b++ {
		c[b] = qcWide
	}
	return c
}()

// quickClasses returns the classes of the bytes of t.
func quickClasses(t []byte) uint8 {
	var m uint8
	for _, b := range t {
		m |= quickClass[b]
	}
	return m
}

// quickClassSets are the bytes of each class of quickClass, by bit.
var quickClassSets = func() (s [8]byteSet) {
	for b := range 256 {
		for k := range 8 {
			if quickClass[b]&(1<<k) != 0 {
				s[k][b>>6] |= 1 << (b & 63)
			}
		}
	}
	return s
}()

// quickClasses returns the classes of the bytes in the set: what
// quickClasses returns for a text that holds them.
func (s *byteSet) quickClasses() uint8 {
	var m uint8
	for k := range quickClassSets {
		c := &quickClassSets[k]
		if s[0]&c[0]|s[1]&c[1]|s[2]&c[2]|s[3]&c[3] != 0 {
			m |= 1 << k
		}
	}
	return m
}

// quickReadings is readings for a short text: each view is searched for
// only when t holds a byte it starts from (and is long enough for it).
func (p *Policy) quickReadings(t []byte, kf kwFacts, cp *codeProber) readings {
	return p.quickReadingsOf(t, kf, cp, quickClasses(t))
}

// quickReadingsOf is quickReadings told the classes of the bytes of t,
// m (of any length: the classes decide as they do for a short text).
func (p *Policy) quickReadingsOf(t []byte, kf kwFacts, cp *codeProber, m uint8) readings {
	var rd readings
	if m&qcEscape != 0 {
		rd.esc = hasEscape(t)
	}
	if m&qcMarkup != 0 {
		rd.markup = hasMarkup(t)
	}
	if p.words {
		rd.words = m&(qcBracket|qcMarkup|qcSpace) != 0 && hasAtSigns(t, rd.markup) ||
			kf.dot || !kf.known && m&qcSpace != 0 && hasDotWord(t)
	}
	if m&qcWide != 0 {
		rd.wide = wideText(t)
		rd.invisible = hasInvisible(t)
	}
	if m&qcQuote != 0 {
		rd.joins, rd.digitJoins = hasJoins(t)
	}
	// A run shorter than minEncRun is not decoded, and a list holds at
	// least minCodes codes of a byte or more each.
	rd.encoded = len(t) >= minEncRun && hasEncodedRun(t)
	rd.codes = len(t) >= minCodes && codeListInSpaced(t, kf.spelled(), cp, m&qcSpace != 0)
	return rd
}
