package mask

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// hasJoins learns first where the last piece holding a value after a
// quote stands (lastValueQuote), and joinAt drops a comma join that can
// have no such piece before looking for its next piece; joinChar reads a
// table (issue #19). Against the code they replaced, kept here: the
// same joins at every quote of generated texts, JSON with pieces of
// values joined in every way joins.go reads them, and soups of quotes,
// operators, brackets, keys and words.

func joinCharOld(c byte) bool {
	return isAlnum(c) || c == '.' || c == '@' || c == '-' || c == '_' || c == '+' || c == '/' || c == '~'
}

func joinAtOld(t []byte, i int) (end int, digits, ok bool) {
	q := t[i]
	if q != '"' && q != '\'' {
		return 0, false, false
	}
	bi := i - 1
	if at(t, bi) == '\\' {
		bi--
	}
	before := at(t, bi)
	if !joinCharOld(before) {
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
	if q == '"' && !doubled {
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
	if !joinCharOld(after) || op == ',' && !digits && !commaJoins(t, bi, j) {
		return 0, false, false
	}
	return j, digits, true
}

func hasJoinsOld(t []byte) (any, digits bool) {
	for i := nextQuote(t, 0); i < len(t); i = nextQuote(t, i+1) {
		// Most quotes of a JSON text cannot close a piece joined to the
		// next: an opening quote (after ':', ',', '[') or a key's closing
		// quote (before ':'). joinAt would say so too.
		if before := at(t, i-1); before != '\\' && !joinCharOld(before) || at(t, i+1) == ':' {
			continue
		}
		if _, d, ok := joinAtOld(t, i); ok {
			if d {
				return true, true // nothing more to learn
			}
			any = true
		}
	}
	return any, false
}

// hasJoinsBackward is hasJoins as it was before it read t forward
// (issue #19), a second oracle: it reports whether t holds a join of string pieces, and whether
// one joins digits. It reads t from its end, each byte once, so that at
// each quote it knows whether a later one is followed by a piece that
// holds a value (joinAtBefore): it reads the piece that follows a quote
// before the quote itself. Which join it finds first does not matter.
func hasJoinsBackward(t []byte) (any, digits bool) {
	lastValue := -1                   // the last quote a piece holding a value follows
	n, seen, all := 0, uint8(0), pcIn // the bytes read since the last quote or backslash
	for i := len(t) - 1; i >= 0; i-- {
		c := pieceClass[t[i]]
		if c&pcEnd == 0 {
			n++
			seen |= c
			all &= c
			continue
		}
		value := n >= 1 && n <= maxPiece && all&pcIn != 0 && pieceValue(seen)
		n, seen, all = 0, 0, pcIn
		if t[i] == '\\' {
			continue
		}
		// Most quotes of a JSON text cannot close a piece joined to the
		// next: an opening quote (after ':', ',', '[') or a key's closing
		// quote (before ':'). joinAt would say so too.
		if before := at(t, i-1); (before == '\\' || joinChar(before)) && at(t, i+1) != ':' {
			if _, d, ok := joinAtBefore(t, i, lastValue); ok {
				if d {
					return true, true // nothing more to learn
				}
				any = true
			}
		}
		if value && lastValue < 0 {
			lastValue = i
		}
	}
	return any, false
}

// joinSoup is a text of the tokens joins are made of, in any order.
func joinSoup(r *rand.Rand) string {
	toks := []string{`"`, `"`, `"`, `'`, `\"`, `\`, `,`, `, `, ` `, "\n", `+`, `.`, `||`, `:`, `": `, `[`, `]`, `{`, `}`,
		`null`, `true`, `false`, `4111`, `1111`, `ab`, `Ab`, `aB`, `x@y`, `widget`, `12345`, `9.99`, `=`,
		`upstream-secret-abcdef`, `UPSTREAM`, `dXBzdHJlYW0`, `""`, `''`, strings.Repeat("a", 63), strings.Repeat("b", 64), strings.Repeat("c", 65)}
	var b strings.Builder
	for range r.IntN(60) {
		b.WriteString(toks[r.IntN(len(toks))])
	}
	return b.String()
}

// joinJSON is a JSON text whose string values are pieces of values
// (digits, mixed case, an at sign) or words, in arrays, objects and
// members, with keys of either case.
func joinJSON(r *rand.Rand) string {
	words := []string{"widget", "a", "b", "4111", "1111", "Ab12", "ann@example.com", "upstream-", "secret-abcdef", "dXBz", "id", "Name", "x y", ""}
	var b strings.Builder
	var value func(depth int)
	value = func(depth int) {
		switch k := r.IntN(7); {
		case k < 3 || depth > 3:
			b.WriteString(`"` + words[r.IntN(len(words))] + `"`)
		case k == 3:
			b.WriteString([]string{"12345", "9.99", "null", "true", "{}", "[]"}[r.IntN(6)])
		case k == 4:
			b.WriteString("[")
			for j := range r.IntN(4) {
				if j > 0 {
					b.WriteString([]string{",", ", ", " ,\n "}[r.IntN(3)])
				}
				value(depth + 1)
			}
			b.WriteString("]")
		default:
			b.WriteString("{")
			for j := range r.IntN(4) {
				if j > 0 {
					b.WriteString(",")
				}
				b.WriteString(`"` + []string{"id", "name", "userId", "tags", "k0", "price"}[r.IntN(6)] + `":`)
				value(depth + 1)
			}
			b.WriteString("}")
		}
	}
	value(0)
	return b.String()
}

// joinTexts returns the texts the join tests read: JSON and other texts
// with joins, keys and pieces holding values or not, at every offset.
func joinTexts() []string {
	r := rand.New(rand.NewPCG(19, 41))
	texts := []string{string(findsDoc), `["4111","1111","1111","1111"]`, `"4111" + "1111"`, `'ab' || 'Cd'`, `{"a":"AKIA","b":"EXAMPLE1"}`}
	for range 4000 {
		j := joinJSON(r)
		texts = append(texts, joinSoup(r), j, j[:r.IntN(len(j)+1)])
	}
	// A comma join of a piece without a value to one with a value of
	// every length about the bounds, last in the text or followed by
	// pieces without one: the piece holding a value decides.
	for _, v := range []string{strings.Repeat("a", 70) + "1", "1" + strings.Repeat("a", 70), strings.Repeat("1", 64), strings.Repeat("A1", 33), "a\\1", "Z", "z@", "\x80\xc1", "1", "@", "aB", "a1", strings.Repeat("a", 62) + "1", strings.Repeat("a", 63) + "1", strings.Repeat("a", 64) + "1", "a=1", "a b1", "a:1"} {
		for _, f := range []string{`"ab","%s"`, `["ab",{"k":"%s"}]`, `'ab','%s'`, `"ab","%s","cd"`, `"ab" , "%s"]`, `\"ab\",\"%s\"`} {
			texts = append(texts, strings.Replace(f, "%s", v, 1))
		}
	}
	// Joins and keys at every offset from an eight-byte boundary and at
	// the text's end, beside '#' and '&' (which the eight-byte search
	// marks with the quotes) and bytes above ASCII (hasJoins reads eight
	// bytes at a time).
	for pad := range 17 {
		for _, f := range []string{`"ab","Cd1"`, `"4111" + "1111"`, `"k":"v1","k2":"ab"`, `'ab' || 'Cd'`, `\"ab\",\"C1\"`, `"a":`, `"x1"},{"n":"y2"}`, `"a":"1","b"`, `'41'#'11'`, `"41"&"11"`, `"4&"+"1#"`} {
			texts = append(texts, strings.Repeat("a", pad)+f, strings.Repeat("#", pad)+f+strings.Repeat("&", pad%9))
			texts = append(texts, strings.Repeat("\xff", pad)+f, strings.Repeat("é", pad)+f+strings.Repeat("\xa2", pad%5))
		}
	}
	return texts
}

func TestHasJoinsAgreesWithOld(t *testing.T) {
	for c := range 256 {
		if joinChar(byte(c)) != joinCharOld(byte(c)) {
			t.Fatalf("joinChar(%q) = %v", byte(c), joinChar(byte(c)))
		}
	}
	texts := joinTexts()
	joins, digitJoins, quickFails := 0, 0, 0
	for _, s := range texts {
		b := []byte(s)
		a, d := hasJoins(b)
		wa, wd := hasJoinsOld(b)
		if a != wa || d != wd {
			t.Fatalf("hasJoins(%q) = %v %v, the old %v %v", s, a, d, wa, wd)
		}
		if ba, bd := hasJoinsBackward(b); a != ba || d != bd {
			t.Fatalf("hasJoins(%q) = %v %v, read backward %v %v", s, a, d, ba, bd)
		}
		if fa, fd := hasJoinsForward(b); a != fa || d != fd {
			t.Fatalf("hasJoins(%q) = %v %v, read forward %v %v", s, a, d, fa, fd)
		}
		if ba, bd := hasJoinsByByte(b); a != ba || d != bd {
			t.Fatalf("hasJoins(%q) = %v %v, byte by byte %v %v", s, a, d, ba, bd)
		}
		if a {
			joins++
		}
		if d {
			digitJoins++
		}
		lv, want := lastValueQuote(b), -1
		if bl := lastValueQuoteByByte(b); bl != lv {
			t.Fatalf("lastValueQuote(%q) = %d, byte by byte %d", s, lv, bl)
		}
		if ol := lastValueQuoteOld(b); ol != lv {
			t.Fatalf("lastValueQuote(%q) = %d, the old %d", s, lv, ol)
		}
		if rl := lastValueQuoteRuns(b); rl != lv {
			t.Fatalf("lastValueQuote(%q) = %d, run by run %d", s, lv, rl)
		}
		for q := range b {
			if v, ok := pieceOf(b, q+1, 1); (b[q] == '"' || b[q] == '\'') && v && ok {
				want = q
			}
		}
		if lv != want {
			t.Fatalf("lastValueQuote(%q) = %d, piece by piece %d", s, lv, want)
		}
		for i := range b {
			if b[i] != '"' && b[i] != '\'' {
				continue
			}
			e, d, ok := joinAt(b, i)
			we, wd, wok := joinAtOld(b, i)
			if e != we || d != wd || ok != wok {
				t.Fatalf("joinAt(%q, %d) = %d %v %v, the old %d %v %v", s, i, e, d, ok, we, wd, wok)
			}
			if e, d, ok = joinAtBefore(b, i, lv); e != we || d != wd || ok != wok {
				t.Fatalf("joinAtBefore(%q, %d, %d) = %d %v %v, the old %d %v %v", s, i, lv, e, d, ok, we, wd, wok)
			}
			if commaJoinFails(b, i, lv) {
				if wok {
					t.Fatalf("commaJoinFails(%q, %d, %d), yet the old joinAt joins there", s, i, lv)
				}
				quickFails++
			}
		}
	}
	if joins < len(texts)/20 || digitJoins < len(texts)/200 || quickFails < len(texts)/8 {
		t.Fatalf("only %d texts of %d with joins, %d joining digits, %d quotes commaJoinFails rules out", joins, len(texts), digitJoins, quickFails)
	}
}

// nextQuote returns the index of the first quote, double or single, in t
// at or after i, or len(t). Quotes stand close together in JSON and
// code: the next sixteen bytes are read eight at a time; past them, the
// text is searched for each quote (a vector search, quicker over prose).
func nextQuote(t []byte, i int) int {
	for n := 0; n < 2 && i+8 <= len(t); n, i = n+1, i+8 {
		x := binary.LittleEndian.Uint64(t[i:])
		if m := zeroBytes(x^(ones8*'"')) | zeroBytes(x^(ones8*'\'')); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	rest := t[i:]
	k := bytes.IndexByte(rest, '"')
	if k < 0 {
		k = len(rest)
	}
	if s := bytes.IndexByte(rest[:k], '\''); s >= 0 {
		k = s
	}
	return i + k
}

// zeroBytes marks the zero bytes of x with their high bit; above the
// first zero byte a byte of 0x01 may be marked too, so only the lowest
// mark is exact.
func zeroBytes(x uint64) uint64 { return (x - ones8) &^ x & high8 }

// lastValueQuoteByByte is lastValueQuote as the hasJoins before it read
// it (issue #19): it returns the index of the last quote of t that a piece
// holding a value follows (pieceOf(t, q+1, 1) is ok, and a value), or -1.
// It reads t from its end: the bytes read since the last quote or
// backslash are the piece that follows the next one.
func lastValueQuoteByByte(t []byte) int {
	n, seen, all := 0, uint8(0), pcIn
	for k := len(t) - 1; k >= 0; k-- {
		c := pieceClass[t[k]]
		if c&pcEnd == 0 {
			n++
			seen |= c
			all &= c
			continue
		}
		if t[k] != '\\' && n >= 1 && n <= maxPiece && all&pcIn != 0 && pieceValue(seen) {
			return k
		}
		n, seen, all = 0, 0, pcIn
	}
	return -1
}

// lastValueQuoteOld is lastValueQuote as it was before it stopped, on
// its way back from a value byte, at a byte no piece holds (issue #19):
// it read on to the quote, and the piece after the value byte.
func lastValueQuoteOld(t []byte) int {
	for k := len(t); ; {
		v := lastValueByte(t[:k])
		if v < 0 {
			return -1
		}
		seen, all := uint8(0), pcIn
		q := v // the quote or backslash before the piece, once found
		for ; q >= 0 && v-q <= maxPiece; q-- {
			c := pieceClass[t[q]]
			if c&pcEnd != 0 {
				break
			}
			seen |= c
			all &= c
		}
		if q < 0 {
			return -1 // no quote before
		}
		if k = q; pieceClass[t[q]]&pcEnd == 0 {
			k = q + 1
			continue
		}
		e := v + 1
		for ; e < len(t) && e-q-1 <= maxPiece; e++ {
			c := pieceClass[t[e]]
			if c&pcEnd != 0 {
				break
			}
			seen |= c
			all &= c
		}
		if n := e - q - 1; t[q] != '\\' && n <= maxPiece && all&pcIn != 0 && pieceValue(seen) {
			return q
		}
	}
}

// lastValueQuote reads the run of value bytes that ends at a value byte
// from their marks, eight bytes at a time (issue #19): against the
// byte-by-byte reading, texts of value bytes in runs of every length,
// after bytes of every kind (no piece, in a piece, a quote, a backslash),
// at every offset.
func TestLastValueQuoteRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 307))
	alphabet := []string{"1", "9", "A", "Z", "@", "a", "z", ":", ",", `"`, "'", `\`, " ", ".", "=", "-", "\xff", "é", "{", "]"}
	found := 0
	for range 30000 {
		var b []byte
		for range r.IntN(24) {
			if r.IntN(3) == 0 {
				b = append(b, strings.Repeat("7", 1+r.IntN(10))...)
			} else {
				b = append(b, alphabet[r.IntN(len(alphabet))]...)
			}
		}
		if got, runs := lastValueQuote(b), lastValueQuoteRuns(b); got != runs {
			t.Fatalf("lastValueQuote(%q) = %d, run by run %d", b, got, runs)
		}
		if got, want := lastValueQuote(b), lastValueQuoteByByte(b); got != want {
			t.Fatalf("lastValueQuote(%q) = %d, byte by byte %d", b, got, want)
		} else if got >= 0 {
			found++
		}
	}
	if found < 3000 {
		t.Fatalf("only %d texts with a quote before a piece holding a value", found)
	}
}

// FuzzHasJoinsAgreesWithOld: hasJoins and joinAt answer as the code they
// replaced on any text (go test -fuzz; the seeds run by default).
func FuzzHasJoinsAgreesWithOld(f *testing.F) {
	for _, s := range []string{string(findsDoc), `["4111","1111"]`, `"ab" + "Cd"`, `'a' || 'B1'`, `{"a":"x","b":{"c":"Y2"}}`, `\"ab\",\"Cd\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		a, d := hasJoins(b)
		if wa, wd := hasJoinsOld(b); a != wa || d != wd {
			t.Fatalf("hasJoins(%q) = %v %v, the old %v %v", s, a, d, wa, wd)
		}
		if ba, bd := hasJoinsBackward(b); a != ba || d != bd {
			t.Fatalf("hasJoins(%q) = %v %v, read backward %v %v", s, a, d, ba, bd)
		}
		if fa, fd := hasJoinsForward(b); a != fa || d != fd {
			t.Fatalf("hasJoins(%q) = %v %v, read forward %v %v", s, a, d, fa, fd)
		}
		if ba, bd := hasJoinsByByte(b); a != ba || d != bd {
			t.Fatalf("hasJoins(%q) = %v %v, byte by byte %v %v", s, a, d, ba, bd)
		}
		for i := range b {
			if b[i] == '"' || b[i] == '\'' {
				e, d, ok := joinAt(b, i)
				if we, wd, wok := joinAtOld(b, i); e != we || d != wd || ok != wok {
					t.Fatalf("joinAt(%q, %d) = %d %v %v, the old %d %v %v", s, i, e, d, ok, we, wd, wok)
				}
			}
		}
	})
}

