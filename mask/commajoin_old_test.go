package mask

import (
	"strings"
	"testing"
)

// commaJoinFailsOld is commaJoinFails as it was (issue #19): the
// containers the quote closes passed over before the piece is read.
func commaJoinFailsOld(t []byte, i, lastValue int) bool {
	j := i + 1
	switch c := at(t, j); {
	case c == ',':
	case t[i] == '"' && (c == '}' || c == ']'):
		if j, _ = skipBrackets(t, j, '}', ']'); at(t, j) != ',' {
			return true
		}
	default:
		return false
	}
	bi := i - 1
	if at(t, bi) == '\\' {
		bi--
	}
	if isDigit(at(t, bi)) {
		return false
	}
	pa, oka := pieceOf(t, bi, -1)
	return !oka || !pa && i >= lastValue
}

func TestCommaJoinFailsAgreesWithOld(t *testing.T) {
	texts := joinTexts()
	// Pieces of every kind before a quote that closes up to and past
	// maxJoinBrackets containers, a comma or another byte after them, or
	// the text's end.
	pieces := []string{"", "a", "ab", "aB", "a1", "1", "@", "A", "a\\", "\\", "a b", "é", strings.Repeat("a", maxPiece), strings.Repeat("a", maxPiece+1), strings.Repeat("a", maxPiece-1) + "1"}
	for _, pc := range pieces {
		for n := range maxJoinBrackets + 3 {
			for _, closer := range []string{"}", "]", "}]", "]}"} {
				cl := strings.Repeat(closer, n)[:n]
				for _, after := range []string{",", ",\"b\"", ", \"C1\"", "x", " ,", ""} {
					for _, q := range []string{`"`, `'`, `\"`} {
						texts = append(texts, `[`+q+pc+q+cl+after, `{"k":`+q+pc+q+cl+after+`"1"`)
					}
				}
			}
		}
	}
	calls, fails := 0, 0
	for _, s := range texts {
		b := []byte(s)
		lv := lastValueQuote(b)
		for i := range b {
			for _, last := range []int{-1, 0, i - 1, i, i + 1, lv, len(b)} {
				got, want := commaJoinFails(b, i, last), commaJoinFailsOld(b, i, last)
				if got != want {
					t.Fatalf("commaJoinFails(%q, %d, %d) = %v, the old %v", s, i, last, got, want)
				}
				calls++
				if got {
					fails++
				}
			}
		}
	}
	if fails < calls/100 {
		t.Fatalf("only %d of %d calls fail", fails, calls)
	}
}
