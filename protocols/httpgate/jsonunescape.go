package httpgate

import (
	"unicode/utf16"
	"unicode/utf8"
)

// unescapeJSON returns a valid JSON text with the escapes of its strings
// decoded, as a JSON decoder decodes them (an unpaired surrogate is
// U+FFFD). Outside strings a JSON text holds no backslash.
func unescapeJSON(doc []byte) []byte {
	out := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c != '\\' || i+1 >= len(doc) {
			out = append(out, c)
			continue
		}
		i++
		switch e := doc[i]; e {
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
			r, n := unicodeEscape(doc[i-1:])
			out = utf8.AppendRune(out, r)
			i += n - 2
		default: // '"', '\\', '/'
			out = append(out, e)
		}
	}
	return out
}

// unicodeEscape decodes the \uXXXX escape at the start of b, with the low
// surrogate that follows a high one, and returns its length.
func unicodeEscape(b []byte) (rune, int) {
	r := hex4(b[2:])
	if utf16.IsSurrogate(r) && len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
		if d := utf16.DecodeRune(r, hex4(b[8:])); d != utf8.RuneError {
			return d, 12
		}
	}
	if utf16.IsSurrogate(r) {
		r = utf8.RuneError
	}
	return r, 6
}

// hex4 is the value of the four hexadecimal digits at the start of b
// (valid JSON has them).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}
