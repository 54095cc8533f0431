package jsontext

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// plainBytes marks, without and with HTML escaping, the bytes written as
// they are: printable ASCII (DEL included) but '"' and '\\' (and '<', '>',
// '&' with HTML escaping). One table look-up per byte of the common case.
var plainBytes = func() (t [2][256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain := c != '"' && c != '\\'
		t[0][c] = plain
		t[1][c] = plain && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendQuote appends s to dst as a JSON string, byte for byte as
// encoding/json writes it: '"' and '\\' escaped, \b \f \n \r \t in their
// short forms and the other control characters as \u00XX, U+2028 and
// U+2029 escaped, invalid UTF-8 replaced by \ufffd. With escapeHTML, '<',
// '>' and '&' are escaped too (\u003c, \u003e, \u0026), as json.Marshal
// does; without, they are kept, as an Encoder after SetEscapeHTML(false).
func AppendQuote[S ~string | ~[]byte](dst []byte, s S, escapeHTML bool) []byte {
	dst = append(dst, '"')
	plain := &plainBytes[0]
	if escapeHTML {
		plain = &plainBytes[1]
	}
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if plain[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
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
