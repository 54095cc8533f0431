package mask

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
)

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
		k := bytes.IndexByte(t[i:x.end-1], '<')
		if k < 0 {
			return false
		}
		i += k
		if is(t[i+1], clUpper|clLower) || t[i+1] == '/' {
			return true
		}
	}
	return false
}

// maxCoverWork bounds the bytes coveredText reads for one text, beyond
// coverWorkPerByte for each of its bytes: a text of many candidates that
// span tags ("password=<a>" repeated) would have each read the text of
// its neighbours again. Past it a candidate is kept (fail closed: it
// masks its tags too).
const (
	maxCoverWork     = 64 << 10
	coverWorkPerByte = 8
)

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
	cc := coverCheck{t: t, in: resolve(t, inner), budget: maxCoverWork + coverWorkPerByte*len(t)}
	out := c[:0]
	for _, x := range c {
		if !spansTag(t, x) || !cc.covered(x) || opensUnclosed(t, x) {
			out = append(out, x)
		}
	}
	return out
}

// coverCheck answers coveredText for the candidates of one text within a
// budget of bytes read.
type coverCheck struct {
	t      []byte
	in     []span // resolved: ordered, apart
	budget int
	l      layer
}

// covered reports whether every byte of x outside the spans in is markup:
// text in no reading. Past the budget it reports false.
func (cc *coverCheck) covered(x span) bool {
	in := cc.in
	k, _ := slices.BinarySearchFunc(in, x.start, func(y span, p int) int { return cmp.Compare(y.end, p+1) })
	pos := x.start
	for ; k < len(in) && in[k].start < x.end; k++ {
		if cc.budget--; cc.budget < 0 {
			return false
		}
		y := in[k]
		if y.start > pos && !cc.markupOnly(cc.t[pos:y.start]) {
			return false
		}
		pos = max(pos, y.end)
	}
	return pos >= x.end || cc.markupOnly(cc.t[pos:x.end])
}

// markupOnly is markupOnly within the budget.
func (cc *coverCheck) markupOnly(g []byte) bool {
	if cc.budget -= len(g) * int(nReadings); cc.budget < 0 {
		return false
	}
	return markupOnlyIn(&cc.l, g)
}

// markupOnly reports whether g reads as no text but white space under
// every reading.
func markupOnly(g []byte) bool {
	var l layer
	return markupOnlyIn(&l, g)
}

// markupOnlyIn is markupOnly with the layer l.
func markupOnlyIn(l *layer, g []byte) bool {
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

// opensUnclosed reports whether the candidate x begins with a start tag
// that no end tag in x closes, not one of HTML's void elements: a value
// that begins like a tag (password: "<hunter2xyz> and more") is a value,
// and the tag is masked with the rest of it, not kept as markup.
func opensUnclosed(t []byte, x span) bool {
	if at(t, x.start) != '<' || !is(at(t, x.start+1), clUpper|clLower) {
		return false
	}
	e := x.start + 1
	for e < x.end && (is(t[e], clWord) || t[e] == '-' || t[e] == ':') {
		e++
	}
	name := t[x.start+1 : e]
	if voidElement(name) {
		return false
	}
	for i := e; i+2+len(name) <= x.end; i++ {
		if t[i] == '<' && t[i+1] == '/' && bytes.EqualFold(t[i+2:i+2+len(name)], name) {
			return false
		}
	}
	return true
}

// voidElement reports whether name is an HTML element that has no end tag.
func voidElement(name []byte) bool {
	switch strings.ToLower(string(name)) {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param":
		return true
	}
	return false
}
