package packed

import "bytes"

// Base85 writes four bytes as five characters: Adobe's ASCII85 (btoa,
// PDF's ASCII85Decode, Python's a85encode), Z85 (ZeroMQ) and RFC 1924's
// alphabet (Python's b85encode, git's binary patches). Text encoded so
// reads as characters the detectors see nothing in, and a PDF's streams
// may be under ASCII85 without the PDF around them. Base85Runs finds the
// runs of each alphabet in text (lines of ASCII85 joined across their
// line breaks, as its decoders skip white space) and hands what each
// decodes to, from each of the five offsets a group may start at, to the
// caller's judgement.

// MinBase85Run is the shortest run of base85 characters decoded: 20
// bytes; shorter ones are words and identifiers.
const MinBase85Run = 25

const (
	z85Alphabet     = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
	rfc1924Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
)

// base85Digits are each alphabet's digit values, -1 for other bytes;
// the first is ASCII85's ('!' to 'u', and 'z' for four zero bytes, -2).
var base85Digits = func() (t [3][256]int8) {
	for v := range 3 {
		for c := range 256 {
			t[v][c] = -1
		}
	}
	for c := '!'; c <= 'u'; c++ {
		t[0][c] = int8(c - '!')
	}
	t[0]['z'] = -2
	for i := range 85 {
		t[1][z85Alphabet[i]] = int8(i)
		t[2][rfc1924Alphabet[i]] = int8(i)
	}
	return t
}()

// Base85Runs calls visit with what each run of base85 characters in text
// decodes to, in each alphabet and from each of five offsets, until
// visit returns true; it reports whether one did.
func Base85Runs(text []byte, visit func(decoded []byte) bool) bool {
	var run, dec []byte
	for v := range 3 {
		digits := &base85Digits[v]
		for i := 0; i < len(text); {
			if digits[text[i]] == -1 {
				i++
				continue
			}
			run = run[:0]
			for ; i < len(text); i++ {
				c := text[i]
				if digits[c] != -1 {
					run = append(run, c)
				} else if v != 0 || c != '\n' && c != '\r' {
					break
				}
			}
			if len(run) < MinBase85Run {
				continue
			}
			for k := range 2 {
				if k == 1 {
					// In a JSON or quoted string: '"', '\\' and '/'
					// escaped, as the client reads them unescaped.
					if bytes.IndexByte(run, '\\') < 0 {
						break
					}
					run = unescapeQuoted(run)
				}
				for off := range 5 {
					dec = decodeBase85(dec[:0], digits, run[off:])
					if len(dec) >= 4 && visit(dec) {
						return true
					}
				}
			}
		}
	}
	return false
}

// unescapeQuoted drops the backslash before '"', '\\' and '/' in run,
// and escaped white space.
func unescapeQuoted(run []byte) []byte {
	out := run[:0]
	for i := 0; i < len(run); i++ {
		if run[i] == '\\' && i+1 < len(run) {
			switch run[i+1] {
			case '"', '\\', '/':
				i++
			case 'n', 'r', 't':
				i++ // white space, which ASCII85 skips
				continue
			}
		}
		out = append(out, run[i])
	}
	return out
}

// decodeBase85 appends to dst what run decodes to with digits, group by
// group; a group that does not decode (a value past 32 bits) is four
// zero bytes.
func decodeBase85(dst []byte, digits *[256]int8, run []byte) []byte {
	for len(run) > 0 {
		if digits[run[0]] == -2 {
			dst = append(dst, 0, 0, 0, 0)
			run = run[1:]
			continue
		}
		if len(run) < 5 {
			// A last partial group, as decoders pad it.
			if len(run) < 2 {
				return dst
			}
			var g [5]byte
			n := copy(g[:], run)
			for k := n; k < 5; k++ {
				g[k] = 0xff // the highest digit, 84
			}
			v, ok := base85Group(digits, g[:], true)
			if !ok {
				return dst
			}
			return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))[:len(dst)+n-1]
		}
		v, ok := base85Group(digits, run[:5], false)
		if !ok {
			// Not data (a keyword before it: "stream"): a separator,
			// and the groups after it are read on.
			v = 0
		}
		dst = append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
		run = run[5:]
	}
	return dst
}

// base85Group is the value of five characters; pad marks bytes 0xff as
// the highest digit (84).
func base85Group(digits *[256]int8, g []byte, pad bool) (uint32, bool) {
	var v uint64
	for _, c := range g {
		d := int64(digits[c])
		if pad && c == 0xff {
			d = 84
		}
		if d < 0 {
			return 0, false
		}
		v = v*85 + uint64(d)
	}
	if v > 0xffffffff {
		return 0, false
	}
	return uint32(v), true
}

// MayStart reports whether b may start packed data: a signature (Magic),
// or raw deflate or zlib by their blocks' structure.
func MayStart(b []byte) bool {
	if Magic(b, false) != "" {
		return true
	}
	if len(b) >= 2 && zlibCheck(b) && b[0]&0x0f == 8 && deflateStart(b[2:], false) {
		return true
	}
	return deflateStart(b, false)
}
