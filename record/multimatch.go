package record

import (
	"bytes"
	"encoding/binary"
)

// multiMatcher finds any of a set of patterns (a session's secrets in all
// their remembered forms) in one pass over a text, however many there
// are: where each pattern used to cost its own bytes.Index over the text,
// a text costs one bitmap probe per byte. A bitmap of the patterns' first
// two bytes (hashed; 64 bits per pattern, from 64 bytes to 8 KiB) rules
// out almost every position; at the rest, the
// patterns starting with the position's first four bytes are compared
// (longest first). It is built once per change of the set and is
// immutable, safe for concurrent use. (An Aho-Corasick DFA would take
// states × byte classes of memory: megabytes for a hundred secrets.)
type multiMatcher struct {
	pats [][]byte
	// raw: the pattern is a secret as it is (Replace and contains look for
	// those); otherwise it is a JSON-escaped form only (secretSurvives).
	raw     []bool
	secret  []int32            // the secret each pattern spells
	pairs   []uint64           // a power of two of words
	shift   uint8              // a pair's hash >> shift is its bit
	quads   map[uint32][]int32 // patterns of 4 bytes or more by their first 4, longest first
	short   []int32            // shorter patterns, longest first
	single  bool               // some pattern is 1 byte long
	longest int                // the length of the longest pattern
	// shifts is the skip table of find when every pattern is at least
	// skipMinLen bytes long (nil otherwise): see findSkipping.
	shifts   []uint8
	shortest int // the length of the shortest pattern
}

// The skip table of a matcher: a text is read a window of shortest bytes
// at a time, by the hash of the window's last two bytes.
const (
	skipMinLen    = 4
	skipTableBits = 12
)

// fewPatterns is the most patterns findBytes looks for one at a time
// (bytes.Index, vectorised, beats a bitmap probe per byte for a few).
const fewPatterns = 8

// findBytes is find over bytes: with few patterns, each pattern's first
// occurrence is found with bytes.Index, and the longest pattern at the
// first of them is returned, which is what find returns.
func findBytes(m *multiMatcher, s []byte, from int, rawOnly bool) (int, int32) {
	if m == nil || len(m.pats) > fewPatterns || m.single {
		return find(m, s, from, rawOnly)
	}
	return findFew(m, s, from, rawOnly)
}

// findFew is findBytes for few patterns and none of one byte.
func findFew(m *multiMatcher, s []byte, from int, rawOnly bool) (int, int32) {
	first := -1
	for id, p := range m.pats {
		if rawOnly && !m.raw[id] || len(p) == 0 {
			continue
		}
		end := len(s)
		if first >= 0 {
			end = min(len(s), first+len(p)) // only an earlier start matters
		}
		if from >= end {
			continue
		}
		if i := bytes.Index(s[from:end], p); i >= 0 && (first < 0 || from+i < first) {
			first = from + i
		}
	}
	if first < 0 {
		return -1, -1
	}
	return first, longestAt(m, s, first, rawOnly)
}

// newMultiMatcher indexes the secrets (sorted longest first) and their
// JSON-escaped forms.
func newMultiMatcher(secrets, escaped [][]byte) *multiMatcher {
	m := &multiMatcher{quads: map[uint32][]int32{}}
	bits := 512
	for bits < 64*2*len(secrets) && bits < 1<<16 {
		bits *= 2
	}
	m.pairs, m.shift = make([]uint64, bits/64), uint8(32-bitsLog2(bits))
	add := func(p []byte, i int, raw bool) {
		id := int32(len(m.pats))
		m.pats, m.raw, m.secret = append(m.pats, p), append(m.raw, raw), append(m.secret, int32(i))
		m.longest = max(m.longest, len(p))
		switch {
		case len(p) >= 4:
			k := binary.LittleEndian.Uint32(p)
			m.quads[k] = insertLongestFirst(m.quads[k], id, m.pats)
		default:
			m.short = insertLongestFirst(m.short, id, m.pats)
		}
		if len(p) == 1 {
			m.single = true
			return
		}
		bit := m.pairBit(p[0], p[1])
		m.pairs[bit/64] |= 1 << (bit % 64)
	}
	for i, s := range secrets {
		add(s, i, true)
	}
	for i, e := range escaped {
		if string(e) != string(secrets[i]) {
			add(e, i, false)
		}
	}
	m.buildShifts()
	return m
}

