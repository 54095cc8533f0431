package record

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// errMalformedEvent is the error of an event whose JSON redactStrings
// cannot read (marshalEvent never writes such JSON).
var errMalformedEvent = errors.New("record: the event's JSON is malformed; refusing to store it")

// redactStrings returns src, the JSON of an event as marshalEvent writes it,
// with every secret of rep in its string values replaced by the secret's
// MAC. Everything else is kept byte for byte: keys, numbers, literals, the
// order of fields and the strings that hold no secret; src itself is
// returned when no string holds one. The strings at skip (the base64 of
// the event's byte fields, whose secrets replaceBytes replaced in the
// bytes) are kept as they are; moved is where they are in the result. A
// key holding a secret fails with
// errSecretSurvived (a key is a field name: replacing it would change the
// record's shape), as the check after redaction would.
//
// A string's JSON text holds a secret's raw or JSON-escaped form wherever
// its value holds the secret: marshalEvent escapes a string one character
// at a time. So one search of the whole text for those forms rules out
// every string it finds nothing in; a string with an escape, or whose
// bytes are not valid UTF-8 (JSON that encoding/json embedded as it came),
// is decoded and searched as a value. Once no form is left ahead and no
// byte field's span, the strings from plainTail on (no escape, ASCII
// only) would all be kept: the walk stops there, the parity of their
// quotes telling whether the last one ends.
func redactStrings(src []byte, rep *secretReplacer, skip [][2]int) ([]byte, [][2]int, error) {
	var dst, buf []byte
	copied := 0 // src[:copied] is in dst
	var moved [][2]int
	hit, _ := findBytes(rep.m, src, 0, false)
	tail := plainTail(src)
	for i := 0; ; {
		if hit < 0 && len(skip) == 0 && i >= tail {
			// Every string left is plain ASCII that no form of a secret
			// starts in: each would be kept as it is. They pair their
			// quotes (no backslash is left), so the last one ends unless
			// they are odd in number.
			if bytes.Count(src[i:], []byte{'"'})%2 != 0 {
				return nil, nil, errMalformedEvent
			}
			break
		}
		q := bytes.IndexByte(src[i:], '"')
		if q < 0 {
			break
		}
		start := i + q // the opening quote (outside strings, '"' opens one)
		end, plain, ascii := stringEnd(src, start)
		if end < 0 {
			return nil, nil, errMalformedEvent
		}
		i = end
		if len(skip) > 0 && skip[0][0] == start+1 {
			shift := 0
			if dst != nil {
				shift = len(dst) - copied
			}
			moved = append(moved, [2]int{skip[0][0] + shift, skip[0][1] + shift})
			skip = skip[1:]
			continue
		}
		for hit >= 0 && hit <= start {
			hit, _ = findBytes(rep.m, src, start+1, false)
		}
		// A string a form of a secret starts in is written again as
		// encoding/json writes its value: the check after redaction reads
		// that form.
		found := hit >= 0 && hit < end-1
		content := src[start+1 : end-1]
		s := content
		if !plain || !ascii && !utf8.Valid(content) {
			var owned bool
			var err error
			if s, owned, err = decodeString(buf[:0], src, start); err != nil {
				return nil, nil, errMalformedEvent
			}
			if owned {
				buf = s
			}
		} else if !found {
			continue
		}
		secret := rep.contains(s)
		if !found && !secret {
			continue
		}
		if dst == nil {
			dst = make([]byte, 0, len(src)+80*len(rep.secrets))
		}
		dst = append(dst, src[copied:start]...)
		copied = end
		if end < len(src) && src[end] == ':' {
			if secret {
				return nil, nil, errSecretSurvived // a key: its field's name
			}
			dst = appendString(dst, s)
			continue
		}
		if secret {
			dst = appendString(dst, rep.Replace(string(s)))
		} else {
			dst = appendString(dst, s)
		}
	}
	if len(skip) > 0 {
		return nil, nil, errMalformedEvent // a span not at a string
	}
	if dst == nil {
		return src, moved, nil
	}
	return append(dst, src[copied:]...), moved, nil
}

// plainTail returns the least i such that src[i:] holds no backslash and
// no byte of 0x80 or above (no string there has an escape or a byte
// outside ASCII), from the end: 32 bytes at a time while none of them is
// such a byte, then eight at a time, then one.
func plainTail(src []byte) int {
	const ones, highs, slashes = 0x0101010101010101, 0x8080808080808080, 0x5c5c5c5c5c5c5c5c
	i := len(src)
	for ; i >= 32; i -= 32 {
		p := (*[32]byte)(src[i-32:])
		w0, w1 := binary.LittleEndian.Uint64(p[:]), binary.LittleEndian.Uint64(p[8:])
		w2, w3 := binary.LittleEndian.Uint64(p[16:]), binary.LittleEndian.Uint64(p[24:])
		x0, x1, x2, x3 := w0^slashes, w1^slashes, w2^slashes, w3^slashes
		if (w0|w1|w2|w3|(x0-ones)&^x0|(x1-ones)&^x1|(x2-ones)&^x2|(x3-ones)&^x3)&highs != 0 {
			break // plainTailBefore finds the byte
		}
	}
	return plainTailBefore(src, i)
}

// plainTailBefore is plainTail of src[:i] read eight bytes at a time,
// then one.
func plainTailBefore(src []byte, i int) int {
	const ones, highs, slashes = 0x0101010101010101, 0x8080808080808080, 0x5c5c5c5c5c5c5c5c
	for ; i >= 8; i -= 8 {
		w := binary.LittleEndian.Uint64(src[i-8:])
		x := w ^ slashes // a zero byte where w has a backslash
		if (w|(x-ones)&^x)&highs != 0 {
			break
		}
	}
	for ; i > 0; i-- {
		if c := src[i-1]; c == '\\' || c >= 0x80 {
			break
		}
	}
	return i
}

// stringEnd returns the index after the JSON string that opens at
// src[start], whether the string has no escape, and whether its bytes are
// all ASCII; -1 when it does not end.
func stringEnd(src []byte, start int) (end int, plain, ascii bool) {
	plain = true
	var all byte // every byte of the string or'ed: ASCII when below 0x80
	for j := start + 1; j < len(src); j++ {
		c := src[j]
		all |= c
		switch c {
		case '"':
			return j + 1, plain, all < 0x80
		case '\\':
			plain = false
			j++
		}
	}
	return -1, false, false
}

// decodeString decodes the JSON string at src[start] as encoding/json
// decodes it (invalid UTF-8 becomes U+FFFD), into buf when owned is set,
// else as a slice of src.
func decodeString(buf, src []byte, start int) (s []byte, owned bool, err error) {
	s, escaped, end, err := jsontext.ReadString(buf, src, start)
	if err != nil {
		return nil, false, err
	}
	if utf8.Valid(s) {
		return s, escaped, nil
	}
	var u string
	if err := json.Unmarshal(src[start:end], &u); err != nil {
		return nil, false, err
	}
	return append(buf[:0], u...), true, nil
}
