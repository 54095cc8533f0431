package mask

import (
	"encoding/binary"
	"math/bits"
)

// Concatenated strings. Code and queries build a value from pieces:
// "4111" + "1111" + ..., '4111' || '1111' in SQL, "AKIAIOSFOD" "NN7EXAMPLE"
// (adjacent literals in C and Python), "4111" . "1111" in Perl and PHP, or
// lists of digit groups ["4111","1111",...]. A reader joins them at a
// glance, so a text holding such a join is also read with its joins
// removed: the quote that closes one piece, the operator, and the quote
// that opens the next. A comma joins only digits on both sides (a list of
// words is no concatenation).

// maxJoinSpaces bounds the white space (line breaks included: a long
// literal is often continued on the next line) on either side of the
// operator.
const maxJoinSpaces = 8

// joinAt reads a join whose closing quote is t[i] (a backslash before
// either quote, as in JSON, and doubled quotes, as inside a SQL string,
// included): it returns the end of the opening quote of the next piece,
// and whether digits stand on both sides.
func joinAt(t []byte, i int) (end int, digits, ok bool) {
	return joinAtBefore(t, i, len(t))
}

// joinAtBefore is joinAt, told that no quote of t after lastValue is
// followed by a piece that holds a value (pieceOf; len(t) when not
// known): a comma join of a piece without one to a later piece,
// without digits on both sides, is then known to fail before its next
// piece is looked for.
func joinAtBefore(t []byte, i, lastValue int) (end int, digits, ok bool) {
	q := t[i]
	if q != '"' && q != '\'' {
		return 0, false, false
	}
	bi := i - 1
	if at(t, bi) == '\\' {
		bi--
	}
	before := at(t, bi)
	if !joinChar(before) {
		return 0, false, false
	}
	j := i + 1
	doubled := at(t, j) == q
	if doubled {
		j++
	}
	gap := j
	j = skipSpaces(t, j)
	// The piece may close its containers before the comma: the next
	// piece is then the next object or array of a JSON text
	// ("4111"},{"n":"1111").
	closed := false
	if q == '"' && !doubled && (at(t, j) == '}' || at(t, j) == ']') {
		// (skipBrackets passes over none before another byte.)
		j, closed = skipBrackets(t, j, '}', ']')
	}
	op := at(t, j)
	switch {
	case op == '+' || op == '.' || op == ',':
		j++
	case op == '|' && at(t, j+1) == '|':
		j += 2
	default:
		op = 0
	}
	if closed && op != ',' {
		return 0, false, false
	}
	if op == ',' && !isDigit(before) {
		// commaJoins must hold: the piece before the quote is one, and
		// it or the next holds a value.
		if pa, oka := pieceOf(t, bi, -1); !oka || !pa && i >= lastValue {
			return 0, false, false
		}
	}
	if op != 0 {
		j = skipSpaces(t, j)
		switch {
		case op == ',' && q == '"' && !doubled:
			// The next member, element, object or array of a JSON
			// text: the brackets and keys before it are passed over.
			j = skipOpeners(t, j)
		case op == ',':
			// The next member of an object: its key is passed over.
			j = skipKey(t, j, q)
		}
	} else if j == gap {
		// Quotes side by side are an escaped quote or an empty string.
		return 0, false, false
	}
	if at(t, j) == '\\' {
		j++
	}
	if at(t, j) != q {
		return 0, false, false
	}
	j++
	if doubled {
		if at(t, j) != q {
			return 0, false, false
		}
		j++
	}
	after := at(t, j)
	digits = isDigit(before) && isDigit(after)
	if !joinChar(after) || op == ',' && !digits && !commaJoins(t, bi, j) {
		return 0, false, false
	}
	return j, digits, true
}

// maxJoinBrackets bounds the brackets a join passes over on either side
// of its comma.
const maxJoinBrackets = 4

// skipBrackets returns where t[j:] goes on after up to maxJoinBrackets
// of the brackets a and b (white space around them passed over too),
// and whether it passed any.
func skipBrackets(t []byte, j int, a, b byte) (int, bool) {
	n := 0
	for ; n < maxJoinBrackets && uint(j) < uint(len(t)) && (t[j] == a || t[j] == b); n++ {
		j = skipSpaces(t, j+1)
	}
	return j, n > 0
}

