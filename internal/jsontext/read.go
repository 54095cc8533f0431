package jsontext

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// SyntaxError is malformed JSON text: what was wrong and the byte offset
// where it was found.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("json: %s at byte %d", e.Msg, e.Offset) }

func syntaxErr(offset int, format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: offset}
}

// ErrDepth is returned by SkipValue for a value nested deeper than allowed.
var ErrDepth = errors.New("json: nested too deep")

// SkipSpace returns the index of the first byte at or after src[i] that is
// not JSON whitespace.
func SkipSpace(src []byte, i int) int {
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// ReadString decodes the JSON string whose opening quote is src[i], as
// encoding/json decodes it: escapes resolved, a surrogate pair joined, a
// lone surrogate replaced by U+FFFD. Bytes that are not valid UTF-8 are
// kept as they are (encoding/json would replace them; callers decide). It
// returns the decoded bytes, whether the string held an escape, and the
// index after the closing quote. Without an escape the result is a
// sub-slice of src; with one it is appended to buf[:0], so a caller can
// pass the same buffer again once it is done with the previous result.
func ReadString(buf, src []byte, i int) (s []byte, escaped bool, next int, err error) {
	a := i + 1
	j := a
	for j < len(src) {
		c := src[j]
		if c == '"' {
			return src[a:j], false, j + 1, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		j++
	}
	out := append(buf[:0], src[a:j]...)
	for j < len(src) {
		c := src[j]
		switch {
		case c == '"':
			return out, true, j + 1, nil
		case c < 0x20:
			return nil, false, 0, syntaxErr(j, "control character in string")
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(src) {
			break
		}
		e := src[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
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
			r, ok := Hex4(src, j)
			if !ok {
				return nil, false, 0, syntaxErr(j, "bad \\u escape")
			}
			j += 4
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(-1), false
				if j+1 < len(src) && src[j] == '\\' && src[j+1] == 'u' {
					r2, ok2 = Hex4(src, j+2)
				}
				if d := utf16.DecodeRune(r, r2); ok2 && d != utf8.RuneError {
					r = d
					j += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, false, 0, syntaxErr(j-1, "bad escape")
		}
	}
	return nil, false, 0, syntaxErr(len(src), "unterminated string")
}

// Hex4 reads the four hexadecimal digits at src[i:] (of a \u escape).
func Hex4(src []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(src) {
		return 0, false
	}
	var r rune
	for _, c := range src[i : i+4] {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// NumberEnd validates the number starting at src[i] by RFC 8259's grammar
// and returns the index after it.
func NumberEnd(src []byte, i int) (int, error) {
	if i < len(src) && src[i] == '-' {
		i++
	}
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case i < len(src) && src[i] >= '1' && src[i] <= '9':
		i = digitsEnd(src, i)
	default:
		return 0, syntaxErr(i, "bad number")
	}
	if i < len(src) && src[i] == '.' {
		k := digitsEnd(src, i+1)
		if k == i+1 {
			return 0, syntaxErr(i, "bad number")
		}
		i = k
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		k := digitsEnd(src, i)
		if k == i {
			return 0, syntaxErr(i, "bad number")
		}
		i = k
	}
	return i, nil
}

func digitsEnd(src []byte, i int) int {
	for i < len(src) && '0' <= src[i] && src[i] <= '9' {
		i++
	}
	return i
}

// SkipValue validates the value starting at src[i] and returns the index
// after it. Whitespace inside the value is allowed; none is skipped before
// or after it. A value nesting more than maxDepth levels of objects and
// arrays below itself is refused with an error wrapping ErrDepth. Duplicate
// object keys are not looked for.
func SkipValue(src []byte, i, maxDepth int) (int, error) {
	return skipValue(src, i, 0, maxDepth)
}

func skipValue(src []byte, i, depth, maxDepth int) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("%w: more than %d levels", ErrDepth, maxDepth)
	}
	if i >= len(src) {
		return 0, syntaxErr(i, "unexpected end")
	}
	switch c := src[i]; {
	case c == '"':
		return scanString(src, i)
	case c == '-' || ('0' <= c && c <= '9'):
		return NumberEnd(src, i)
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = SkipSpace(src, i+1)
		if i < len(src) && src[i] == end {
			return i + 1, nil
		}
		for {
			i = SkipSpace(src, i)
			if c == '{' {
				if i >= len(src) || src[i] != '"' {
					return 0, syntaxErr(i, "object key expected")
				}
				next, err := scanString(src, i)
				if err != nil {
					return 0, err
				}
				i = SkipSpace(src, next)
				if i >= len(src) || src[i] != ':' {
					return 0, syntaxErr(i, "':' expected")
				}
				i = SkipSpace(src, i+1)
			}
			next, err := skipValue(src, i, depth+1, maxDepth)
			if err != nil {
				return 0, err
			}
			i = SkipSpace(src, next)
			if i >= len(src) {
				return 0, syntaxErr(i, "unexpected end")
			}
			if src[i] == ',' {
				i++
				continue
			}
			if src[i] == end {
				return i + 1, nil
			}
			return 0, syntaxErr(i, "',' or %q expected", end)
		}
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(src)-i >= len(lit) && string(src[i:i+len(lit)]) == lit {
			return i + len(lit), nil
		}
	}
	return 0, syntaxErr(i, "unexpected %q", src[i])
}

// scanString validates the string at src[i] (its opening quote) and
// returns the index after its closing quote, with ReadString's errors at
// ReadString's positions, without decoding it. A surrogate pair needs no
// pairing here: each of its \u escapes is four hexadecimal digits either
// way, and ReadString never fails on a pair that does not decode.
func scanString(src []byte, i int) (int, error) {
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == '"':
			return j + 1, nil
		case c < 0x20:
			return 0, syntaxErr(j, "control character in string")
		case c != '\\':
			j++
			continue
		}
		if j+1 >= len(src) {
			break
		}
		e := src[j+1]
		j += 2
		switch e {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if _, ok := Hex4(src, j); !ok {
				return 0, syntaxErr(j, "bad \\u escape")
			}
			j += 4
		default:
			return 0, syntaxErr(j-1, "bad escape")
		}
	}
	return 0, syntaxErr(len(src), "unterminated string")
}