// buildShifts fills the skip table (Wu and Manber's, with blocks of two
// bytes): for the two bytes ending a window, how far the window can move
// before a pattern's first shortest bytes may end where they are. A block
// at offset j of a pattern's first shortest bytes allows shortest-2-j; a
// block in no pattern, shortest-1. Blocks are hashed, and a collision
// keeps the smaller shift (safe: it only moves less).
func (m *multiMatcher) buildShifts() {
	if len(m.pats) == 0 {
		return
	}
	m.shortest = len(m.pats[0])
	for _, p := range m.pats {
		m.shortest = min(m.shortest, len(p))
	}
	if m.shortest < skipMinLen || m.shortest > 255 || m.single {
		return
	}
	m.shifts = make([]uint8, 1<<skipTableBits)
	for i := range m.shifts {
		m.shifts[i] = uint8(m.shortest - 1)
	}
	for _, p := range m.pats {
		for j := 0; j+2 <= m.shortest; j++ {
			h := blockHash(p[j], p[j+1])
			m.shifts[h] = min(m.shifts[h], uint8(m.shortest-2-j))
		}
	}
}

// blockHash is the skip table's slot of two bytes.
func blockHash(a, b byte) uint32 {
	return (uint32(a) | uint32(b)<<8) * 0x9E3779B1 >> (32 - skipTableBits)
}

// findSkipping is find with the skip table: a window of the shortest
// pattern's length ends at pos; where its last two bytes allow, it moves
// on without looking at the bytes it passes, and where they end some
// pattern's first bytes, the patterns starting at the window are compared.
// No occurrence is passed over (a move never takes a window past one whose
// start an occurrence begins at), so the first found is the leftmost.
func findSkipping[T string | []byte](m *multiMatcher, s T, from int, rawOnly bool) (int, int32) {
	w := m.shortest
	for pos := from + w - 1; pos < len(s); {
		if sh := m.shifts[blockHash(s[pos-1], s[pos])]; sh > 0 {
			pos += int(sh)
			continue
		}
		if id := longestAt(m, s, pos-w+1, rawOnly); id >= 0 {
			return pos - w + 1, id
		}
		pos++
	}
	return -1, -1
}

// insertLongestFirst inserts id into ids, kept longest pattern first (a
// stable order among equal lengths).
func insertLongestFirst(ids []int32, id int32, pats [][]byte) []int32 {
	ids = append(ids, id)
	for j := len(ids) - 1; j > 0 && len(pats[ids[j]]) > len(pats[ids[j-1]]); j-- {
		ids[j], ids[j-1] = ids[j-1], ids[j]
	}
	return ids
}

// find returns the first position at or after from where a pattern (a raw
// one if rawOnly) starts, and the longest such pattern; -1 when none (or
// when m is nil, a matcher of no pattern).
func find[T string | []byte](m *multiMatcher, s T, from int, rawOnly bool) (int, int32) {
	if m == nil {
		return -1, -1
	}
	if m.shifts != nil {
		return findSkipping(m, s, from, rawOnly)
	}
	for i := from; i < len(s); i++ {
		if i+1 < len(s) {
			bit := m.pairBit(s[i], s[i+1])
			if m.pairs[bit/64]&(1<<(bit%64)) == 0 && !m.single {
				continue
			}
		} else if !m.single {
			return -1, -1
		}
		if id := longestAt(m, s, i, rawOnly); id >= 0 {
			return i, id
		}
	}
	return -1, -1
}

// longestAt returns the longest pattern that starts at s[i], or -1.
func longestAt[T string | []byte](m *multiMatcher, s T, i int, rawOnly bool) int32 {
	if i+4 <= len(s) {
		k := uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
		for _, id := range m.quads[k] {
			if matchAt(m, s, i, id, rawOnly) {
				return id
			}
		}
	}
	for _, id := range m.short {
		if matchAt(m, s, i, id, rawOnly) {
			return id
		}
	}
	return -1
}

// matchAt reports whether pattern id (a raw one if rawOnly) starts at s[i].
func matchAt[T string | []byte](m *multiMatcher, s T, i int, id int32, rawOnly bool) bool {
	p := m.pats[id]
	return (!rawOnly || m.raw[id]) && len(p) <= len(s)-i && string(s[i:i+len(p)]) == string(p)
}

// rawID returns the raw pattern that is s, or -1.
func (m *multiMatcher) rawID(s string) int32 {
	if m == nil {
		return -1
	}
	ids := m.short
	if len(s) >= 4 {
		ids = m.quads[binary.LittleEndian.Uint32([]byte(s[:4]))]
	}
	for _, id := range ids {
		if m.raw[id] && string(m.pats[id]) == s {
			return id
		}
	}
	return -1
}

// pairBit is the bitmap bit of two bytes (a multiplicative hash).
func (m *multiMatcher) pairBit(a, b byte) uint32 {
	return (uint32(a) | uint32(b)<<8) * 0x9E3779B1 >> m.shift
}

// bitsLog2 is log2 of a power of two.
func bitsLog2(n int) int {
	l := 0
	for n > 1 {
		n >>= 1
		l++
	}
	return l
}

// size is the bytes m's index holds beyond its patterns (nil: none).
func (m *multiMatcher) size() int {
	if m == nil {
		return 0
	}
	return 8*len(m.pairs) + 16*len(m.pats) + len(m.shifts)
}