// skipFiller returns, when t[k:] is a JSON literal or an empty container
// that a comma ends (its containers closed before it), where what
// follows the comma stands: a reader passes over it between two pieces
// (["4111",null,"1111"]), as the JSON masker does.
func skipFiller(t []byte, k int) (int, bool) {
	e := k
	switch at(t, k) {
	case 'n', 't', 'f':
		for _, lit := range [...]string{"null", "true", "false"} {
			if len(t)-k >= len(lit) && string(t[k:k+len(lit)]) == lit {
				e = k + len(lit)
				break
			}
		}
	case '{', '[':
		if c := skipSpaces(t, k+1); at(t, c) == at(t, k)+2 { // '{'+2 is '}', '['+2 is ']'
			e = c + 1
		}
	}
	if e == k {
		return k, false
	}
	e, _ = skipBrackets(t, skipSpaces(t, e), '}', ']')
	if at(t, e) != ',' {
		return k, false
	}
	return skipSpaces(t, e+1), true
}

// maxKeyLen bounds the key of an object member passed over by a join.
const maxKeyLen = 32

// skipKey returns, when t[j:] is a member's key ("key": ", or \"key\":
// \" inside a string) whose value is a string quoted with q, where its
// value's opening quote stands; else j.
func skipKey(t []byte, j int, q byte) int {
	if k, ok := afterKey(t, j); ok && (at(t, k) == '\\' && at(t, k+1) == q || at(t, k) == q) {
		return k
	}
	return j
}

// afterKey returns, when t[j:] is a member's key ("key":, or \"key\":
// inside a string), where what follows its colon and white space stands.
func afterKey(t []byte, j int) (int, bool) {
	k := j
	if at(t, k) == '\\' {
		k++
	}
	if at(t, k) != '"' {
		return j, false
	}
	k++
	s := k
	for k < len(t) && k-s <= maxKeyLen && joinChar(t[k]) {
		k++
	}
	if at(t, k) == '\\' {
		k++
	}
	if k == s || at(t, k) != '"' {
		return j, false
	}
	k = skipSpaces(t, k+1)
	if at(t, k) != ':' {
		return j, false
	}
	return skipSpaces(t, k+1), true
}

// skipOpeners returns, after a comma of a JSON text at t[j-1] (and its
// white space), where the string the next piece is stands: past the
// brackets that open the containers it is in and the keys of the members
// they are (up to maxJoinBrackets of each); else j, where a key whose
// value is no string stands for the next piece, as skipKey has it.
func skipOpeners(t []byte, j int) int {
	k := j
	for range maxJoinBrackets {
		if e, ok := skipFiller(t, k); ok {
			k = e // null, true, false or an empty container between
			continue
		}
		k, _ = skipBrackets(t, k, '{', '[')
		if e, ok := skipFiller(t, k); ok {
			k = e
			continue
		}
		a, ok := afterKey(t, k)
		if !ok {
			break
		}
		switch at(t, a) {
		case '"':
			return a // a member whose value is a string
		case '\\':
			if at(t, a+1) == '"' {
				return a
			}
			return j
		case '{', '[':
			k = a // a member whose value is a container
		default:
			return j
		}
	}
	if at(t, k) == '"' || at(t, k) == '\\' && at(t, k+1) == '"' {
		return k // an element of an array
	}
	return j
}

// maxPiece bounds the piece of a value judged by commaJoins.
const maxPiece = 64

// commaJoins reports whether the string pieces that end at t[a] and start
// at t[b] may be parts of one value a comma join hides: each of one to
// maxPiece characters a piece may hold (and base64's padding), one with a
// digit, an at sign, or letters of both cases. A list of words
// (["ok","id"]) is no concatenation.
func commaJoins(t []byte, a, b int) bool {
	pa, oka := pieceOf(t, a, -1)
	pb, okb := pieceOf(t, b, 1)
	return oka && okb && (pa || pb)
}

// pieceOf reads the string piece that ends (dir -1) or starts (dir 1) at
// t[k]: ok when it is of one to maxPiece characters a piece may hold,
// value when it holds a digit, an at sign, or letters of both cases.
func pieceOf(t []byte, k, dir int) (value, ok bool) {
	n := 0
	var seen uint8
	for ; uint(k) < uint(len(t)) && n <= maxPiece; k += dir {
		c := pieceClass[t[k]]
		if c&pcIn == 0 {
			if c&pcEnd != 0 {
				break
			}
			return false, false
		}
		seen |= c
		n++
	}
	return pieceValue(seen), n >= 1 && n <= maxPiece
}

// The classes of pieceClass.
const (
	pcIn    uint8 = 1 << iota // a piece may hold it: joinChar or '='
	pcEnd                     // a quote or backslash ends the piece
	pcValue                   // a digit or an at sign
	pcUpper
	pcLower
	pcJoin // joinChar
)

