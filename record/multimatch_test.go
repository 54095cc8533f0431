package record

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSecretReplacerMatchesStringsReplacer is the generator test of the
// one-pass matcher: on random texts and secrets over a small alphabet
// (overlaps, prefixes of one another, 1- to 3-byte secrets, escaped
// forms), Replace gives what strings.NewReplacer gives and contains and
// secretSurvives say what bytes.Contains says.
func TestSecretReplacerMatchesStringsReplacer(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = `ab"c\`[rng.IntN(5)]
		}
		return string(b)
	}
	for trial := range 3000 {
		var secrets []string
		for range 1 + rng.IntN(6) {
			secrets = append(secrets, word(1+rng.IntN(7)))
		}
		secrets = cleanSecrets(secrets)
		sr := newSecretReplacer(secrets)
		var pairs []string
		for i, s := range secrets {
			sr.macs[i] = "<" + strings.Repeat("m", i+1) + ">"
			pairs = append(pairs, s, sr.macs[i])
		}
		text := word(rng.IntN(40))
		if got, want := sr.Replace(text), strings.NewReplacer(pairs...).Replace(text); got != want {
			t.Fatalf("trial %d: secrets %q, text %q: Replace %q, want %q", trial, secrets, text, got, want)
		}
		wantRaw, wantAny := false, false
		for i, s := range secrets {
			wantRaw = wantRaw || strings.Contains(text, s)
			wantAny = wantAny || strings.Contains(text, s) || bytes.Contains([]byte(text), sr.escaped[i])
		}
		if sr.contains([]byte(text)) != wantRaw || secretSurvives([]byte(text), sr) != wantAny {
			t.Fatalf("trial %d: secrets %q, text %q: contains %v, survives %v", trial, secrets, text, sr.contains([]byte(text)), secretSurvives([]byte(text), sr))
		}
	}
}
