package record

import (
	"strings"

	"github.com/airlock-sdk/airlock/mask"
)

// nameFilter rules out, at the cost of a bitmap probe per byte, the names
// that cannot match a list of secret names, before the list's own Match:
// a name matches only if, normalized as mask.SecretNameSet normalizes it
// (lower case, without '-', '_', '.' and spaces), it holds the first two
// bytes of some pattern's core (the pattern without its '*'s). Free text
// holds many names (every key of a JSON output); few are secret-like.
type nameFilter struct {
	pairs [1 << 16 / 64]uint64
	any   bool // a core of one byte: every name may match
}

// newNameFilter returns the filter of list (nil: mask.SecretNames).
func newNameFilter(list []string) *nameFilter {
	if list == nil {
		list = mask.SecretNames
	}
	nf := &nameFilter{}
	for _, p := range list {
		core := normalizedName(nil, []byte(strings.Trim(p, "*")))
		switch {
		case len(core) == 0:
		case len(core) == 1:
			nf.any = true
		default:
			pair := uint16(core[0]) | uint16(core[1])<<8
			nf.pairs[pair/64] |= 1 << (pair % 64)
		}
	}
	return nf
}

// mayMatch reports whether name may match the list (nil: always).
func (nf *nameFilter) mayMatch(name []byte) bool {
	if nf == nil || nf.any {
		return true
	}
	var buf [64]byte
	n := normalizedName(buf[:0], name)
	for i := 0; i+1 < len(n); i++ {
		pair := uint16(n[i]) | uint16(n[i+1])<<8
		if nf.pairs[pair/64]&(1<<(pair%64)) != 0 {
			return true
		}
	}
	return false
}

// normalizedName appends name in lower case without '-', '_', '.' and
// spaces.
func normalizedName(dst, name []byte) []byte {
	for _, c := range name {
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