// pieceClass is what each byte is to pieceOf. (It is spelled out, not
// read from class, which an init function fills after the variables.)
var pieceClass = func() (c [256]uint8) {
	for b := range 256 {
		x := byte(b)
		switch {
		case x == '"' || x == '\'' || x == '\\':
			c[b] = pcEnd
		case x >= '0' && x <= '9':
			c[b] = pcIn | pcValue
		case x == '@':
			c[b] = pcIn | pcValue
		case x >= 'A' && x <= 'Z':
			c[b] = pcIn | pcUpper
		case x >= 'a' && x <= 'z':
			c[b] = pcIn | pcLower
		case x == '.' || x == '-' || x == '_' || x == '+' || x == '/' || x == '~' || x == '=':
			c[b] = pcIn
		}
		if c[b]&pcIn != 0 && x != '=' {
			c[b] |= pcJoin
		}
	}
	return c
}()

// joinChar marks the characters a piece of a value may end or start with:
// letters, digits, and . @ - _ + / ~.
func joinChar(c byte) bool { return pieceClass[c]&pcJoin != 0 }

// pieceValue reports whether a piece whose bytes are of the classes seen
// holds a value: a digit, an at sign, or letters of both cases.
func pieceValue(seen uint8) bool {
	return seen&pcValue != 0 || seen&(pcUpper|pcLower) == pcUpper|pcLower
}

// skipSpaces returns where t[j:] goes on after up to maxJoinSpaces bytes
// of white space (line breaks included).
func skipSpaces(t []byte, j int) int {
	for k := 0; k < maxJoinSpaces && uint(j) < uint(len(t)) && t[j] <= ' ' && joinSpace(t[j]); k++ {
		j++
	}
	return j
}

// joinSpace reports whether c is white space a join passes over.
func joinSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// hasJoins reports whether t holds a join of string pieces, and whether
// one joins digits. It reads t forward, eight bytes at a time, to the
// first quote that may close a piece joined to the next (mayCloseJoin);
// from there on it reads t from its end (joinsBack). Which join it finds
// first does not matter.
func hasJoins(t []byte) (any, digits bool) {
	for base := 0; base < len(t); base += 8 {
		for m := joinQuotes(word8(t, base)); m != 0; m &= m - 1 {
			if mayCloseJoin(t, base+bits.TrailingZeros64(m)/8) {
				return joinsBack(t, base)
			}
		}
	}
	return false, false
}

// joinsBack is hasJoins for a text whose bytes before lo (a multiple of
// eight) hold no quote that may close a joined piece. It reads t from its
// end down to lo, eight bytes at a time, and reads a join at each quote
// that may close a piece joined to the next (joinAtBefore), told where
// the last quote that a piece holding a value follows stands: on its way
// back it meets that quote first (valueQuotes), and any quote it reads
// before is after every such quote (-1 stands for them).
func joinsBack(t []byte, lo int) (any, digits bool) {
	var vq valueQuotes
	lastValue := -1
	for base := (len(t) - 1) &^ 7; base >= lo; base -= 8 {
		x := word8(t, base)
		if lastValue < 0 {
			if v := valueBytes(x); v != 0 || vq.pending {
				lastValue = vq.word(t, base, x, v)
			}
		}
		for m := joinQuotes(x); m != 0; m &= m - 1 {
			i := base + bits.TrailingZeros64(m)/8
			if !mayCloseJoin(t, i) || commaJoinFails(t, i, lastValue) {
				continue
			}
			if _, d, ok := joinAtBefore(t, i, lastValue); ok {
				if d {
					return true, true // nothing more to learn
				}
				any = true
			}
		}
	}
	return any, false
}

// word8 returns the eight bytes of t from base, little-endian: NULs (no
// quote, no colon, no value byte) stand for those past its end.
func word8(t []byte, base int) uint64 {
	if base+8 <= len(t) {
		return binary.LittleEndian.Uint64(t[base:])
	}
	var b [8]byte
	copy(b[:], t[base:])
	return binary.LittleEndian.Uint64(b[:])
}

// joinQuotes marks the quotes of the eight bytes x that no colon follows
// among them, and '#' and '&': the bytes that differ from '"' only where
// '"' and '\” differ (bits 0 and 2), which mayCloseJoin passes over; a
// quote a colon follows is a key's, no join's.
func joinQuotes(x uint64) uint64 {
	y := (x ^ ones8*'"') &^ (ones8 * 5)
	c := x ^ ones8*':'
	return ^(y&low7 + low7 | y) & high8 &^ (^(c&low7 + low7 | c) & high8 >> 8)
}

// mayCloseJoin reports whether t[i] is a quote that may close a piece
// joined to the next. Most quotes of a JSON text cannot: an opening
// quote (after ':', ',', '[') or a key's closing quote (before ':').
// joinAt would say so too.
func mayCloseJoin(t []byte, i int) bool {
	b := t[i]
	return (b == '"' || b == '\'') && i > 0 && (t[i-1] == '\\' || joinChar(t[i-1])) && at(t, i+1) != ':'
}

