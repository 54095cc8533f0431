package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// errCanon sends an event down the slow, generic redaction path: the fast
// re-encoder met JSON it does not handle (a duplicate key, an unusual escape).
var errCanon = errors.New("record: not canonical")

// redactJSON rewrites src, the json.Marshal output of an event, into dst the
// way decoding it into an any, replacing secrets in every string value with
// rep and marshalling it again would: object keys sorted, strings in
// encoding/json's escaped form, numbers and literals as they were. It walks
// the bytes once per nesting level and allocates no tree.
func redactJSON(dst, src []byte, rep *secretReplacer) ([]byte, error) {
	c := canonPool.Get().(*canon)
	defer canonPool.Put(c)
	c.rep = rep
	dst, end, err := c.value(dst, src, 0)
	c.rep = nil
	if err != nil {
		return nil, err
	}
	if end != len(src) {
		return nil, errCanon
	}
	return dst, nil
}

type member struct {
	key        []byte // decoded
	start, end int    // the value's bytes in src
}

type canon struct {
	rep     *secretReplacer
	members []member
	scratch []byte
}

var canonPool = sync.Pool{New: func() any { return &canon{} }}

// value writes the value starting at src[i] and returns the index after it.
func (c *canon) value(dst, src []byte, i int) ([]byte, int, error) {
	if i >= len(src) {
		return nil, 0, errCanon
	}
	switch src[i] {
	case '"':
		s, end, err := c.str(src, i)
		if err != nil {
			return nil, 0, err
		}
		// The replacer only changes a string that holds a secret: test that
		// first, and skip the copy a Replace call makes.
		if !c.rep.contains(s) {
			return appendJSONString(dst, s), end, nil
		}
		return appendJSONString(dst, c.rep.Replace(string(s))), end, nil
	case '[':
		dst = append(dst, '[')
		i++
		if i < len(src) && src[i] == ']' {
			return append(dst, ']'), i + 1, nil
		}
		for {
			var err error
			if dst, i, err = c.value(dst, src, i); err != nil {
				return nil, 0, err
			}
			if i >= len(src) {
				return nil, 0, errCanon
			}
			if src[i] == ']' {
				return append(dst, ']'), i + 1, nil
			}
			if src[i] != ',' {
				return nil, 0, errCanon
			}
			dst = append(dst, ',')
			i++
		}
	case '{':
		return c.object(dst, src, i)
	}
	// Number or literal: copied as is (json.Number marshals verbatim).
	j := i
	for j < len(src) && src[j] != ',' && src[j] != ']' && src[j] != '}' {
		j++
	}
	if j == i {
		return nil, 0, errCanon
	}
	return append(dst, src[i:j]...), j, nil
}

func (c *canon) object(dst, src []byte, i int) ([]byte, int, error) {
	base := len(c.members)
	defer func() { c.members = c.members[:base] }()
	i++
	if i < len(src) && src[i] == '}' {
		return append(dst, '{', '}'), i + 1, nil
	}
	for {
		if i >= len(src) || src[i] != '"' {
			return nil, 0, errCanon
		}
		k, end, err := c.str(src, i)
		if err != nil {
			return nil, 0, err
		}
		if end >= len(src) || src[end] != ':' {
			return nil, 0, errCanon
		}
		vs := end + 1
		ve, err := skipValue(src, vs)
		if err != nil {
			return nil, 0, err
		}
		c.members = append(c.members, member{key: k, start: vs, end: ve})
		i = ve
		if i >= len(src) {
			return nil, 0, errCanon
		}
		if src[i] == '}' {
			i++
			break
		}
		if src[i] != ',' {
			return nil, 0, errCanon
		}
		i++
	}
	ms := c.members[base:]
	slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	for j := 1; j < len(ms); j++ {
		if bytes.Equal(ms[j].key, ms[j-1].key) {
			return nil, 0, errCanon // the decoder would keep the last one: let it.
		}
	}
	dst = append(dst, '{')
	for j := 0; j < len(ms); j++ {
		m := c.members[base+j] // re-read: the recursion may grow c.members
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, m.key)
		dst = append(dst, ':')
		var err error
		var end int
		if dst, end, err = c.value(dst, src[:m.end], m.start); err != nil {
			return nil, 0, err
		}
		if end != m.end {
			return nil, 0, errCanon
		}
	}
	return append(dst, '}'), i, nil
}

// str decodes the JSON string at src[i]. A string without escapes, the usual
// case, is returned as a slice of src; others are decoded by encoding/json,
// exactly as the generic path decodes them.
func (c *canon) str(src []byte, i int) ([]byte, int, error) {
	j := i + 1
	plain := true
	for ; j < len(src); j++ {
		b := src[j]
		if b == '"' {
			break
		}
		if b == '\\' {
			plain = false
			j++
			continue
		}
		if b < 0x20 {
			return nil, 0, errCanon
		}
	}
	if j >= len(src) {
		return nil, 0, errCanon
	}
	raw := src[i+1 : j]
	if plain && utf8.Valid(raw) {
		return raw, j + 1, nil
	}
	if out, ok := unescape(raw); ok {
		return out, j + 1, nil
	}
	var s string
	if err := json.Unmarshal(src[i:j+1], &s); err != nil {
		return nil, 0, errCanon
	}
	return []byte(s), j + 1, nil
}

// unescape decodes the body of a JSON string holding valid UTF-8 and the
// escapes encoding/json writes. It returns false, leaving the work to
// encoding/json, on anything else (surrogates, invalid UTF-8).
func unescape(raw []byte) ([]byte, bool) {
	if !utf8.Valid(raw) {
		return nil, false
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		if b != '\\' {
			out = append(out, b)
			continue
		}
		i++
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+4 >= len(raw) {
				return nil, false
			}
			var r rune
			for _, h := range raw[i+1 : i+5] {
				switch {
				case '0' <= h && h <= '9':
					r = r<<4 | rune(h-'0')
				case 'a' <= h && h <= 'f':
					r = r<<4 | rune(h-'a'+10)
				case 'A' <= h && h <= 'F':
					r = r<<4 | rune(h-'A'+10)
				default:
					return nil, false
				}
			}
			if utf16.IsSurrogate(r) {
				return nil, false
			}
			out = utf8.AppendRune(out, r)
			i += 4
		default:
			return nil, false
		}
	}
	return out, true
}

// skipValue returns the index after the value starting at src[i].
func skipValue(src []byte, i int) (int, error) {
	depth := 0
	for i < len(src) {
		switch b := src[i]; b {
		case '"':
			i++
			for i < len(src) && src[i] != '"' {
				if src[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(src) {
				return 0, errCanon
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i, nil
			}
			depth--
			i++
		case ',':
			if depth == 0 {
				return i, nil
			}
			i++
		default:
			i++
		}
		if depth == 0 && i < len(src) && (src[i] == ',' || src[i] == '}' || src[i] == ']') {
			return i, nil
		}
	}
	if depth != 0 {
		return 0, errCanon
	}
	return i, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted exactly as json.Marshal quotes a string:
// HTML characters, U+2028, U+2029 and control characters escaped, invalid
// UTF-8 replaced by U+FFFD.
func appendJSONString[S string | []byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		n := min(len(s)-i, utf8.UTFMax)
		r, size := utf8.DecodeRuneInString(string(s[i : i+n]))
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
