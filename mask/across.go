package mask

import (
	"bytes"
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
		if !spansTag(t, x) || !coveredText(t, x, inner) || opensUnclosed(t, x) {
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
