package mask

import (
	"bytes"
	"encoding/binary"
	"sort"
	"sync"
)

// The caller's own secrets in pieces. The detectors read string pieces
// joined only where a piece looks like part of a value (a digit, an at
// sign, letters of both cases: joins.go), so that a list of words is no
// value. The literals of WithSecrets need no such guard: the whole
// literal must come out of the pieces joined, which ordinary text does
// not do. So a text is also read, for the literals alone, as its words
// joined: every run of bytes a literal may hold, whatever stands between
// two of them (quotes, commas, brackets, operators, white space), but
// the keys of JSON members and the literals null, true and false. A token
// in pieces of one character, of lower-case letters, of digits written
// as JSON numbers, across arrays, members, objects and lines, is read
// whole (["a","3","f",...], {"k0":"ab","k1":12}, "abcd" + "efgh").

// wordRuns is a text's words joined (b), and where each word of b
// stands in the text (words).
type wordRuns struct {
	b     []byte
	words []wordPlace
}

// wordPlace is where a word stands: b[at:] came from the text at from.
type wordPlace struct{ at, from int }

var wordRunsPool = sync.Pool{New: func() any { return new(wordRuns) }}

// The classes of wordBytes.
const (
	wordByte = 1 // a literal holds it
	opByte   = 2 // and code joins strings with it ('+', '.', '|')
)

// wordBytes returns the word bytes of a reading for literals that hold
// the bytes of set: theirs, but white space, quotes, backslashes and
// JSON's punctuation, which only ever stand between words.
func wordBytes(set *[256]uint8) (w [256]uint8) {
	for c := range 256 {
		if set[c] == 0 {
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r', '"', '\'', '\\', ',', ':', '[', ']', '{', '}':
		case '+', '.', '|':
			w[c] = opByte
		default:
			w[c] = wordByte
		}
	}
	return w
}

// read fills w with the words of t, runs of its word bytes, the keys of
// JSON members and the literals null, true and false passed over; with
// dropOps, a word of operators alone ("+" in "ab" + "cd", "||" in SQL)
// is passed over too, as a join. It reports whether t held such a word.
func (w *wordRuns) read(t []byte, words *[256]uint8, dropOps bool) (ops bool) {
	b, places := w.b[:0], w.words[:0]
	defer func() { w.b, w.words = b, places }()
	n := len(t)
	for i := 0; i < n; {
		for i < n && words[t[i]] == 0 {
			if t[i] == ':' {
				b, places = dropKey(t, i, b, places)
			}
			i++
		}
		if i == n {
			break
		}
		s, kinds := i, uint8(0)
		if c := t[s]; (c == 'n' || c == 't' || c == 'f') && !isAlnum(at(t, s-1)) {
			if e := jsonLiteralAt(t, s); e > s {
				i = e // whatever bytes of it the literals hold
				continue
			}
		}
		for i < n {
			k := words[t[i]]
			if k == 0 {
				break
			}
			kinds |= k
			i++
		}
		if kinds == opByte {
			ops = true
			if dropOps {
				continue
			}
		}
		places = append(places, wordPlace{at: len(b), from: s})
		b = append(b, t[s:i]...)
	}
	return ops
}

// dropKey forgets the words of the key of a JSON member when the colon
// t[c] ends one (a quote before it, white space between): they are no
// pieces of a value. It returns b and places without them.
func dropKey(t []byte, c int, b []byte, places []wordPlace) ([]byte, []wordPlace) {
	k := c - 1
	for k >= 0 && c-k <= maxJoinSpaces && (t[k] == ' ' || t[k] == '\t' || t[k] == '\n' || t[k] == '\r') {
		k--
	}
	if k < 0 || t[k] != '"' && t[k] != '\'' {
		return b, places
	}
	from := max(0, k-maxWordsKeyLen)
	o := bytes.LastIndexByte(t[from:k], t[k])
	if o < 0 {
		return b, places
	}
	for q := from + o; len(places) > 0 && places[len(places)-1].from > q; {
		b = b[:places[len(places)-1].at]
		places = places[:len(places)-1]
	}
	return b, places
}

// maxWordsKeyLen bounds the keys the word reading passes over whole: of
// a longer one, the words before its last are read as words.
const maxWordsKeyLen = 256

// jsonLiteralAt returns the end of the word null, true or false at t[i],
// which starts a word (i: none there).
func jsonLiteralAt(t []byte, i int) int {
	var lit string
	switch t[i] {
	case 'n':
		lit = "null"
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	default:
		return i
	}
	e := i + len(lit)
	if e > len(t) || string(t[i:e]) != lit || isAlnum(at(t, e)) {
		return i
	}
	return e
}

// origin returns where b[k] came from in the text.
func (w *wordRuns) origin(k int) int {
	n := sort.Search(len(w.words), func(x int) bool { return w.words[x].at > k }) - 1
	return w.words[n].from + k - w.words[n].at
}

