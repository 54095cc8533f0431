package mask

import "bytes"

// Markup readings. Tools disagree on where markup ends: a regular
// expression stripper ends a tag at the first '>', the HTML tokenizer
// reads '>' inside a quoted attribute value as text of the value and ends
// a comment early at <!--> or --!>, an XML parser reads a CDATA section
// as text. Each reading joins different text, and a value split by a
// construct they read differently reaches the reader that joins it. So
// the detectors read the text under every reading (the views differ only
// where the markup is ambiguous): masking all of them covers whichever a
// client uses.

// reading is one way of telling markup from text.
type reading int

const (
	// readNaive ends a tag at the first '>' and a comment at "-->".
	readNaive reading = iota
	// readHTML follows the HTML standard's tokenizer states.
	readHTML
	// readForeign is readHTML in foreign content (SVG, MathML), where a
	// CDATA section is text.
	readForeign
	// readXML follows XML: CDATA sections are text, PIs end at "?>", and
	// each tag ends a text node (an element is a value of its own).
	readXML
	nReadings
)

// construct is one piece of markup at t[i] (a '<' that opens markup):
// it ends at end, and under XML a CDATA section's text is t[text:textEnd]
// (text < 0: none).
type construct struct {
	end, text, textEnd int
	tag                bool
}

// markupAt returns the construct starting at t[i] under reading r. One
// left open runs to the end of t, as in a browser.
func markupAt(t []byte, i int, r reading) construct {
	c := construct{end: -1, text: -1}
	switch r {
	case readNaive:
		if bytes.HasPrefix(t[i:], []byte("<!--")) {
			c.end = indexEnd(t, i+4, "-->")
		} else {
			c.end = indexEnd(t, i+1, ">")
		}
	case readHTML:
		c.end = htmlMarkupEnd(t, i)
	case readForeign:
		if c = cdataAt(t, i); c.text < 0 {
			c.end = htmlMarkupEnd(t, i)
		}
	case readXML:
		c = xmlMarkupAt(t, i)
	}
	if c.end < 0 {
		c.end = len(t)
	}
	return c
}

// indexEnd is the index just after the first sep in t[from:], or -1.
func indexEnd(t []byte, from int, sep string) int {
	if k := bytes.Index(t[from:], []byte(sep)); k >= 0 {
		return from + k + len(sep)
	}
	return -1
}

// htmlMarkupEnd follows the tokenizer of the HTML standard (13.2.5) from
// the tag open state at t[i].
func htmlMarkupEnd(t []byte, i int) int {
	switch c := at(t, i+1); {
	case bytes.HasPrefix(t[i:], []byte("<!--")):
		return htmlCommentEnd(t, i+4)
	case c == '!' || c == '?':
		// Bogus comment, DOCTYPE (whose quoted identifiers end at '>'
		// too), or CDATA outside foreign content.
		return indexEnd(t, i+2, ">")
	case c == '/':
		switch d := at(t, i+2); {
		case is(d, clUpper|clLower):
			return tagEnd(t, i+2)
		case d == '>':
			return i + 3
		}
		return indexEnd(t, i+2, ">")
	}
	return tagEnd(t, i+1)
}

// htmlCommentEnd ends a comment whose text starts at t[j]: "<!-->" and
// "<!--->" close at once (abrupt closing), otherwise the first "-->" or
// "--!>" does.
func htmlCommentEnd(t []byte, j int) int {
	if at(t, j) == '>' {
		return j + 1
	}
	if at(t, j) == '-' && at(t, j+1) == '>' {
		return j + 2
	}
	a, b := indexEnd(t, j, "-->"), indexEnd(t, j, "--!>")
	if a < 0 || (b >= 0 && b < a) {
		return b
	}
	return a
}

// xmlMarkupAt reads the construct at t[i] as an XML parser does.
func xmlMarkupAt(t []byte, i int) construct {
	c := construct{end: -1, text: -1}
	switch {
	case bytes.HasPrefix(t[i:], []byte("<!--")):
		c.end = indexEnd(t, i+4, "-->")
	case bytes.HasPrefix(t[i:], []byte("<![CDATA[")):
		c = cdataAt(t, i)
	case at(t, i+1) == '?':
		c.end = indexEnd(t, i+2, "?>")
	case at(t, i+1) == '!':
		c.end = indexEnd(t, i+2, ">")
	case at(t, i+1) == '/':
		c.end, c.tag = tagEnd(t, i+2), true
	default:
		c.end, c.tag = tagEnd(t, i+1), true
	}
	return c
}

