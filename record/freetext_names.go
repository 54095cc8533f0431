package record

import (
	"strings"

	"github.com/airlock-sdk/airlock/mask"
)

// nameFilter rules out, at the cost of a bitmap probe or two per byte,
// the names that cannot match a list of secret names, before the list's
// own Match: a name matches only if, normalized as mask.SecretNameSet
// normalizes it (lower case, without '-', '_', '.' and spaces), it holds
// some pattern's core (the pattern without its '*'s), and so the core's
// first four bytes (all of it, for a shorter core). Free text holds many
// names (every key of a JSON output); few are secret-like.
type nameFilter struct {
	pairs [1 << 16 / 64]uint64 // cores of two bytes
	tris  [1 << 16 / 64]uint64 // cores of three bytes, hashed
	quads [1 << 16 / 64]uint64 // cores of four bytes or more, by their first four, hashed
	lead  [256]bool            // the first bytes of the cores: a gram starting elsewhere is not probed
	any   bool                 // a core of one byte: every name may match
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
			continue
		case len(core) == 2:
			setBit(&nf.pairs, uint16(core[0])|uint16(core[1])<<8)
		case len(core) == 3:
			setBit(&nf.tris, gramHash(0, core[0], core[1], core[2]))
		default:
			setBit(&nf.quads, gramHash(core[0], core[1], core[2], core[3]))
		}
		if len(core) > 0 {
			nf.lead[core[0]] = true
		}
	}
	return nf
}

// mayMatch reports whether name may match the list (nil: always).
func (nf *nameFilter) mayMatch(name []byte) bool { return mayMatchName(nf, name) }

// mayMatchName is nf.mayMatch for a name held as a string or as bytes.
func mayMatchName[T string | []byte](nf *nameFilter, name T) bool {
	if nf == nil || nf.any {
		return true
	}
	var x, a, b byte // the three bytes before c in the normalized name
	n := 0
	for i := range len(name) {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if n >= 1 && nf.lead[b] && hasBit(&nf.pairs, uint16(b)|uint16(c)<<8) ||
			n >= 2 && nf.lead[a] && hasBit(&nf.tris, gramHash(0, a, b, c)) ||
			n >= 3 && nf.lead[x] && hasBit(&nf.quads, gramHash(x, a, b, c)) {
			return true
		}
		x, a, b = a, b, c
		n++
	}
	return false
}

// gramHash is the 16-bit hash of four bytes (three, with a zero first).
func gramHash(a, b, c, d byte) uint16 {
	return uint16((uint32(a) | uint32(b)<<8 | uint32(c)<<16 | uint32(d)<<24) * 0x9E3779B1 >> 16)
}

func setBit(m *[1 << 16 / 64]uint64, i uint16) { m[i/64] |= 1 << (i % 64) }

func hasBit(m *[1 << 16 / 64]uint64, i uint16) bool { return m[i/64]&(1<<(i%64)) != 0 }

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
