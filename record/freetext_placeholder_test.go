package record

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// isPlaceholderToLower is isPlaceholder as it was before placeholderWord:
// bytes.ToLower of every value. It is the oracle of
// TestPlaceholderWordMatchesToLower.
func isPlaceholderToLower(v []byte) bool {
	switch v[0] {
	case '$', '?', '%', '<', '{', '[', ':', '@':
		return true
	}
	switch string(bytes.ToLower(v)) {
	case "true", "false", "null", "none", "undefined", "required", "redacted", "password", "secret":
		return true
	}
	return bytes.Count(v, v[:1]) == len(v)
}

// TestPlaceholderWordMatchesToLower holds isPlaceholder to its oracle on
// the words in random case, cut, run on, with letters swapped for the
// non-ASCII ones that lower to ASCII (KELVIN SIGN, I WITH DOT ABOVE) or
// for invalid UTF-8, and on random values.
func TestPlaceholderWordMatchesToLower(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 11))
	words := []string{"true", "false", "null", "none", "undefined", "required", "redacted", "password", "secret", "token", "k1", "kkkk"}
	var yes int
	for range 20000 {
		w := words[rng.IntN(len(words))]
		b := []byte(w)
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = []byte(strings.ToUpper(string(b[i])))[0]
			}
		}
		w = string(b)
		switch rng.IntN(7) {
		case 0:
			w = strings.Replace(w, "i", "\u0130", 1)
			w = strings.Replace(w, "k", "\u212a", 1)
		case 1:
			w = w[:rng.IntN(len(w))+1]
		case 2:
			w += string([]byte{"x\xff\xc4"[rng.IntN(3)]})
		case 3:
			r := make([]byte, 1+rng.IntN(12))
			for i := range r {
				r[i] = "aeiouNULtr\xc4\xb0\xe2\x84\xaa"[rng.IntN(14)]
			}
			w = string(r)
		}
		got, want := isPlaceholder([]byte(w)), isPlaceholderToLower([]byte(w))
		if got != want {
			t.Fatalf("isPlaceholder(%q) = %v, want %v", w, got, want)
		}
		if got {
			yes++
		}
	}
	if yes < 1000 {
		t.Fatalf("only %d placeholders", yes)
	}
}
