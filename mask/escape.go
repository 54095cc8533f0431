package mask

import (
	"bytes"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Escaped values. A server writes text in the notation of where it goes:
// percent-encoding in URLs and form bodies (ann%40example.com), character
// references in HTML and XML (ann&#64;example.com, &#x40;, &commat;),
// backslash escapes in JSON, JavaScript, C, Python and shell strings
// (ann\u0040example.com, \x40, \u{40}, octal \100), CSS escapes (\40 ),
// quoted-printable in mail and MIME bodies (ann=40example.com). The client
// decodes them; the detectors must too. So when a text holds an escape,
// the detectors also run over its decoded view, and a match there masks
// the encoded bytes it came from (the whole "ann%40example.com"), never a
// decoded copy.
//
// Decoding is context-free (a notation wherever it appears), which only errs
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
// Notations that read the same bytes differently (octal \064 or CSS
// \64 , quoted-printable "=41" or a URL's "q=41") each get a view of their
// own, and a decoded view goes on with the escapes of any notation it
// still holds, up to maxViews views in all.
//
// Python's and Perl's named escapes (\N{DIGIT FOUR}, \N{U+34}) are read
// in the C view (escname.go). Runs of base64, base32 and hex that decode
// to text get a view of their own (encruns.go). Not decoded: more than
// maxDecodeDepth layers, and an encoding of an encoding.

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

// notation is a way of reading escapes. Percent-encoding and character
// references read alike in all; the others disagree (\34 is octal 034 in
// C and U+0034 in CSS; "q=41" is a query parameter in a URL and "qA" in
// quoted-printable), so each gets a view of its own.
type notation uint8

const (
	// notC reads backslashes as C, JSON, JavaScript, Python, Perl and the
	// shell's $'...' do: \u0040, \U00000040, \x40, \x{40}, \u{40},
	// octal \100, \n, \t, \r, a line continuation, and a backslash
	// before punctuation standing for it (\@, \.).
	notC notation = 1 << iota
	// notCSS reads them as CSS and PostgreSQL's U&'\0040' strings do: \40 or
	// \000040 (up to six hex digits, one white space after them
	// swallowed), \+000040, a line continuation, and \@.
	notCSS
	// notQP reads quoted-printable (RFC 2045): =40, and soft line breaks.
	notQP
)

// notations lists every notation, in the order views are made.
var notations = [...]notation{notC, notCSS, notQP}

// hasEscape reports which notations t holds an escape of that the views
// decode: 0 when none. Escapes common in clean text (QP-like "=20" in
// "status=200", "\n" in JSON) count only where they could make a value
// (significant).
func hasEscape(t []byte) notation {
	var found notation
	var dst [utf8.UTFMax]byte
	// Percent-encoding and references are decoded in every view; the
	// C view is made for them.
	for _, in := range [...]struct {
		c    byte
		nots notation
	}{{'%', notC}, {'&', notC}, {'\\', notC | notCSS}, {'=', notQP}} {
		c := in.c
		for i := 0; ; i++ {
			k := bytes.IndexByte(t[i:], c)
			if k < 0 {
				break
			}
			i += k
			if c == '=' && !is(at(t, i+1), clHex) && at(t, i+1) != '\n' && at(t, i+1) != '\r' {
				continue // "path=/api", "a = b": no escape, cheaply
			}
			for _, nt := range notations {
				if found&nt != 0 || in.nots&nt == 0 {
					continue
				}
				if n, dn, _ := escapeAt(t, i, &dst, nt); n > 0 && significant(t, i, n, dst[:dn], nt) {
					found |= nt
				}
			}
			if found == notC|notCSS|notQP {
				return found
			}
		}
	}
	return found
}

// escapeAt decodes the escape starting at t[i] under notation nt: it
// returns its length in t (0: none), the UTF-8 bytes it stands for in
// dst[:dn] (a line continuation stands for none), and whether it is a
// numeric escape with too many digits, which fails closed.
func escapeAt(t []byte, i int, dst *[utf8.UTFMax]byte, nt notation) (n, dn int, overlong bool) {
	switch t[i] {
	case '%':
		if i+2 < len(t) && is(t[i+1], clHex) && is(t[i+2], clHex) {
			dst[0] = unhex(t[i+1])<<4 | unhex(t[i+2])
			return 3, 1, false
		}
		if at(t, i+1) == 'u' {
			// JavaScript's escape(): %u0040.
			if r, ok := jsontext.Hex4(t, i+2); ok {
				return 6, encodeRef(dst, r), false
			}
		}
	case '=':
		// Quoted-printable (RFC 2045): =40, and a soft line break that
		// joins two lines into one.
		if nt != notQP {
			break
		}
		if i+2 < len(t) && is(t[i+1], clHex) && is(t[i+2], clHex) {
			// A control character is left as it is: it takes no part in a
			// value, and "q=10.20.30.40" is more likely a parameter.
			if c := unhex(t[i+1])<<4 | unhex(t[i+2]); c >= ' ' && c != 0x7F || c == '\t' || c == '\n' || c == '\r' {
				dst[0] = c
				return 3, 1, false
			}
			return 0, 0, false
		}
		if at(t, i+1) == '\n' {
			return 2, 0, false
		}
		if at(t, i+1) == '\r' && at(t, i+2) == '\n' {
			return 3, 0, false
		}
	case '&':
		return refAt(t, i, dst)
	case '\\':
		if nt == notCSS {
			return cssEscapeAt(t, i, dst)
		}
		return cEscapeAt(t, i, dst)
	}
	return 0, 0, false
}

// refAt decodes an HTML or XML character reference at t[i].
func refAt(t []byte, i int, dst *[utf8.UTFMax]byte) (n, dn int, overlong bool) {
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
	return 0, 0, false
}

// cEscapeAt decodes a backslash escape at t[i] as C and its heirs do.
func cEscapeAt(t []byte, i int, dst *[utf8.UTFMax]byte) (n, dn int, overlong bool) {
	switch c := at(t, i+1); {
	case c == 'u':
		if at(t, i+2) == '{' {
			return bracedHex(t, i, i+3, dst)
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
	case c == 'N' && at(t, i+2) == '{':
		return namedEscapeAt(t, i, dst)
	case c == 'U':
		hi, ok1 := jsontext.Hex4(t, i+2)
		lo, ok2 := jsontext.Hex4(t, i+6)
		if ok1 && ok2 {
			return 10, encodeRef(dst, hi<<16|lo), false
		}
	case c == 'x':
		if at(t, i+2) == '{' {
			return bracedHex(t, i, i+3, dst)
		}
		if i+3 < len(t) && is(t[i+2], clHex) && is(t[i+3], clHex) {
			return 4, utf8.EncodeRune(dst[:], rune(unhex(t[i+2])<<4|unhex(t[i+3]))), false
		}
	case c >= '0' && c <= '7':
		// Octal, one to three digits: a byte, as in C strings and printf.
		v, j := 0, i+1
		for ; j < i+4 && at(t, j) >= '0' && at(t, j) <= '7'; j++ {
			v = v<<3 | int(t[j]-'0')
		}
		if v > 0xFF {
			j--
			v >>= 3
		}
		dst[0] = byte(v)
		return j - i, 1, false
	case c == 'n':
		dst[0] = '\n'
		return 2, 1, false
	case c == 'r':
		dst[0] = '\r'
		return 2, 1, false
	case c == 't':
		dst[0] = '\t'
		return 2, 1, false
	}
	return lineOrIdentity(t, i, dst)
}

// cssEscapeAt decodes a backslash escape at t[i] as CSS does (and
// PostgreSQL's U&'\0040' and U&'\+000040').
func cssEscapeAt(t []byte, i int, dst *[utf8.UTFMax]byte) (n, dn int, overlong bool) {
	j := i + 1
	if at(t, j) == '+' {
		j++
	}
	r, d := 0, 0
	for ; j < len(t) && d < 6 && is(t[j], clHex); j++ {
		d++
		r = r<<4 | int(unhex(t[j]))
	}
	if d == 0 {
		if at(t, i+1) == '+' {
			return 0, 0, false
		}
		return lineOrIdentity(t, i, dst)
	}
	switch at(t, j) {
	case ' ', '\t', '\n', '\f':
		j++
	case '\r':
		j++
		if at(t, j) == '\n' {
			j++
		}
	}
	return j - i, encodeRef(dst, rune(r)), false
}

// bracedHex decodes the hex digits from t[j] to a '}' of an escape that
// starts at t[i] (\u{40}, \x{40}).
func bracedHex(t []byte, i, j int, dst *[utf8.UTFMax]byte) (n, dn int, overlong bool) {
	r, d := 0, 0
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

// lineOrIdentity decodes what every backslash notation agrees on: a
// backslash before a line break continues the line, one before ASCII
// punctuation stands for it.
func lineOrIdentity(t []byte, i int, dst *[utf8.UTFMax]byte) (n, dn int, overlong bool) {
	switch c := at(t, i+1); {
	case c == '\n':
		return 2, 0, false
	case c == '\r':
		if at(t, i+2) == '\n' {
			return 3, 0, false
		}
		return 2, 0, false
	case c > ' ' && c < 0x7F && !isAlnum(c):
		dst[0] = c
		return 2, 1, false
	}
	return 0, 0, false
}

// significant reports whether the escape t[i:i+n], standing for dec,
// could make a value a detector reads, so that the text needs a decoded
// view. Escapes that rarely do in clean text (a quoted-printable-like
// "=20" in "status=200", "\n" in JSON) count only between two digits,
// among others in a word or a number, or in a long word; the rest always
// count.
func significant(t []byte, i, n int, dec []byte, nt notation) bool {
	c, e := t[i], at(t, i+1)
	weak := false
	switch {
	case c == '=':
		if len(dec) == 0 {
			// A soft line break between two characters of a word.
			p, q := at(t, i-1), at(t, i+n)
			return p > ' ' && q > ' '
		}
		if dec[0] == '@' {
			// "ann=40example.com", not "status=404".
			return emailDomainRun(t, i+n) > i+n+2 && bytes.IndexByte(t[i+n:emailDomainRun(t, i+n)], '.') > 0
		}
		weak = true
	case c == '\\' && nt == notC && (e == 'n' || e == 'r' || e == 't'):
		weak = true
	case c == '\\' && len(dec) == 1 && (dec[0] == '\\' || dec[0] == '/' || dec[0] == '"' || dec[0] == '\'' || dec[0] == '`'):
		// JSON and shell quoting: never a value by itself; an escape after
		// it (\\064) is judged on its own.
		return false
	}
	if !weak {
		return true
	}
	if len(dec) != 1 || !(isAlnum(dec[0]) || groupSep[dec[0]]) {
		return false
	}
	if (isDigit(dec[0]) || groupSep[dec[0]]) && isDigit(at(t, i-1)) && isDigit(at(t, i+n)) {
		// Inside a number: 555=2D2671.
		return true
	}
	return escapeCluster(t, i, n, nt, dec[0])
}

// clusterReach bounds how far escapeCluster looks on either side.
const clusterReach = 32

// minTokenWord is the shortest word that an escape inside makes
// significant: secrets are twenty characters or longer (an AWS access key
// ID); "duration=4123ms" is not one.
const minTokenWord = 20

// groupSep marks the ASCII separators of digit groups (see normRune).
var groupSep = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '-': true, '.': true, '_': true, '/': true, '+': true, ',': true, '\'': true}

// escapeCluster reports whether the weak escape t[i:i+n] stands among
// other escapes: of a word (letters, digits and escapes) or of a number
// (digits, group separators and escapes), or in a word of minTokenWord
// characters or more. An encoded value, not a stray "=20" in
// "status=200".
func escapeCluster(t []byte, i, n int, nt notation, dec byte) bool {
	var dst [utf8.UTFMax]byte
	// One scan each way, following the word and the number at once; an
	// escape reached while either goes on is another of theirs.
	word, sawAt := 1, dec == '@'
	inWord, inNum := true, true
	for j := i + n; j < len(t) && j-i < clusterReach; {
		c := t[j]
		if escIntro[c] {
			if k, _, _ := escapeAt(t, j, &dst, nt); k > 0 {
				return true
			}
		}
		inWord = inWord && clusterWord(c)
		inNum = inNum && (isDigit(c) || groupSep[c])
		if !inWord && !inNum {
			break
		}
		if inWord {
			word++
			sawAt = sawAt || c == '@'
		}
		j++
	}
	inWord, inNum = true, true
	for j := i - 1; j >= 0 && i-j <= clusterReach; j-- {
		c := t[j]
		if escIntro[c] {
			if k, _, _ := escapeAt(t, j, &dst, nt); k > 0 && j+k <= i {
				return true
			}
			continue
		}
		inWord = inWord && clusterWord(c)
		inNum = inNum && (isDigit(c) || groupSep[c])
		if !inWord && !inNum {
			break
		}
		if inWord {
			word++
			sawAt = sawAt || c == '@'
		}
	}
	// An address is shorter than a token, and its at sign tells it.
	return word >= minTokenWord || dashedDigits(t, i, n, dec) >= minClusterDigits || sawAt && word >= minAddressWord
}

// dashedDigits counts the digits of the number the escape t[i:i+n],
// standing for dec, is part of: digits and dashes on either side
// (123-4=35-6789), within clusterReach. Spaces and dots end it: "40
// =3840ms" after an address is no number of eight digits.
func dashedDigits(t []byte, i, n int, dec byte) int {
	d := 0
	if isDigit(dec) {
		d++
	}
	for j := i + n; j < len(t) && j-i < clusterReach && (isDigit(t[j]) || t[j] == '-'); j++ {
		if isDigit(t[j]) {
			d++
		}
	}
	for j := i - 1; j >= 0 && i-j <= clusterReach && (isDigit(t[j]) || t[j] == '-'); j-- {
		if isDigit(t[j]) {
			d++
		}
	}
	return d
}

// minAddressWord is the shortest word with an at sign that an escape
// inside makes significant: a@b.cd.
const minAddressWord = 6

// minClusterDigits is the fewest digits of a number that an escape inside
// makes significant: 123-4=35-6789 is an SSN, "v1.2=303" is not a value.
const minClusterDigits = 7

// clusterWord marks the characters of a word around an escape: letters,
// digits and the punctuation of tokens and addresses (ann.le=65@example).
func clusterWord(c byte) bool {
	return isAlnum(c) || c == '.' || c == '@' || c == '_' || c == '-' || c == '+'
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

// decode fills l with src decoded once under notation nt; srcSt and
// srcEn map src to the original text (nil: src is the original). It
// reports whether anything was decoded, and the original span of an
// over-long escape, if any.
func (l *layer) decode(src []byte, srcSt, srcEn []int, nt notation) (changed bool, bad span, hasBad bool) {
	// A view is at most half as long again as its source: an escape is at
	// least as long as the UTF-8 it stands for, but for CSS's \0, two
	// bytes that stand for U+FFFD.
	l.grow(len(src) + len(src)/2)
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
		k, dn, over := escapeAt(src, i, &dst, nt)
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
var escIntro = [256]bool{'%': true, '&': true, '\\': true, '=': true}

// grow makes room for a view of up to n bytes.
func (l *layer) grow(n int) {
	if cap(l.b) < n || cap(l.st) < n || cap(l.en) < n {
		// The views that append (encoded runs, code lists) grow the
		// three apart.
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

// decodedCandidates decodes src (mapped to the original by st and en, nil
// for the original itself) under each notation in esc, runs the detectors
// over each decoded view, and goes on with the escapes each view still
// holds, up to len(ls) layers deep and ls.budget views in all.
func (p *Policy) decodedCandidates(ls *layers, src []byte, st, en []int, esc notation, final bool, out []span, strict bool) []span {
	return p.decodeTree(ls.dec[:], &ls.decWords, &ls.decStrip, &ls.decUn, src, st, en, esc, final, out, strict, &ls.budget)
}

// maxViews bounds the decoded views of one reading of a text (as it is,
// as UTF-16, under a markup reading): escapes of every notation nested in
// each other could otherwise ask for 3^maxDecodeDepth, each a pass of
// every detector. A text that asks for more fails closed (ErrLimit).
const maxViews = 12

func (p *Policy) decodeTree(ls []layer, w, ms *layer, un *unwrapLayers, src []byte, st, en []int, esc notation, final bool, out []span, strict bool, budget *int) []span {
	if len(ls) == 0 {
		return out
	}
	l := &ls[0]
	for _, nt := range notations {
		if esc&nt == 0 {
			continue
		}
		if *budget == 0 {
			// Escapes nested deeper than the views allowed: fail closed
			// rather than leave a notation unread.
			s, _ := spanOf(st, en, 0)
			_, e := spanOf(st, en, len(src)-1)
			return append(out, span{start: s, end: e, overlong: true})
		}
		*budget--
		changed, bad, hasBad := l.decode(src, st, en, nt)
		if hasBad {
			out = append(out, bad)
		}
		if !changed {
			continue
		}
		k := len(out)
		out = p.plainCandidates(l.b, final, out)
		out = mapBack(out, k, l, p.horizon-ctxBefore, strict)
		if p.words && hasAtWords(l.b, true) {
			out = p.wordCandidates(w, l.b, l.st, l.en, final, out, strict)
		}
		out = p.rewrittenPlain(ms, un, l, final, out, strict)
		if hasMarkup(l.b) {
			// Markup that was escaped (&lt;b&gt;) still splits the
			// text a reader sees.
			ms.stripMapped(l.b, l.st, l.en, readNaive)
			k := len(out)
			out = p.markupFreeCandidates(ms.b, final, out)
			out = mapBack(out, k, ms, p.horizon-ctxBefore, false)
		}
		if more := hasEscape(l.b); more != 0 {
			out = p.decodeTree(ls[1:], w, ms, un, l.b, l.st, l.en, more, final, out, strict, budget)
		}
	}
	return out
}
