package httpgate

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Charsets. The detectors read UTF-8; a client decodes a body in the
// charset the response declares or its bytes betray. A value in UTF-16
// (4\x001\x00...) or with a windows-1252 soft hyphen between its digits
// is text to the client and noise to the masker. So a masked textual body
// is decoded the way a browser would (a byte order mark first, then the
// Content-Type charset, then for HTML a <meta> charset and for XML the
// encoding declaration in the first KiB, then the NUL pattern of UTF-16
// and UTF-32 JSON), masked as UTF-8, and served as UTF-8 with
// "charset=utf-8" declared, so that the client decodes what the masker
// read. A body of another type is text too when it starts with a byte
// order mark. A charset the gateway has no decoder for fails closed
// (502), and so does a NUL byte in a textual body, which some client
// would drop.

// textual reports whether a client reads bodies of the media type mt as
// text (mt is "" when the response has no Content-Type: then the body's
// first bytes decide, see filter.textSource).
func textual(mt string) bool {
	switch {
	case mt == "", strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "/json"), strings.HasSuffix(mt, "+json"),
		strings.HasSuffix(mt, "/xml"), strings.HasSuffix(mt, "+xml"),
		strings.HasSuffix(mt, "/javascript"), strings.HasSuffix(mt, "/ecmascript"),
		strings.HasSuffix(mt, "ndjson"), strings.HasSuffix(mt, "jsonl"), strings.HasSuffix(mt, "json-seq"),
		mt == "application/x-www-form-urlencoded", mt == "application/xhtml+xml",
		strings.HasSuffix(mt, "yaml"), strings.HasSuffix(mt, "csv"):
		return true
	}
	return false
}

// sniffLen is how much of a body sourceCharset may need: a byte order
// mark and the NUL pattern need 4 bytes, an HTML or XML declaration the
// first KiB (as a browser's prescan).
func sniffLen(mt string, declared bool) int {
	if !declared && (htmlType(mt) || xmlType(mt)) {
		return 1024
	}
	return 4
}

func htmlType(mt string) bool { return mt == "text/html" || mt == "application/xhtml+xml" }

func xmlType(mt string) bool {
	return strings.HasSuffix(mt, "/xml") || strings.HasSuffix(mt, "+xml")
}

// sourceCharset returns the decoder a client would use for a body that
// starts with head (nil: UTF-8) and the length of a byte order mark to
// drop. label is the Content-Type charset, "" when none is declared.
func sourceCharset(mt, label string, head []byte) (encoding.Encoding, int, error) {
	if enc, n := bomCharset(head); n > 0 {
		return enc, n, nil
	}
	if label != "" {
		enc, err := lookupCharset(label)
		return enc, 0, err
	}
	if l := declaredInBody(mt, head); l != "" {
		enc, err := lookupCharset(l)
		if err != nil {
			return nil, 0, err
		}
		if isWide(enc) {
			// A declaration read as ASCII cannot be in UTF-16: HTML's
			// prescan takes it as UTF-8.
			enc = nil
		}
		return enc, 0, nil
	}
	if len(head) >= 4 {
		// RFC 4627's detection, which JSON decoders still apply.
		z := [4]bool{head[0] == 0, head[1] == 0, head[2] == 0, head[3] == 0}
		switch z {
		case [4]bool{true, true, true, false}:
			return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), 0, nil
		case [4]bool{false, true, true, true}:
			return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), 0, nil
		case [4]bool{true, false, true, false}:
			return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), 0, nil
		case [4]bool{false, true, false, true}:
			return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), 0, nil
		}
	}
	return nil, 0, nil
}

// bomCharset reads a byte order mark: the decoder it calls for (nil for
// UTF-8) and its length, 0 when there is none.
func bomCharset(head []byte) (encoding.Encoding, int) {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return nil, 3
	case bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), 4
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), 4
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), 2
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), 2
	}
	return nil, 0
}

