package mask

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Strategy names accepted in Config.Strategies and the Strategy fields.
const (
	StrategyRedact     = "redact"      // a fixed token: [CREDIT_CARD]
	StrategyPartial    = "partial"     // keep the last four letters or digits
	StrategyHash       = "hash"        // [EMAIL:<HMAC-SHA256, 16 hex>], deterministic
	StrategySameLength = "same_length" // every letter and digit becomes '*'
	StrategyNull       = "null"        // the value disappears (JSON null)
)

type strategyKind uint8

const (
	kindRedact strategyKind = iota
	kindPartial
	kindHash
	kindSameLength
	kindNull
)

func parseStrategy(s string) (strategyKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", StrategyRedact:
		return kindRedact, nil
	case StrategyPartial:
		return kindPartial, nil
	case StrategyHash:
		return kindHash, nil
	case StrategySameLength, "same-length":
		return kindSameLength, nil
	case StrategyNull:
		return kindNull, nil
	}
	return 0, fmt.Errorf("unknown strategy %q (want redact, partial, hash, same_length or null)", s)
}

// strategy replaces one matched value. label is the upper-case name used in
// tokens ("CREDIT_CARD").
type strategy struct {
	kind  strategyKind
	label string
	key   []byte
}

// apply appends the replacement of v to dst.
func (s *strategy) apply(dst, v []byte) []byte {
	switch s.kind {
	case kindPartial:
		return appendPartial(dst, v)
	case kindHash:
		m := hmac.New(sha256.New, s.key)
		m.Write(v)
		var sum [sha256.Size]byte
		var hx [16]byte
		hex.Encode(hx[:], m.Sum(sum[:0])[:8])
		dst = append(dst, '[')
		dst = append(dst, s.label...)
		dst = append(dst, ':')
		dst = append(dst, hx[:]...)
		return append(dst, ']')
	case kindSameLength:
		return appendStars(dst, v, len(v))
	case kindNull:
		return dst
	default:
		dst = append(dst, '[')
		dst = append(dst, s.label...)
		return append(dst, ']')
	}
}

// appendStars replaces letters and digits of v[:upto] by '*' and keeps the
// rest, so the format (separators, length in characters) survives.
func appendStars(dst, v []byte, upto int) []byte {
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRune(v[i:])
		if i < upto && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == utf8.RuneError) {
			dst = append(dst, '*')
		} else {
			dst = append(dst, v[i:i+n]...)
		}
		i += n
	}
	return dst
}

// appendPartial keeps the last four letters or digits when the value has at
// least eight of them, so that short values are not half revealed.
func appendPartial(dst, v []byte) []byte {
	alnum := 0
	cut := len(v)
	for i := len(v); i > 0; {
		r, n := utf8.DecodeLastRune(v[:i])
		i -= n
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			alnum++
			if alnum == 4 {
				cut = i
			}
		}
	}
	if alnum < 8 {
		cut = len(v)
	}
	return appendStars(dst, v, cut)
}

func labelOf(name string) string { return strings.ToUpper(name) }