// maxPooledWords bounds the buffers kept for the next text.
const maxPooledWords = 1 << 20

// findJoined appends the spans of t where one of d's literals stands in
// two or more words: from the first word's first byte to the last word's
// last, what stands between them included. The caller (find) knows that
// t holds every byte of one of them (mayBeIn).
func (d *literalDetector) findJoined(t []byte, id int, out []span) []span {
	w := wordRunsPool.Get().(*wordRuns)
	defer func() {
		if cap(w.b) <= maxPooledWords {
			wordRunsPool.Put(w)
		}
	}()
	// Operators between words are read both ways: as a piece ("+" of a
	// base64 token in pieces of one character) and as a join.
	if ops := w.read(t, &d.words, false); !ops {
		return d.findAcross(w, id, out)
	}
	out = d.findAcross(w, id, out)
	w.read(t, &d.words, true)
	return d.findAcross(w, id, out)
}

// byteSet is a set of bytes, a bit each.
type byteSet [4]uint64

// add puts the bytes of t in the set. A short text sets a bit a byte; a
// longer one marks each byte's entry of a table, a store without a
// shift, and the table is packed into bits at the end, eight entries a
// multiplication (clearing and packing the table costs about what
// setting the bits of shortByteSet bytes does: some 660 instructions,
// then 3.5 a byte against 11).
func (s *byteSet) add(t []byte) {
	if len(t) < shortByteSet {
		for _, c := range t {
			s[c>>6] |= 1 << (c & 63)
		}
		return
	}
	var seen [256]byte
	i := 0
	for ; i+8 <= len(t); i += 8 {
		b := t[i : i+8 : i+8]
		seen[b[0]], seen[b[1]], seen[b[2]], seen[b[3]] = 1, 1, 1, 1
		seen[b[4]], seen[b[5]], seen[b[6]], seen[b[7]] = 1, 1, 1, 1
	}
	for _, c := range t[i:] {
		seen[c] = 1
	}
	for w := range 32 {
		// Entry k of the eight (0 or 1, at bit 8k) lands at bit 56+k.
		x := binary.LittleEndian.Uint64(seen[8*w:]) * 0x0102040810204080 >> 56
		s[w/8] |= x << (8 * (w % 8))
	}
}

// shortByteSet is the length from which byteSet.add reads a text through
// its table.
const shortByteSet = 80

// mayBeIn reports whether seen, the bytes of a text, holds every byte of
// one of d's literals (either case of a letter): a literal in pieces
// cannot be read from a text without them. Most texts lack a byte of a
// random token.
func (d *literalDetector) mayBeIn(seen *byteSet) bool {
	folded := *seen
	folded[1] |= (folded[1] & upperBits) << ('a' - 'A') // a capital stands for its small letter
	for _, need := range d.needs {
		if need[0]&^folded[0] == 0 && need[1]&^folded[1] == 0 && need[2]&^folded[2] == 0 && need[3]&^folded[3] == 0 {
			return true
		}
	}
	return false
}

// upperBits are the capital letters' bits in the second word of a byte
// set (bytes 64 to 127).
const upperBits = uint64(1<<26-1) << ('A' - 64)

// byteSets returns, per literal, the set of its bytes a text must hold
// for mayBeIn, letters in small case.
func byteSets(forms []string) []byteSet {
	out := make([]byteSet, 0, len(forms))
	for _, f := range forms {
		var need byteSet
		for i := 0; i < len(f); i++ {
			c := f[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			need[c>>6] |= 1 << (c & 63)
		}
		out = append(out, need)
	}
	return out
}

// findAcross appends the spans of the text w read where a literal takes
// in two or more of its words.
func (d *literalDetector) findAcross(w *wordRuns, id int, out []span) []span {
	if len(w.words) < 2 {
		return out
	}
	for _, h := range d.ac.findAll(w.b, nil) {
		start, end := w.origin(h.start), w.origin(h.end-1)+1
		if end-start > h.end-h.start {
			out = append(out, span{start: start, end: end, det: id})
		}
	}
	return out
}

// mayHoldLiteral reports whether seen holds every byte of one of the
// policy's literals.
func (p *Policy) mayHoldLiteral(seen *byteSet) bool {
	for _, id := range p.literals {
		if p.dets[id].d.(*literalDetector).mayBeIn(seen) {
			return true
		}
	}
	return false
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
	var seen byteSet
	n := 0 // the leaves of the run: the one that ended it is no piece
	for n < len(leaves) && leaves[n].piece {
		seen.add(leaves[n].v)
		n++
	}
	if n < 2 || !j.p.mayHoldLiteral(&seen) {
		return
	}
	joined, owner := j.joined[:0], j.owner[:0]
	defer func() { j.joined, j.owner = joined, owner }()
	for k := range n {
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
