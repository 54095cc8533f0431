package mask

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// hasInvisibleOld is hasInvisible as it was before it skipped ASCII 32
// bytes at a time (issue #19): eight bytes at a time.
func hasInvisibleOld(t []byte) bool {
	for i := 0; i < len(t); {
		for ; i+8 <= len(t); i += 8 {
			if binary.LittleEndian.Uint64(t[i:])&high8 != 0 {
				break
			}
		}
		for i < len(t) && t[i] < utf8.RuneSelf {
			i++
		}
		if i == len(t) {
			return false
		}
		if !invisibleLead[t[i]] {
			i++
			continue
		}
		r, size := utf8.DecodeRune(t[i:])
		if _, tag := tagASCII(r); tag || isIgnorable(r) {
			return true
		}
		i += size
	}
	return false
}

// TestHasInvisibleAgreesWithOld: an invisible character, a visible one of
// the same lead byte, or a stray byte above ASCII at every offset of
// ASCII texts of every length about the 32-byte blocks, and random texts
// of such characters: hasInvisible answers as the code it replaced.
func TestHasInvisibleAgreesWithOld(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 211))
	chars := []string{"\u200b", "\u00ad", "\U000E0041", "\ufeff", "\u2060", "é", "\u2014", "\xe2", "\xf3\xa0", "\x80", "ü", "a", " ", "\""}
	check := func(s string) {
		if got, want := hasInvisible([]byte(s)), hasInvisibleOld([]byte(s)); got != want {
			t.Fatalf("hasInvisible(%q) = %v, the old %v", s, got, want)
		}
	}
	found := 0
	for n := range 80 {
		base := strings.Repeat("x", n)
		check(base)
		for k := 0; k <= n; k++ {
			for _, c := range chars[:10] {
				s := base[:k] + c + base[k:]
				check(s)
				if hasInvisible([]byte(s)) {
					found++
				}
			}
		}
	}
	for range 3000 {
		var b strings.Builder
		for range r.IntN(120) {
			b.WriteString(chars[r.IntN(len(chars))])
		}
		check(b.String())
	}
	if found < 1000 {
		t.Fatalf("only %d texts with an invisible character", found)
	}
}
