package pgsql

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// secretTriggerReference is the definition secretTrigger implements in one
// pass: some secret word occurs in sql, ignoring ASCII case.
func secretTriggerReference(sql string) bool {
	for _, w := range secretWords {
		if containsFold(sql, w) {
			return true
		}
	}
	return false
}

// TestSecretTriggerMatchesReference compares the one-pass scan with the
// reference over generated texts built from pieces of the secret words,
// their case variants, look-alike runes (ſ, K, fullwidth letters) and
// noise, so near misses and matches at every position are covered.
func TestSecretTriggerMatchesReference(t *testing.T) {
	pieces := []string{"pass", "word", "PASS", "WoRd", "passwd", "sec", "ret", "SECRET", "tok", "en", "TOKEN",
		":", "//", "://", ":/", "ſecret", "paſsword", "toKen", "\u212aey", "ｐａｓｓ", "p\x00assword", "\x1a//",
		" ", "'", "\"", "SELECT ", "a", "z", "P", "S", "T", "\xff", "é", ";"}
	r := rand.New(rand.NewPCG(1, 2))
	matches := 0
	for i := 0; i < 200000; i++ {
		var b strings.Builder
		for n := r.IntN(8); n >= 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		got, want := secretTrigger(s), secretTriggerReference(s)
		if got != want {
			t.Fatalf("secretTrigger(%q) = %v, reference %v", s, got, want)
		}
		if want {
			matches++
		}
	}
	if matches < 1000 {
		t.Fatalf("the generator found only %d texts with a secret word: it does not exercise the match path", matches)
	}
}