// commaJoinFails is the quick test of hasJoins for the quote t[i] after
// which a comma comes at once (after a double quote, maybe once its
// containers close: "a"]},): true when joinAtBefore(t, i, lastValue)
// fails, as it reads such a join, for the piece before the quote alone
// (commaJoins: no digit stands before the quote, and the piece holds no
// value and no later piece holds one, or it is no piece), or for no
// comma after the closed containers; false when it does not know.
//
// The piece is read first: when it fails, the answer is true whatever
// follows the containers the quote may close, which are then not passed
// over.
func commaJoinFails(t []byte, i, lastValue int) bool {
	c := at(t, i+1)
	if c != ',' && (t[i] != '"' || c != '}' && c != ']') {
		return false
	}
	bi := i - 1
	if at(t, bi) == '\\' {
		bi--
	}
	if !isDigit(at(t, bi)) {
		if pa, oka := pieceOf(t, bi, -1); !oka || !pa && i >= lastValue {
			return true
		}
	}
	if c != ',' {
		// The quote closes containers.
		j, _ := skipBrackets(t, i+1, '}', ']')
		return at(t, j) != ','
	}
	return false
}

// valueQuotes finds the last quote of a text that a piece holding a value
// follows (pieceOf(t, q+1, 1) is ok, and a value), reading the text from
// its end eight bytes at a time. Such a piece holds a digit, an at sign or
// a capital (valueBytes), and runs from its quote to the next quote or
// backslash (or to the text's end): only the stretches between two such
// bytes (endBytes) that hold a value byte are read, from the quote or
// backslash before each. endBytes also marks '#' and '&', which no piece
// holds: a piece read from a quote before one is no piece, so a stretch
// that one ends is read as if a quote ended it.
type valueQuotes struct {
	pending bool // a value byte after the bytes read, no end mark between
}

// word reads the eight bytes x of t from base (NULs past its end), whose
// value bytes are v, after those above them: it returns the index of the
// last quote a piece holding a value follows when it is among them, else
// -1.
func (vq *valueQuotes) word(t []byte, base int, x, v uint64) int {
	e := endBytes(x)
	for {
		ends := e // the end marks that may start a stretch holding a value byte
		if !vq.pending {
			if v == 0 {
				return -1
			}
			ends &= 1<<(63-bits.LeadingZeros64(v)) - 1
		}
		if ends == 0 {
			vq.pending = true
			return -1
		}
		b := 63 - bits.LeadingZeros64(ends)
		q := base + b/8
		if c := t[q]; c == '"' || c == '\'' {
			if val, ok := pieceOf(t, q+1, 1); val && ok {
				return q
			}
		}
		vq.pending = false
		below := uint64(1)<<(b&^7) - 1 // the marks of the bytes before t[q]
		v &= below
		e &= below
	}
}

// endBytes marks with its high bit each byte of x that is a quote (double
// or single), '#' or '&' (which differ from '"' only where the quotes
// differ), or a backslash; every mark exact.
func endBytes(x uint64) uint64 {
	y := (x ^ ones8*'"') &^ (ones8 * 5)
	z := x ^ ones8*'\\'
	return ^(y&low7+low7|y)&high8 | ^(z&low7+low7|z)&high8
}

// valueBytes marks with its high bit each byte of x that is a digit, an
// at sign or a capital: each byte is compared alone (its high bit set
// first, so no subtraction borrows from the next), every mark exact.
func valueBytes(x uint64) uint64 {
	y := x | high8
	digit := (y - '0'*ones8) &^ (y - ('9'+1)*ones8)
	capital := (y - '@'*ones8) &^ (y - ('Z'+1)*ones8)
	return (digit | capital) &^ x & high8
}

// readJoins fills l with src, its joins removed; st and en map src to the
// original text (nil: src is it). With dash, a join between two digits
// reads as '-' instead: "415" "555" "2671" is a phone number grouped.
func (l *layer) readJoins(src []byte, st, en []int, dash bool) {
	l.grow(len(src))
	n := 0
	for i := 0; i < len(src); {
		j := i
		for j < len(src) && src[j] != '"' && src[j] != '\'' {
			j++
		}
		n = l.copyRun(n, src, st, en, i, j)
		if i = j; i == len(src) {
			break
		}
		e, digits, ok := joinAt(src, i)
		if !ok {
			n = l.copyRun(n, src, st, en, i, i+1)
			i++
			continue
		}
		if src[i-1] == '\\' {
			// The backslash of \" belongs to the join too.
			n--
		}
		if dash && digits {
			s, _ := spanOf(st, en, i)
			_, e2 := spanOf(st, en, e-1)
			l.b[n], l.st[n], l.en[n] = '-', s, e2
			n++
		}
		i = e
	}
	l.b, l.st, l.en = l.b[:n], l.st[:n], l.en[:n]
}