// valueBytes marks exactly the digits, at signs and capitals of a word:
// every byte at every position among every other, and random words.
func TestValueBytes(t *testing.T) {
	checkByteMarks(t, "valueBytes", valueBytes, func(c byte) bool { return c >= '0' && c <= '9' || c == '@' || c >= 'A' && c <= 'Z' },
		[]byte{0, '0', '9', '@', 'Z', '[', 0x7f, 0x80, 0xff, '/', ':', '?'}, 107)
}

// hasJoinsByByte is hasJoins as it was before it found its quotes eight
// bytes at a time (issue #19): byte by byte, each quote tested in turn.
func hasJoinsByByte(t []byte) (any, digits bool) {
	lastValue := -2 // not known yet
	for i, b := range t {
		if b != '"' && b != '\'' {
			continue
		}
		if i == 0 || t[i-1] != '\\' && !joinChar(t[i-1]) || at(t, i+1) == ':' {
			continue
		}
		if lastValue == -2 {
			lastValue = lastValueQuote(t)
		}
		if commaJoinFails(t, i, lastValue) {
			continue
		}
		if _, d, ok := joinAtBefore(t, i, lastValue); ok {
			if d {
				return true, true
			}
			any = true
		}
	}
	return any, false
}

// lastValueQuoteRuns is lastValueQuote as it was before it read only the
// stretches between quotes that hold a value byte (issue #19): it
// returns the index of the last quote of t that a piece
// holding a value follows (pieceOf(t, q+1, 1) is ok, and a value), or -1.
// Such a piece holds a digit, an at sign or a capital (valueBytes): from
// the last of these, eight bytes at a time, the piece around each is
// read, the bytes before its quote next (or, when a byte no piece holds
// comes first on the way back to the quote, the bytes before that byte).
func lastValueQuoteRuns(t []byte) int {
	for k := len(t); ; {
		v := lastValueByte(t[:k])
		if v < 0 {
			return -1
		}
		if v >= 7 {
			// The value bytes that end at v, read from their marks: when
			// fewer than eight, and the byte before them is one no piece
			// holds, the walk below would stop there and read on before
			// it (most numbers of a JSON text follow a colon or a
			// comma).
			m := valueBytes(binary.LittleEndian.Uint64(t[v-7:]))
			if run := bits.LeadingZeros64(^(m | low7)) / 8; run < 8 && pieceClass[t[v-run]]&(pcEnd|pcIn) == 0 {
				k = v - run
				continue
			}
		}
		seen, all := uint8(0), pcIn
		q := v // the quote or backslash before the piece, once found
		for ; q >= 0 && v-q <= maxPiece; q-- {
			c := pieceClass[t[q]]
			if c&(pcEnd|pcIn) != pcIn {
				break
			}
			seen |= c
		}
		if q >= 0 && v-q <= maxPiece && pieceClass[t[q]]&(pcEnd|pcIn) == 0 {
			// t[q], which no piece holds, stands between v and the
			// quote before it: a piece runs unbroken from its quote to
			// the next, so none that holds a byte of t[q:v+1] is one.
			// Read on before t[q].
			k = q
			continue
		}
		if q < 0 {
			return -1 // no quote before
		}
		if k = q; pieceClass[t[q]]&pcEnd == 0 {
			// More than maxPiece bytes before v stand in the piece: it
			// holds no value; read on from where the reading stopped.
			k = q + 1
			continue
		}
		e := v + 1
		for ; e < len(t) && e-q-1 <= maxPiece; e++ {
			c := pieceClass[t[e]]
			if c&pcEnd != 0 {
				break
			}
			seen |= c
			all &= c
		}
		if n := e - q - 1; t[q] != '\\' && n <= maxPiece && all&pcIn != 0 && pieceValue(seen) {
			return q
		}
	}
}

// lastValueByte returns the index of the last digit, at sign or capital
// of t, or -1.
func lastValueByte(t []byte) int {
	k := len(t)
	for ; k >= 8; k -= 8 {
		if m := valueBytes(binary.LittleEndian.Uint64(t[k-8:])); m != 0 {
			return k - 8 + (63-bits.LeadingZeros64(m))/8
		}
	}
	for k--; k >= 0; k-- {
		if c := t[k]; c >= '0' && c <= '9' || c >= '@' && c <= 'Z' {
			return k
		}
	}
	return -1
}
