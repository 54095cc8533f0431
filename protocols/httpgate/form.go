package httpgate

import (
	"bytes"
	"net/url"
	"strings"
	"unicode/utf8"
)

// parseForm parses an application/x-www-form-urlencoded body strictly:
// only what a form encoder produces, so that no other parser (a handler
// decoding JSON or XML whatever the Content-Type) reads another request in
// it. It refuses a byte order mark, control characters and the characters
// a form encoder escapes and JSON or XML need ({ } " < > \), a name
// that is empty or starts with '[', and names and values that do not
// decode to valid UTF-8.
func parseForm(body []byte) (url.Values, *refusal) {
	const check = "body"
	if !utf8.Valid(body) {
		return nil, refuse(400, check, "the form body is not valid UTF-8")
	}
	if bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		return nil, refuse(400, check, "the form body starts with a byte order mark")
	}
	if i := bytes.IndexFunc(body, notFormRune); i >= 0 {
		return nil, refuse(400, check, "the form body is not form-encoded: %q at byte %d", body[i], i)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, refuse(400, check, "the form body cannot be parsed unambiguously")
	}
	for k, vs := range form {
		if k == "" || k[0] == '[' {
			return nil, refuse(400, check, "the form body holds a parameter without a name")
		}
		if !utf8.ValidString(k) || strings.IndexFunc(k, isControl) >= 0 {
			return nil, refuse(400, check, "a form parameter name does not decode to UTF-8 text")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return nil, refuse(400, check, "form parameter %q does not decode to UTF-8", k)
			}
		}
	}
	return form, nil
}

// notFormRune reports the characters a form body never holds unescaped.
func notFormRune(r rune) bool {
	switch r {
	case '{', '}', '"', '<', '>', '\\':
		return true
	}
	return isControl(r)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// looksLikeJSON reports whether body, under a type the gateway does not
// parse, would read as JSON to a lax parser: a JSON object or array after
// a byte order mark (UTF-8, 16 or 32), whitespace, comments, and the NUL
// bytes of a UTF-16 or UTF-32 encoding, which some parsers detect without
// a mark.
func looksLikeJSON(body []byte) bool {
	for _, bom := range []string{"\xef\xbb\xbf", "\x00\x00\xfe\xff", "\xff\xfe\x00\x00", "\xfe\xff", "\xff\xfe"} {
		if b, ok := bytes.CutPrefix(body, []byte(bom)); ok {
			body = b
			break
		}
	}
	body = skipJSONComments(bytes.TrimLeft(body, " \t\r\n\x00"))
	return len(body) > 0 && (body[0] == '{' || body[0] == '[')
}

// skipJSONComments drops the comments (/* */ and // to the end of the
// line) and whitespace that start body: JSON5 parsers and Jackson with
// ALLOW_COMMENTS read /**/{"amount":5000} as an object.
func skipJSONComments(body []byte) []byte {
	for {
		switch {
		case bytes.HasPrefix(body, []byte("/*")):
			end := bytes.Index(body[2:], []byte("*/"))
			if end < 0 {
				return body
			}
			body = body[2+end+2:]
		case bytes.HasPrefix(body, []byte("//")):
			end := bytes.IndexAny(body, "\r\n")
			if end < 0 {
				return body
			}
			body = body[end:]
		default:
			return body
		}
		body = bytes.TrimLeft(body, " \t\r\n\x00")
	}
}