// cdataAt reads a CDATA section at t[i], if there is one (text < 0: none).
func cdataAt(t []byte, i int) construct {
	c := construct{end: -1, text: -1}
	if !bytes.HasPrefix(t[i:], []byte("<![CDATA[")) {
		return c
	}
	c.text = i + 9
	c.end = indexEnd(t, c.text, "]]>")
	c.textEnd = c.end - 3
	if c.end < 0 {
		c.textEnd = len(t)
	}
	return c
}

// tagEnd is the index just after the '>' that ends a tag whose name starts
// at t[i], or -1: a '>' in a quoted attribute value does not end it.
func tagEnd(t []byte, i int) int {
	for i < len(t) && !markupSpace(t[i]) && t[i] != '/' && t[i] != '>' {
		i++
	}
	for i < len(t) {
		switch c := t[i]; {
		case c == '>':
			return i + 1
		case markupSpace(c) || c == '/':
			i++
		default:
			i = attrEnd(t, i)
		}
	}
	return -1
}

// attrEnd is the end of the attribute whose name starts at t[i] (its
// first byte may be '='), with its value if any.
func attrEnd(t []byte, i int) int {
	i++
	for i < len(t) && !markupSpace(t[i]) && t[i] != '/' && t[i] != '>' && t[i] != '=' {
		i++
	}
	j := skipMarkupSpace(t, i)
	if at(t, j) != '=' {
		return j
	}
	j = skipMarkupSpace(t, j+1)
	if q := at(t, j); q == '"' || q == '\'' {
		if k := bytes.IndexByte(t[j+1:], q); k >= 0 {
			return j + 1 + k + 1
		}
		return len(t)
	}
	for j < len(t) && !markupSpace(t[j]) && t[j] != '>' {
		j++
	}
	return j
}

func markupSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func skipMarkupSpace(t []byte, i int) int {
	for i < len(t) && markupSpace(t[i]) {
		i++
	}
	return i
}

// opensMarkup reports whether the '<' at t[i] opens markup in every
// reading: a tag, an end tag, a comment, a declaration or a PI.
func opensMarkup(t []byte, i int) bool {
	c := at(t, i+1)
	return is(c, clUpper|clLower) || c == '/' || c == '!' || c == '?'
}

// strip fills l with t read under r without its markup: the text a
// browser renders, or a tool that turns HTML or XML into text keeps, in
// which ann@<b>example</b>.com and ann@<!-- -->example.com are one
// address.
func (l *layer) strip(t []byte, r reading) { l.stripMapped(t, nil, nil, r) }

// stripMapped is strip of a view t, mapped to the original text by st and
// en (nil: t is the original).
func (l *layer) stripMapped(t []byte, st, en []int, r reading) {
	l.grow(len(t))
	n := 0
	for i := 0; i < len(t); {
		k := bytes.IndexByte(t[i:], '<')
		if k < 0 {
			k = len(t) - i
		}
		n = l.copyRun(n, t, st, en, i, i+k)
		if i += k; i == len(t) {
			break
		}
		if !opensMarkup(t, i) {
			n = l.copyRun(n, t, st, en, i, i+1)
			i++
			continue
		}
		c := markupAt(t, i, r)
		switch {
		case c.text >= 0:
			n = l.copyRun(n, t, st, en, c.text, c.textEnd)
		case r == readXML && c.tag || blockTag(t[i+1:c.end]):
			// Rendered as a line break: cells and paragraphs do not run
			// together.
			s, _ := spanOf(st, en, i)
			_, e := spanOf(st, en, c.end-1)
			l.b[n], l.st[n], l.en[n] = '\n', s, e
			n++
		}
		i = c.end
	}
	l.b, l.st, l.en = l.b[:n], l.st[:n], l.en[:n]
}
