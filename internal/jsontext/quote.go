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
	i := plainPrefix(s, escapeHTML)
	for i < len(s) {
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

// Word masks of the bytes plainPrefix looks for, one per byte of a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainPrefix returns how many leading bytes of s are written as they are
// (plainBytes), give or take the last word: it reads eight bytes at a time
// and stops at the first word holding a byte to escape, a control byte or
// a byte above ASCII (left to AppendQuote's byte loop). Hashes, ids and
// names, most of what the record writes, are plain throughout.
func plainPrefix[S ~string | ~[]byte](s S, escapeHTML bool) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8] // known length: one load, no bounds checks
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		// A byte below 0x20, at or above 0x80, '"' or '\\'.
		bad := (w - 0x20*ones) | w | hasByte(w, '"') | hasByte(w, '\\')
		if escapeHTML {
			bad |= hasByte(w, '<') | hasByte(w, '>') | hasByte(w, '&')
		}
		if bad&highs != 0 {
			break
		}
	}
	return i
}

// hasByte sets the high bit of every byte of w equal to c (and may set
// it in a byte above one equal to c: a false alarm only sends that word
// to the byte loop).
func hasByte(w uint64, c byte) uint64 {
	x := w ^ (ones * uint64(c))
	return (x - ones) &^ x
}
