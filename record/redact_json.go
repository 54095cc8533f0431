package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/jsontext"
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
			return appendString(dst, s), end, nil
		}
		return appendString(dst, c.rep.Replace(string(s))), end, nil
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
		dst = appendString(dst, m.key)
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
// case, is returned as a slice of src; one that is not valid UTF-8 is
// decoded by encoding/json, exactly as the generic path decodes it.
func (c *canon) str(src []byte, i int) ([]byte, int, error) {
	s, _, end, err := jsontext.ReadString(nil, src, i)
	if err != nil {
		return nil, 0, errCanon
	}
	if utf8.Valid(s) {
		return s, end, nil
	}
	var u string
	if err := json.Unmarshal(src[i:end], &u); err != nil {
		return nil, 0, errCanon
	}
	return []byte(u), end, nil
}

// skipValue returns the index after the value starting at src[i]. src is
// json.Marshal output (compact and valid), so matching quotes and brackets
// is enough; c.value, which re-reads every value it copies, checks that
// the value ends where this says.
func skipValue(src []byte, i int) (int, error) {
	depth := 0
	for i < len(src) {
		switch src[i] {
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
			i++ // the closing quote
		case '{', '[':
			depth++
			i++
			continue
		case '}', ']':
			depth--
			i++
		default:
			if depth > 0 {
				i++
				continue
			}
			j := i // a number or literal
			for j < len(src) && src[j] != ',' && src[j] != ']' && src[j] != '}' {
				j++
			}
			return j, nil
		}
		if depth < 0 || i > len(src) {
			return 0, errCanon
		}
		if depth == 0 {
			return i, nil
		}
	}
	return 0, errCanon
}
