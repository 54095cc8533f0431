package mask

import (
	"bytes"
	"maps"
	"slices"

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Values split across the leaves of a JSON document. A document can
// carry a value in pieces, one per member of an array or object:
// ["4111","1111","1111","1111"], {"a":"4111","b":"1111",...}, or one per
// object of an array, or with other members between: ["4111",{},"1111",
// null,...]. Each leaf alone holds nothing, and JSON masks leaf by leaf;
// but a reader joins them at a glance. So the strings and numbers of the
// document that follow each other (containers, true, false and null
// between them passed over, at any depth) and may be pieces of a value
// (joins.go: a digit, an at sign or letters of both cases in one of two
// neighbours, only characters a piece may hold) are also read joined, and
// a match that takes in two or more of them masks each of them whole with
// the detector's strategy.

// jsonLeaf is a string or number of the document: where it stands in the
// input and its masked token in the output.
type jsonLeaf struct {
	in, inEnd  int // j.in[in:inEnd]
	start, end int // j.out[start:end]
	v          []byte
	found      bool  // masking the leaf alone found a value in it
	masked     bool  // by a value read across leaves
	box        int32 // the container it is a member of
	// piece: v may be a piece of a value; valued: and it holds a digit,
	// an at sign or letters of both cases (leafPieceOf).
	piece, valued bool
	// digit: a number of one digit, held only for the policy's literals
	// (joinSecretLeaves); the detectors' readings pass over it.
	digit bool
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

// maxPendingLeaves bounds the leaves held for joinLeaves: beyond, those
// held are read and forgotten (a value in more pieces than maxLeafRun is
// not read joined anyway).
const maxPendingLeaves = 8 * maxLeafRun

// addLeaf records the member whose input starts at j.in[in] (a string or
// number when j.scalarEnd says where it ends, but a number of one
// digit; nothing else is recorded)
// and whose masked token starts at j.out[start]; found is whether masking
// it found anything; closed: the container's closing bracket follows it
// in the output. The leaves held are read joined (joinLeaves) and
// forgotten when one that cannot be a piece of a value ends their run.
func (j *jsonMasker) addLeaf(in, start int, found, closed bool) {
	if j.scalarEnd < 0 {
		return // passed over: pieces on either side still join
	}
	end := len(j.out)
	if closed {
		end--
	}
	l := jsonLeaf{in: in, inEnd: j.scalarEnd, start: start, end: end, found: found, box: j.box}
	v, ok := j.leafValue(&l)
	switch {
	case ok:
		l.valued, l.piece = leafPieceOf(v)
	case l.inEnd-l.in == 1 && len(j.p.literals) > 0:
		v, l.digit, l.piece = j.in[l.in:l.inEnd], true, true
	default:
		return // a number of one digit: passed over as well
	}
	l.v = v
	j.leaves = append(j.leaves, l)
	if !l.piece || len(j.leaves) >= maxPendingLeaves {
		j.flushLeaves()
	}
}

// flushLeaves reads the leaves held joined, and forgets them.
func (j *jsonMasker) flushLeaves() {
	j.joinLeaves(j.leaves)
	j.joinSecretLeaves(j.leaves)
	j.leaves = j.leaves[:0]
}

// joinLeaves reads each run of leaves that may be pieces of one value
// joined, and masks, whole, the leaves a match takes in two or more of;
// the output after the first of them is written again.
func (j *jsonMasker) joinLeaves(leaves []jsonLeaf) {
	if len(leaves) < 2 {
		return
	}
	for a := 0; a < len(leaves); {
		if leaves[a].digit {
			a++
			continue
		}
		va, oka := leaves[a].valued, leaves[a].piece
		b := a + 1
		for oka && b < len(leaves) && b-a < maxLeafRun {
			if leaves[b].digit {
				b++
				continue
			}
			vb, okb := leaves[b].valued, leaves[b].piece
			if !okb || !va && !vb {
				break
			}
			va = vb
			b++
		}
		if b-a >= 2 {
			j.readRun(leaves, j.leavesOf(a, b, leaves, -1))
			if boxes := boxesOf(leaves[a:b]); len(boxes) > 1 {
				// A run that crosses containers is also read one
				// container at a time: a piece of the next container
				// glued to a value may hide where it ends ("...432"
				// "end").
				for _, box := range boxes {
					j.readRun(leaves, j.leavesOf(a, b, leaves, box))
				}
			}
		}
		a = b
	}
}

// leavesOf returns the indices of leaves[a:b] that are members of box
// (-1: all), in j.runIdx.
func (j *jsonMasker) leavesOf(a, b int, leaves []jsonLeaf, box int32) []int {
	idx := j.runIdx[:0]
	for k := a; k < b; k++ {
		if (box < 0 || leaves[k].box == box) && !leaves[k].digit {
			idx = append(idx, k)
		}
	}
	j.runIdx = idx
	return idx
}

// readRun reads the leaves of idx joined, as they are and with digits
// grouped by '-' ("415","555","2671" is a phone number, as joins.go
// reads "415" "555"), when two of them may be pieces of one value and
// not both were masked already.
func (j *jsonMasker) readRun(leaves []jsonLeaf, idx []int) {
	if len(idx) < 2 {
		return
	}
	valued, unread := false, false
	for n, k := range idx {
		valued = valued || leaves[k].valued
		unread = unread || n > 0 && (!leaves[idx[n-1]].found || !leaves[k].found)
	}
	if valued && unread {
		j.maskLeafRun(leaves, idx, false)
		j.maskLeafRun(leaves, idx, true)
	}
}

// boxesOf returns the containers leaves are members of, in the order
// they first appear.
func boxesOf(leaves []jsonLeaf) []int32 {
	var boxes []int32
	for _, l := range leaves {
		if !l.digit && !slices.Contains(boxes, l.box) {
			boxes = append(boxes, l.box)
		}
	}
	return boxes
}

// anyFound reports whether masking one of the leaves of idx alone found
// a value.
func anyFound(leaves []jsonLeaf, idx []int) bool {
	for _, k := range idx {
		if leaves[k].found {
			return true
		}
	}
	return false
}

// maskLeafRun runs the detectors over the leaves of idx (indices into
// leaves, in order) joined; with dash, a '-' stands between two leaves
// that end and start with a digit; the leaves a match takes in are
// masked whole (rewriteLeaves).
func (j *jsonMasker) maskLeafRun(leaves []jsonLeaf, idx []int, dash bool) {
	joined, owner := j.joined[:0], j.owner[:0]
	defer func() { j.joined, j.owner = joined, owner }()
	grouped := false
	for k, i := range idx {
		l := &leaves[i]
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
	c := resolve(joined, j.p.candidates(joined, true, nil))
	if len(c) == 0 {
		remember(j.memo.text, joined)
		return
	}
	// det is the detector that masks each leaf, by index into leaves.
	det := map[int]int{}
	for _, x := range c {
		first, last := owner[x.start], owner[x.end-1]
		if first == last || anyFound(leaves, idx[first:last+1]) {
			// In one leaf, or taking in a leaf that holds a value of its
			// own: masked there already, and the neighbours are not
			// pieces of it ({"name":"Ada","email":"ada@example.com"}).
			continue
		}
		for _, k := range idx[first : last+1] {
			if !leaves[k].masked {
				det[k] = x.det
			}
		}
	}
	j.rewriteLeaves(leaves, det)
}

// rewriteLeaves masks each leaf of det (indices into leaves) whole with
// its detector's strategy. The output is written again from the first of
// them on, and every leaf after it learns where it stands now.
func (j *jsonMasker) rewriteLeaves(leaves []jsonLeaf, det map[int]int) {
	if len(det) == 0 {
		return
	}
	from := slices.Min(slices.Collect(maps.Keys(det)))
	base := leaves[from].start
	tail := append([]byte(nil), j.out[base:]...)
	j.out = j.out[:base]
	pos := base
	where := genericPath(j.show)
	for k := from; k < len(leaves); k++ {
		l := &leaves[k]
		oldStart, oldEnd := l.start, l.end
		j.out = append(j.out, tail[pos-base:oldStart-base]...)
		l.start = len(j.out)
		if d, ok := det[k]; !ok {
			j.out = append(j.out, tail[oldStart-base:oldEnd-base]...)
		} else {
			st := j.p.strat[d]
			if st.kind == kindNull {
				j.out = append(j.out, "null"...)
			} else {
				j.out = appendJSONString(j.out, st.apply(nil, l.v))
			}
			j.tl.add(j.p.dets[d].name, where, 1)
			l.masked = true
		}
		l.end = len(j.out)
		pos = oldEnd
	}
	j.out = append(j.out, tail[pos-base:]...)
}
