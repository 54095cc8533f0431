package mask

import (
	"math/rand/v2"
	"testing"
)

// skipSpaces, skipBrackets and pieceOf test their index against t's
// bounds once and read t directly (issue #19). Against the forms they
// replaced, kept here: every index of generated texts (and the indexes
// just outside them), of the bytes each reads and those beside them.

func skipSpacesOld(t []byte, j int) int {
	for k := 0; k < maxJoinSpaces; k++ {
		switch at(t, j) {
		case ' ', '\t', '\n', '\r':
			j++
			continue
		}
		break
	}
	return j
}

func skipBracketsOld(t []byte, j int, a, b byte) (int, bool) {
	n := 0
	for ; n < maxJoinBrackets && (at(t, j) == a || at(t, j) == b); n++ {
		j = skipSpacesOld(t, j+1)
	}
	return j, n > 0
}

func pieceOfOld(t []byte, k, dir int) (value, ok bool) {
	n := 0
	var seen uint8
	for ; k >= 0 && k < len(t) && n <= maxPiece; k += dir {
		c := pieceClass[t[k]]
		if c&pcEnd != 0 {
			break
		}
		if c&pcIn == 0 {
			return false, false
		}
		seen |= c
		n++
	}
	return pieceValue(seen), n >= 1 && n <= maxPiece
}

func TestJoinSkipsAgreeWithOld(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 2027))
	toks := []string{" ", "\t", "\n", "\r", "\v", "\f", "\x00", "\x1f", "!", "}", "]", "{", "[", ",", `"`, `'`, `\`, "=", "a", "Z", "1", "@", "-", "\x80", "\xff", "é",
		"        ", "         ", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1"}
	values := 0
	for range 3000 {
		var b []byte
		for range r.IntN(30) {
			b = append(b, toks[r.IntN(len(toks))]...)
		}
		for j := -2; j <= len(b)+2; j++ {
			if got, want := skipSpaces(b, j), skipSpacesOld(b, j); got != want {
				t.Fatalf("skipSpaces(%q, %d) = %d, the old %d", b, j, got, want)
			}
			for _, ab := range [...][2]byte{{'}', ']'}, {'{', '['}} {
				e, ok := skipBrackets(b, j, ab[0], ab[1])
				if we, wok := skipBracketsOld(b, j, ab[0], ab[1]); e != we || ok != wok {
					t.Fatalf("skipBrackets(%q, %d, %q) = %d %v, the old %d %v", b, j, ab, e, ok, we, wok)
				}
			}
			for _, dir := range [...]int{-1, 1} {
				v, ok := pieceOf(b, j, dir)
				if wv, wok := pieceOfOld(b, j, dir); v != wv || ok != wok {
					t.Fatalf("pieceOf(%q, %d, %d) = %v %v, the old %v %v", b, j, dir, v, ok, wv, wok)
				}
				if v && ok {
					values++
				}
			}
		}
	}
	if values < 10000 {
		t.Fatalf("only %d pieces holding a value read", values)
	}
}
