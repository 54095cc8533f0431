package mask

import (
	"bytes"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Values split across the leaves of one JSON container. A document can
// carry a value in pieces, one per member of an array or object:
// ["4111","1111","1111","1111"], {"a":"4111","b":"1111",...}. Each leaf
// alone holds nothing, and JSON masks leaf by leaf; but a reader joins
// them at a glance. So the scalar members of one container that may be
// pieces of a value (joins.go: a digit, an at sign or letters of both
// cases in one of two neighbours, only characters a piece may hold) are
// also read joined, and a match that takes in two or more of them masks
// each of them whole with the detector's strategy.

// jsonLeaf is one member of a container: where it stands in the input
// (inEnd -1: not a string or number) and its masked token in the output.
type jsonLeaf struct {
	in, inEnd  int // j.in[in:inEnd]
	start, end int // j.out[start:end]
	v          []byte
	found      bool // masking the leaf alone found a value in it
	masked     bool // by a value read across leaves
}

// value returns the decoded value of the leaf: the input itself for a
// number or a string without escapes. ok is false for no scalar.
func (j *jsonMasker) leafValue(l *jsonLeaf) (v []byte, ok bool) {
	if l.inEnd < 0 {
		return nil, false
	}
	raw := j.in[l.in:l.inEnd]
	if raw[0] != '"' {
		// An array of one-digit numbers is data, not a value in pieces
		// (TestLooseJSON records the decision); strings of one digit,
		// which text joins too, are read.
		return raw, len(raw) > 1
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], true
	}
	s, _, _, err := jsontext.ReadString(nil, j.in, l.in)
	return s, err == nil
}

// maxLeafRun bounds the leaves read joined: a value of up to a few
// hundred bytes in pieces of one character.
const maxLeafRun = 256

// leafPieceOf reports whether v may be a piece of a value: one to
// maxPiece characters a piece may hold, and whether it holds a digit, an
// at sign or letters of both cases.
func leafPieceOf(v []byte) (value, ok bool) {
	if len(v) == 0 || len(v) > maxPiece {
		return false, false
	}
	digit, upper, lower := false, false, false
	for _, c := range v {
		if !joinChar(c) && c != '=' {
			return false, false
		}
		digit = digit || isDigit(c) || c == '@'
		upper = upper || is(c, clUpper)
		lower = lower || is(c, clLower)
	}
	return digit || upper && lower, true
}

// joinLeaves reads each run of leaves that may be pieces of one value
// joined, and masks, whole, the leaves a match takes in two or more of;
// the output after the first of them is written again.
func (j *jsonMasker) joinLeaves(leaves []jsonLeaf) error {
	if len(leaves) < 2 {
		return nil
	}
	for k := range leaves {
		l := &leaves[k]
		l.v, l.masked = nil, false
		if v, ok := j.leafValue(l); ok {
			l.v = v
		}
	}
	for a := 0; a < len(leaves); {
		va, oka := leafPieceOf(leaves[a].v)
		b := a + 1
		for oka && b < len(leaves) && b-a < maxLeafRun {
			vb, okb := leafPieceOf(leaves[b].v)
			if !okb || !va && !vb {
				break
			}
			va = vb
			b++
		}
		if b-a >= 2 && unread(leaves[a:b]) {
			// Digits in pieces are also read grouped: ["415","555","2671"]
			// is a phone number (joins.go reads "415" "555" the same).
			j.maskLeafRun(leaves[a:b], false)
			j.maskLeafRun(leaves[a:b], true)
		}
		a = b
	}
	return nil
}

// unread reports whether two neighbours in a run of leaves are not both
// masked already: a value split across leaves leaves its pieces alone.
// (An e-mail address next to a card number, each masked, is read no
// further.)
func unread(leaves []jsonLeaf) bool {
	for k := 1; k < len(leaves); k++ {
		if !leaves[k-1].found || !leaves[k].found {
			return true
		}
	}
	return false
}

// anyFound reports whether masking one of leaves alone found a value.
func anyFound(leaves []jsonLeaf) bool {
	for _, l := range leaves {
		if l.found {
			return true
		}
	}
	return false
}

// maskLeafRun runs the detectors over the leaves joined; with dash, a
// '-' stands between two leaves that end and start with a digit.
func (j *jsonMasker) maskLeafRun(leaves []jsonLeaf, dash bool) {
	joined, owner := j.joined[:0], j.owner[:0]
	defer func() { j.joined, j.owner = joined, owner }()
	grouped := false
	for k, l := range leaves {
		if dash && k > 0 && isDigit(at(joined, len(joined)-1)) && isDigit(at(l.v, 0)) {
			joined, owner, grouped = append(joined, '-'), append(owner, int32(k-1)), true
		}
		joined = append(joined, l.v...)
		for range l.v {
			owner = append(owner, int32(k))
		}
	}
	if dash && !grouped {
		return
	}
	if clean(j.memo.text, joined) {
		return
	}
	c := resolve(j.p.candidates(joined, true, nil))
	if len(c) == 0 {
		remember(j.memo.text, joined)
		return
	}
	det := make([]int, len(leaves))
	hit := false
	for i := range det {
		det[i] = -1
	}
	for _, x := range c {
		first, last := owner[x.start], owner[x.end-1]
		if first == last || anyFound(leaves[first:last+1]) {
			// In one leaf, or taking in a leaf that holds a value of its
			// own: masked there already, and the neighbours are not
			// pieces of it ({"name":"Ada","email":"ada@example.com"}).
			continue
		}
		for k := first; k <= last; k++ {
			if !leaves[k].masked {
				det[k], hit = x.det, true
			}
		}
	}
	if !hit {
		return
	}
	// Write the output again from the first leaf masked on.
	from := -1
	for k := range leaves {
		if det[k] >= 0 {
			from = k
			break
		}
	}
	tail := append([]byte(nil), j.out[leaves[from].start:]...)
	base := leaves[from].start
	j.out = j.out[:base]
	pos := base
	where := genericPath(j.show)
	for k := from; k < len(leaves); k++ {
		l := &leaves[k]
		oldStart, oldEnd := l.start, l.end
		j.out = append(j.out, tail[pos-base:oldStart-base]...)
		l.start = len(j.out)
		if det[k] < 0 {
			j.out = append(j.out, tail[oldStart-base:oldEnd-base]...)
		} else {
			st := j.p.strat[det[k]]
			if st.kind == kindNull {
				j.out = append(j.out, "null"...)
			} else {
				j.out = appendJSONString(j.out, st.apply(nil, l.v))
			}
			j.tl.add(j.p.dets[det[k]].name, where, 1)
			l.masked = true
		}
		// The leaf stands elsewhere now: the second reading needs it.
		l.end = len(j.out)
		pos = oldEnd
	}
	j.out = append(j.out, tail[pos-base:]...)
}
