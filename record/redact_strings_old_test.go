package record

import (
	"bytes"
	"unicode/utf8"
)

// redactStringsWalk is redactStrings as it was before it stopped at
// plainTail: it reads every string of the document to its end. It is the
// oracle of TestRedactStringsStopsWhereNothingIsLeft.
func redactStringsWalk(src []byte, rep *secretReplacer, skip [][2]int) ([]byte, [][2]int, error) {
	var dst, buf []byte
	copied := 0 // src[:copied] is in dst
	var moved [][2]int
	hit, _ := findBytes(rep.m, src, 0, false)
	for i := 0; ; {
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

// plainTailWords is plainTail as it was before its 32-byte words: eight
// bytes at a time, then one (what plainTailBefore still does after them).
// It is an oracle of TestPlainTail, beside plainTail's definition.
func plainTailWords(src []byte) int { return plainTailBefore(src, len(src)) }
