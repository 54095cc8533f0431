package mask

import (
	"bytes"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Escaped values. A server writes text in the notation of where it goes:
// percent-encoding in URLs and form bodies (ann%40example.com), character
// references in HTML and XML (ann&#64;example.com, &#x40;, &commat;),
// backslash escapes in JSON and JavaScript strings (ann\u0040example.com,
// \x40, \u{40}). The client decodes them; the detectors must too. So when a
// text holds an escape, the detectors also run over its decoded view, and
// a match there masks the encoded bytes it came from (the whole
// "ann%40example.com"), never a decoded copy.
//
// Decoding is context-free (every notation everywhere), which only errs
// towards masking, and is repeated up to maxDecodeDepth times, so that the
// encodings servers stack naturally are seen through: a URL inside a query
// parameter (%2540), escaped HTML inside XML or JSON (&amp;#64;,
// \u0026#64;), an entity inside a URL (&#37;40). Bounds keep the stream
// masker's look-ahead: a numeric reference or \u{...} with more than
// maxEscDigits digits, and a match whose encoded form is longer than its
// detector's bound, fail closed (ErrLimit) rather than pass.
//
// Markup is the other rewrite a client undoes: a browser renders
// ann@<b>example</b>.com as one address. So a text with tags or comments
// is also read without them (strip), and that view decoded in turn.
//
// Not decoded: base64 (data: URIs included), quoted-printable, octal
// escapes, and more than maxDecodeDepth layers; those are encodings chosen
// on purpose (see the package doc).

const (
	// maxDecodeDepth bounds how many times a text is decoded.
	maxDecodeDepth = 3
	// maxEscDigits bounds the digits of a numeric escape, leading zeros
	// included (&#x0000040; has seven).
	maxEscDigits = 8
	// maxEntityName bounds a named character reference.
	maxEntityName = 32
)

// namedRefs are the HTML named character references that decode to what
// the detectors read: ASCII punctuation, and the spaces and dashes that
// separate digit groups. Names are case-sensitive, as in HTML.
var namedRefs = map[string]string{
	"amp": "&", "AMP": "&", "lt": "<", "LT": "<", "gt": ">", "GT": ">", "quot": `"`, "QUOT": `"`, "apos": "'",
	"commat": "@", "period": ".", "hyphen": "\u2010", "dash": "\u2010", "minus": "\u2212", "ndash": "\u2013",
	"mdash": "\u2014", "lowbar": "_", "UnderBar": "_", "plus": "+", "sol": "/", "colon": ":", "semi": ";",
	"percnt": "%", "num": "#", "excl": "!", "dollar": "$", "lpar": "(", "rpar": ")", "ast": "*", "midast": "*",
	"comma": ",", "equals": "=", "quest": "?", "lsqb": "[", "lbrack": "[", "rsqb": "]", "rbrack": "]",
	"bsol": `\`, "Hat": "^", "grave": "`", "DiacriticalGrave": "`", "lcub": "{", "lbrace": "{", "rcub": "}",
	"rbrace": "}", "verbar": "|", "vert": "|", "VerticalLine": "|", "tilde": "\u02DC", "nbsp": "\u00A0",
	"NonBreakingSpace": "\u00A0", "ensp": "\u2002", "emsp": "\u2003", "emsp13": "\u2004", "emsp14": "\u2005",
	"numsp": "\u2007", "puncsp": "\u2008", "thinsp": "\u2009", "ThinSpace": "\u2009", "hairsp": "\u200A",
	"VeryThinSpace": "\u200A", "MediumSpace": "\u205F", "zwsp": "\u200B", "ZeroWidthSpace": "\u200B",
	"NegativeThinSpace": "\u200B", "NegativeMediumSpace": "\u200B", "NegativeThickSpace": "\u200B",
	"NegativeVeryThinSpace": "\u200B", "zwnj": "\u200C", "zwj": "\u200D", "lrm": "\u200E", "rlm": "\u200F",
	"NoBreak": "\u2060", "shy": "\u00AD", "Tab": "\t", "NewLine": "\n", "sup1": "\u00B9", "sup2": "\u00B2",
	"sup3": "\u00B3", "fullstop": ".",
}

// legacyRefs are the references a browser decodes without their ';'.
var legacyRefs = map[string]bool{"amp": true, "AMP": true, "lt": true, "LT": true, "gt": true, "GT": true,
	"quot": true, "QUOT": true, "nbsp": true, "shy": true, "sup1": true, "sup2": true, "sup3": true}

// hasEscape reports whether t holds an escape the view decodes.
func hasEscape(t []byte) bool {
	for _, c := range [...]byte{'%', '&', '\\'} {
		for i := 0; ; i++ {
			k := bytes.IndexByte(t[i:], c)
			if k < 0 {
				break
			}
			i += k
			var dst [utf8.UTFMax]byte
			if n, _, _ := escapeAt(t, i, &dst); n > 0 {
				return true
			}
		}
	}
	return false
}

// escapeAt decodes the escape starting at t[i]: it returns its length in t
// (0: none), the UTF-8 bytes it stands for in dst[:dn], and whether it is
// a numeric escape with too many digits, which fails closed.
func escapeAt(t []byte, i int, dst *[utf8.UTFMax]byte) (n, dn int, overlong bool) {
	switch t[i] {
	case '%':
		if i+2 < len(t) && is(t[i+1], clHex) && is(t[i+2], clHex) {
			dst[0] = unhex(t[i+1])<<4 | unhex(t[i+2])
			return 3, 1, false
		}
	case '&':
		if at(t, i+1) == '#' {
			j, base := i+2, 10
			if c := at(t, j); c == 'x' || c == 'X' {
				j, base = j+1, 16
			}
			r, d := 0, 0
			for ; j < len(t); j++ {
				c := t[j]
				var v int
				switch {
				case isDigit(c):
					v = int(c - '0')
				case base == 16 && is(c, clHex):
					v = int(unhex(c))
				default:
					goto numEnd
				}
				if d++; d > maxEscDigits {
					return j + 1 - i, 0, true
				}
				r = r*base + v
			}
		numEnd:
			if d == 0 {
				return 0, 0, false
			}
			if at(t, j) == ';' {
				j++
			}
			return j - i, encodeRef(dst, rune(r)), false
		}
		j := i + 1
		for j < len(t) && j-i <= maxEntityName && is(t[j], clUpper|clLower|clDigit) {
			j++
		}
		if j == i+1 {
			return 0, 0, false
		}
		name := t[i+1 : j]
		v, ok := namedRefs[string(name)]
		if !ok {
			return 0, 0, false
		}
		if at(t, j) == ';' {
			return j + 1 - i, copy(dst[:], v), false
		}
		if legacyRefs[string(name)] {
			return j - i, copy(dst[:], v), false
		}
	case '\\':
		switch at(t, i+1) {
		case 'u':
			if at(t, i+2) == '{' {
				r, d := 0, 0
				j := i + 3
				for ; j < len(t) && is(t[j], clHex); j++ {
					if d++; d > maxEscDigits {
						return j + 1 - i, 0, true
					}
					r = r<<4 | int(unhex(t[j]))
				}
				if d == 0 || at(t, j) != '}' {
					return 0, 0, false
				}
				return j + 1 - i, encodeRef(dst, rune(r)), false
			}
			r, ok := jsontext.Hex4(t, i+2)
			if !ok {
				return 0, 0, false
			}
			if r >= 0xD800 && r < 0xDC00 && at(t, i+6) == '\\' && at(t, i+7) == 'u' {
				if lo, ok := jsontext.Hex4(t, i+8); ok && lo >= 0xDC00 && lo < 0xE000 {
					return 12, utf8.EncodeRune(dst[:], 0x10000+(r-0xD800)<<10+(lo-0xDC00)), false
				}
			}
			return 6, encodeRef(dst, r), false
		case 'x':
			if i+3 < len(t) && is(t[i+2], clHex) && is(t[i+3], clHex) {
				return 4, utf8.EncodeRune(dst[:], rune(unhex(t[i+2])<<4|unhex(t[i+3]))), false
			}
		}
	}
	return 0, 0, false
}

// encodeRef writes the UTF-8 of a referenced code point; one that is not
// a scalar value decodes to U+FFFD, as in browsers.
func encodeRef(dst *[utf8.UTFMax]byte, r rune) int {
	if r == 0 || r > utf8.MaxRune || (r >= 0xD800 && r < 0xE000) {
		r = utf8.RuneError
	}
	return utf8.EncodeRune(dst[:], r)
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// layer is one decoded view of a text: b[k] came from t[st[k]:en[k]] of
// the original text.
type layer struct {
	b      []byte
	st, en []int
}

// decode fills l with src decoded once; srcSt and srcEn map src to the
// original text (nil: src is the original). It reports whether anything
// was decoded, and the original span of an over-long escape, if any.
func (l *layer) decode(src []byte, srcSt, srcEn []int) (changed bool, bad span, hasBad bool) {
	// A view is never longer than its source: every escape is at least
	// as long as the UTF-8 it stands for.
	l.grow(len(src))
	n := 0
	var dst [utf8.UTFMax]byte
	for i := 0; i < len(src); {
		// Copy the run up to the next escape introducer in one go.
		j := i
		for j < len(src) && !escIntro[src[j]] {
			j++
		}
		n = l.copyRun(n, src, srcSt, srcEn, i, j)
		if i = j; i == len(src) {
			break
		}
		k, dn, over := escapeAt(src, i, &dst)
		if over && !hasBad {
			s, _ := spanOf(srcSt, srcEn, i)
			_, e := spanOf(srcSt, srcEn, i+k-1)
			bad, hasBad = span{start: s, end: e, overlong: true}, true
		}
		if k == 0 || over {
			n = l.copyRun(n, src, srcSt, srcEn, i, i+1)
			i++
			continue
		}
		s, _ := spanOf(srcSt, srcEn, i)
		_, e := spanOf(srcSt, srcEn, i+k-1)
		for _, d := range dst[:dn] {
			l.b[n], l.st[n], l.en[n] = d, s, e
			n++
		}
		changed = true
		i += k
	}
	l.b, l.st, l.en = l.b[:n], l.st[:n], l.en[:n]
	return changed, bad, hasBad
}

// escIntro marks the bytes that may start an escape.
var escIntro = [256]bool{'%': true, '&': true, '\\': true}

// grow makes room for a view of up to n bytes.
func (l *layer) grow(n int) {
	if cap(l.b) < n {
		l.b, l.st, l.en = make([]byte, n), make([]int, n), make([]int, n)
	}
	l.b, l.st, l.en = l.b[:n], l.st[:n], l.en[:n]
}

// copyRun copies src[i:j] unchanged to the view at n, with its origins,
// and returns the new length.
func (l *layer) copyRun(n int, src []byte, srcSt, srcEn []int, i, j int) int {
	copy(l.b[n:], src[i:j])
	if srcSt == nil {
		for k := i; k < j; k++ {
			l.st[n], l.en[n] = k, k+1
			n++
		}
		return n
	}
	copy(l.st[n:], srcSt[i:j])
	copy(l.en[n:], srcEn[i:j])
	return n + j - i
}

// spanOf is where src[k] came from in the original text.
func spanOf(srcSt, srcEn []int, k int) (int, int) {
	if srcSt == nil {
		return k, k + 1
	}
	return srcSt[k], srcEn[k]
}

// hasMarkup reports whether t holds an HTML or XML tag or comment.
func hasMarkup(t []byte) bool {
	for i := 0; ; i++ {
		k := bytes.IndexByte(t[i:], '<')
		if k < 0 {
			return false
		}
		i += k
		if opensMarkup(t, i) {
			return true
		}
	}
}

// blockTags are the elements a browser renders on a line of their own.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "body": true, "br": true, "caption": true,
	"dd": true, "div": true, "dl": true, "dt": true, "fieldset": true, "figcaption": true, "figure": true,
	"footer": true, "form": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"head": true, "header": true, "hr": true, "html": true, "legend": true, "li": true, "main": true, "nav": true,
	"ol": true, "option": true, "p": true, "pre": true, "section": true, "table": true, "tbody": true, "td": true,
	"tfoot": true, "th": true, "thead": true, "title": true, "tr": true, "ul": true,
}

// blockTag reports whether the tag whose text (after '<') is tag opens or
// closes a block element.
func blockTag(tag []byte) bool {
	if len(tag) > 0 && tag[0] == '/' {
		tag = tag[1:]
	}
	var name [12]byte
	n := 0
	for _, c := range tag {
		if !is(c, clUpper|clLower|clDigit) {
			break
		}
		if n == len(name) {
			return false
		}
		name[n] = c | 0x20
		n++
	}
	return blockTags[string(name[:n])]
}

// layers are the views of one text: its decoded layers, and its text
// under each markup reading.
type layers struct {
	dec   [maxDecodeDepth]layer
	strip [nReadings]layer
}

var layerPool = sync.Pool{New: func() any { return new(layers) }}

// viewCandidates runs the detectors over the views of t a client may read
// instead of its bytes: t with its escapes decoded, t without its markup,
// and that with its escapes decoded; matches come back as spans of t.
func (p *Policy) viewCandidates(t []byte, final bool, out []span) []span {
	ls := layerPool.Get().(*layers)
	defer ls.release()
	if hasEscape(t) {
		out = p.decodedCandidates(ls.dec[:], t, nil, nil, final, out, true)
	}
	if !hasMarkup(t) {
		return out
	}
	for r := range nReadings {
		l := &ls.strip[r]
		l.strip(t, r)
		if ls.seen(r) {
			// No ambiguous markup: the same text as an earlier reading.
			continue
		}
		k := len(out)
		out = p.plainCandidates(l.b, final, out)
		out = mapBack(out, k, l, p.horizon-ctxBefore, false)
		if hasEscape(l.b) {
			out = p.decodedCandidates(ls.dec[:], l.b, l.st, l.en, final, out, false)
		}
	}
	return out
}

// seen reports whether reading r gave the text of an earlier reading.
func (ls *layers) seen(r reading) bool {
	for q := range r {
		a, b := &ls.strip[q], &ls.strip[r]
		if bytes.Equal(a.b, b.b) && slices.Equal(a.st, b.st) && slices.Equal(a.en, b.en) {
			return true
		}
	}
	return false
}

// release returns ls to the pool, without views grown above 1 MiB.
func (ls *layers) release() {
	for d := range ls.dec {
		if cap(ls.dec[d].b) > 1<<20 {
			ls.dec[d] = layer{}
		}
	}
	for r := range ls.strip {
		if cap(ls.strip[r].b) > 1<<20 {
			ls.strip[r] = layer{}
		}
	}
	layerPool.Put(ls)
}

// mapBack turns out[k:], spans of the view l, into spans of the original
// text. A match whose original span exceeds bound fails closed when
// strict; without markup in between no match is that long unless escapes
// were padded. Through markup a match may be: its pieces of text are then
// masked one by one (fragments), so that no reading joins them again,
// and the markup between them is kept.
func mapBack(out []span, k int, l *layer, bound int, strict bool) []span {
	n := k
	var frags []span
	for j := k; j < len(out); j++ {
		x := out[j]
		if x.end <= x.start {
			continue
		}
		vs, ve := x.start, x.end
		x.start, x.end = l.st[vs], l.en[ve-1]
		if x.end-x.start > bound {
			if !strict {
				frags = textRuns(frags, l, vs, ve, x.det)
				continue
			}
			x.overlong = true
		}
		out[n] = x
		n++
	}
	return append(out[:n], frags...)
}

// textRuns appends the spans of the original text that the view bytes
// vs..ve come from, one per run that is contiguous there.
func textRuns(dst []span, l *layer, vs, ve, det int) []span {
	start := l.st[vs]
	for k := vs; k < ve; k++ {
		if k+1 == ve || l.st[k+1] > l.en[k] {
			dst = append(dst, span{start: start, end: l.en[k], det: det})
			if k+1 < ve {
				start = l.st[k+1]
			}
		}
	}
	return dst
}

// decodedCandidates decodes src (mapped to the original by st and en, nil
// for the original itself) up to len(ls) times and runs the detectors
// over each decoded view.
func (p *Policy) decodedCandidates(ls []layer, src []byte, st, en []int, final bool, out []span, strict bool) []span {
	for d := range ls {
		l := &ls[d]
		changed, bad, hasBad := l.decode(src, st, en)
		if hasBad {
			out = append(out, bad)
		}
		if !changed {
			break
		}
		k := len(out)
		out = p.plainCandidates(l.b, final, out)
		out = mapBack(out, k, l, p.horizon-ctxBefore, strict)
		if !hasEscape(l.b) {
			break
		}
		src, st, en = l.b, l.st, l.en
	}
	return out
}
