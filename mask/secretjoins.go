package mask

import "sync"

// The caller's own secrets in pieces. The detectors read string pieces
// joined only where a piece looks like part of a value (a digit, an at
// sign, letters of both cases: joins.go), so that a list of words is no
// value. The literals of WithSecrets need no such guard: the whole
// literal must come out of the joined pieces, which ordinary text does
// not do. So a text with joins is also read, for the literals alone,
// with every join removed whatever its pieces hold: a token in pieces of
// one character, or of lower-case letters only (["a","3","f",...],
// "abcd" + "efgh").

// looseJoins is a text with every join between its string pieces
// removed, and where each byte of it stands in the text; q and qat are
// the text with its bare numbers quoted (quoteNumbers), when it has some.
type looseJoins struct {
	b, q    []byte
	at, qat []int
}

var looseJoinsPool = sync.Pool{New: func() any { return new(looseJoins) }}

// read fills j with src, its joins removed; srcAt is where each byte of
// src stands in the text (nil: src is the text).
func (j *looseJoins) read(src []byte, srcAt []int) {
	j.b, j.at = j.b[:0], j.at[:0]
	origin := func(k int) int {
		if srcAt == nil {
			return k
		}
		return srcAt[k]
	}
	for i := 0; i < len(src); {
		k := nextQuote(src, i)
		j.b = append(j.b, src[i:k]...)
		for ; i < k; i++ {
			j.at = append(j.at, origin(i))
		}
		if i == len(src) {
			break
		}
		e, _, ok := joinAtOf(src, i, true)
		if !ok {
			j.b, j.at = append(j.b, src[i]), append(j.at, origin(i))
			i++
			continue
		}
		if src[i-1] == '\\' {
			// The backslash of \" belongs to the join too.
			j.b, j.at = j.b[:len(j.b)-1], j.at[:len(j.at)-1]
		}
		i = e
	}
}

// quoteNumbers fills j.q with t, every bare number that stands as an
// element or a member's value of a JSON text (after '[', ',' or ':', and
// before ',', ']' or '}') quoted as a string, so that a piece written as
// a number (["a",3,"f"]) joins as the strings around it do; j.qat is
// where each byte stands in t (a quote added, at the number's edge). It
// reports whether t had such a number.
func (j *looseJoins) quoteNumbers(t []byte) bool {
	j.q, j.qat = j.q[:0], j.qat[:0]
	copied, found := 0, false
	for i := 0; i < len(t); i++ {
		if c := t[i]; c != '[' && c != ',' && c != ':' {
			continue
		}
		s := skipSpaces(t, i+1)
		e := numberEnd(t, s)
		if e == s {
			continue
		}
		if after := at(t, skipSpaces(t, e)); after != ',' && after != ']' && after != '}' {
			continue
		}
		found = true
		j.q = append(j.q, t[copied:s]...)
		for k := copied; k < s; k++ {
			j.qat = append(j.qat, k)
		}
		j.q = append(append(append(j.q, '"'), t[s:e]...), '"')
		j.qat = append(j.qat, s)
		for k := s; k < e; k++ {
			j.qat = append(j.qat, k)
		}
		j.qat = append(j.qat, e-1)
		copied, i = e, e-1
	}
	if !found {
		return false
	}
	j.q = append(j.q, t[copied:]...)
	for k := copied; k < len(t); k++ {
		j.qat = append(j.qat, k)
	}
	return true
}

// numberEnd returns the end of the JSON number at t[s] (s: none), a
// minus sign, digits, a fraction and an exponent.
func numberEnd(t []byte, s int) int {
	k := s
	if at(t, k) == '-' {
		k++
	}
	d := k
	for k < len(t) && isDigit(t[k]) {
		k++
	}
	if k == d {
		return s
	}
	if at(t, k) == '.' && isDigit(at(t, k+1)) {
		for k++; k < len(t) && isDigit(t[k]); k++ {
		}
	}
	if c := at(t, k); c == 'e' || c == 'E' {
		m := k + 1
		if c := at(t, m); c == '+' || c == '-' {
			m++
		}
		if isDigit(at(t, m)) {
			for k = m; k < len(t) && isDigit(t[k]); k++ {
			}
		}
	}
	return k
}

// hasLooseJoin reports whether t holds a join of string pieces of any
// kind (hasJoins' quotes, without its test of the pieces).
func hasLooseJoin(t []byte) bool {
	for i := nextQuote(t, 0); i < len(t); i = nextQuote(t, i+1) {
		if before := at(t, i-1); before != '\\' && !joinChar(before) || at(t, i+1) == ':' {
			continue
		}
		if _, _, ok := joinAtOf(t, i, true); ok {
			return true
		}
	}
	return false
}

// maxPooledJoins bounds the buffers kept for the next text.
const maxPooledJoins = 1 << 20

// findJoined appends the spans of t where one of d's literals stands in
// two or more string pieces: from the first piece's first byte to the
// last piece's last, the joins between them included.
func (d *literalDetector) findJoined(t []byte, id int, out []span) []span {
	j := looseJoinsPool.Get().(*looseJoins)
	defer func() {
		if cap(j.b) <= maxPooledJoins && cap(j.q) <= maxPooledJoins {
			looseJoinsPool.Put(j)
		}
	}()
	src, srcAt := t, []int(nil)
	if j.quoteNumbers(t) {
		src, srcAt = j.q, j.qat
	}
	if !hasLooseJoin(src) {
		return out
	}
	j.read(src, srcAt)
	for _, h := range d.ac.findAll(j.b, nil) {
		start, end := j.at[h.start], j.at[h.end-1]+1
		if end-start > h.end-h.start {
			out = append(out, span{start: start, end: end, det: id})
		}
	}
	return out
}

// joinSecretLeaves masks, whole, the leaves of a JSON document that hold
// one of the policy's literals in pieces: the leaves held (strings and
// numbers a piece may be, in document order, containers and literals
// passed over) are read joined, whatever each holds, and a literal found
// across two or more of them masks each of them.
func (j *jsonMasker) joinSecretLeaves(leaves []jsonLeaf) {
	if len(j.p.literals) == 0 || len(leaves) < 2 {
		return
	}
	joined, owner := j.joined[:0], j.owner[:0]
	defer func() { j.joined, j.owner = joined, owner }()
	for k := range leaves {
		if !leaves[k].piece {
			break // the leaf that ended the run
		}
		joined = append(joined, leaves[k].v...)
		for range leaves[k].v {
			owner = append(owner, int32(k))
		}
	}
	var det map[int]int
	for _, id := range j.p.literals {
		for _, h := range j.p.dets[id].d.(*literalDetector).ac.findAll(joined, nil) {
			first, last := owner[h.start], owner[h.end-1]
			if first == last {
				continue // in one leaf: masked there already
			}
			if det == nil {
				det = map[int]int{}
			}
			for k := first; k <= last; k++ {
				if !leaves[k].masked {
					det[int(k)] = id
				}
			}
		}
	}
	j.rewriteLeaves(leaves, det)
}
