package mask

// Matches across elements. A markup view joins the text of neighbouring
// elements (<id>4111111111111111</id><mail>ann@example.com</mail> reads
// "4111111111111111ann@example.com", an address), and the longest match
// would swallow the tags, breaking the document. When the values the
// other candidates mask cover all the text of such a match, masking them
// leaves nothing of it in that view either: it is dropped then, and kept
// (fail closed) when any of its text would stay visible.

// spansTag reports whether t[x.start:x.end] holds a start or end tag.
func spansTag(t []byte, x span) bool {
	for i := x.start; i+1 < x.end; i++ {
		if t[i] == '<' && (is(t[i+1], clUpper|clLower) || t[i+1] == '/') {
			return true
		}
	}
	return false
}

// dropCovered removes from c the candidates spanning tags whose text the
// other candidates mask entirely. c is not resolved yet; the result
// reuses its storage.
func dropCovered(t []byte, c []span) []span {
	var inner []span
	nSpanning := 0
	for _, x := range c {
		if spansTag(t, x) {
			nSpanning++
		} else {
			inner = append(inner, x)
		}
	}
	if nSpanning == 0 || len(inner) == 0 {
		return c
	}
	inner = resolve(t, inner)
	out := c[:0]
	for _, x := range c {
		if !spansTag(t, x) || !coveredText(t, x, inner) {
			out = append(out, x)
		}
	}
	return out
}

// coveredText reports whether every byte of x outside the resolved spans
// in is markup: text in no reading.
func coveredText(t []byte, x span, in []span) bool {
	pos := x.start
	for _, y := range in {
		if y.end <= pos || y.start >= x.end {
			continue
		}
		if y.start > pos && !markupOnly(t[pos:y.start]) {
			return false
		}
		pos = max(pos, y.end)
	}
	return pos >= x.end || markupOnly(t[pos:x.end])
}

// markupOnly reports whether g reads as no text but white space under
// every reading.
func markupOnly(g []byte) bool {
	var l layer
	for r := range nReadings {
		l.strip(g, r)
		for _, c := range l.b {
			if !markupSpace(c) {
				return false
			}
		}
	}
	return true
}