// wideText returns the decoder of a body of a type that is not textual
// whose first 8 bytes read as printable ASCII text in UTF-16 or UTF-32
// without a byte order mark ("a\x00b\x00c\x00d\x00"), or nil. A client
// that detects the encoding (a browser's or a library's sniffer, or one
// that drops NULs) reads such a body as text, and the byte masker would
// not: "4\x001\x00..." holds no digit run. Printable ASCII in every
// other position over two UTF-32 or four UTF-16 units keeps binary
// formats out (a BSON document's length is followed by a type byte).
func wideText(head []byte) encoding.Encoding {
	if len(head) < wideSniffLen {
		return nil
	}
	h := head[:wideSniffLen]
	// at reports whether the bytes of h at the offsets of each unit (of
	// size n) are printable, and all the others NUL.
	at := func(n int, offs ...int) bool {
		for i, c := range h {
			if slices.Contains(offs, i%n) {
				if !(c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r') {
					return false
				}
			} else if c != 0 {
				return false
			}
		}
		return true
	}
	switch {
	case at(4, 0):
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	case at(4, 3):
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
	case at(2, 0):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case at(2, 1):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	return nil
}

// wideSniffLen is how much of a body of a type that is not textual
// wideText reads.
const wideSniffLen = 8

func isWide(enc encoding.Encoding) bool {
	if enc == nil {
		return false
	}
	n, _ := htmlindex.Name(enc)
	if strings.HasPrefix(n, "utf-16") {
		return true
	}
	in, _ := ianaindex.IANA.Name(enc)
	in = strings.ToLower(in)
	return strings.HasPrefix(in, "utf-16") || strings.HasPrefix(in, "utf-32")
}

// lookupCharset resolves a charset label: the WHATWG labels browsers know
// (latin1 and us-ascii mean windows-1252 there), then the IANA names
// (UTF-32). nil means UTF-8.
func lookupCharset(label string) (encoding.Encoding, error) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "utf-8", "utf8", "unicode-1-1-utf-8":
		return nil, nil
	case "utf-32", "utf-32be", "ucs-4":
		return utf32.UTF32(utf32.BigEndian, utf32.UseBOM), nil
	case "utf-32le":
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), nil
	}
	if e, err := htmlindex.Get(l); err == nil {
		if n, _ := htmlindex.Name(e); n == "utf-8" {
			return nil, nil
		}
		return e, nil
	}
	if e, err := ianaindex.IANA.Encoding(l); err == nil && e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("%w: no decoder for charset %q", errUnmaskable, label)
}

// declaredInBody finds the charset an HTML <meta> or an XML declaration
// names in the head of a body.
func declaredInBody(mt string, head []byte) string {
	switch {
	case htmlType(mt):
		low := bytes.ToLower(head)
		for i := 0; ; {
			k := bytes.Index(low[i:], []byte("<meta"))
			if k < 0 {
				return ""
			}
			i += k + 5
			end := bytes.IndexByte(low[i:], '>')
			if end < 0 {
				end = len(low) - i
			}
			tag := low[i : i+end]
			if c := bytes.Index(tag, []byte("charset")); c >= 0 {
				if v := attrValue(tag[c+7:]); v != "" {
					return v
				}
			}
		}
	case xmlType(mt):
		if !bytes.HasPrefix(head, []byte("<?xml")) {
			return ""
		}
		end := bytes.Index(head, []byte("?>"))
		if end < 0 {
			return ""
		}
		decl := head[:end]
		if c := bytes.Index(decl, []byte("encoding")); c >= 0 {
			return attrValue(decl[c+8:])
		}
	}
	return ""
}

// attrValue reads `= "value"` (quotes optional) up to a quote, space, ';'
// or '/'.
func attrValue(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n\f")
	if len(b) == 0 || b[0] != '=' {
		return ""
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n\f")
	if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
		b = b[1:]
	}
	e := bytes.IndexAny(b, "\"' \t\r\n\f;/>")
	if e >= 0 {
		b = b[:e]
	}
	return string(b)
}
