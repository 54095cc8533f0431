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
// forms), Replace gives what replaceCovering gives (strings.NewReplacer's
// scan, where a secret overlapping a replaced one adds its MAC), no byte
// of a secret's occurrence is left out of a MAC, and contains and
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
		got := sr.Replace(text)
		want, hidden := replaceCovering(secrets, sr.macs, text)
		if got != want {
			t.Fatalf("trial %d: secrets %q, text %q: Replace %q, want %q", trial, secrets, text, got, want)
		}
		if !overlaps(secrets, text) {
			if want := strings.NewReplacer(pairs...).Replace(text); got != want {
				t.Fatalf("trial %d: secrets %q, text %q: Replace %q, strings.Replacer %q", trial, secrets, text, got, want)
			}
		}
		for i, c := range coveredBytes(secrets, text) {
			if c && !hidden[i] {
				t.Fatalf("trial %d: secrets %q, text %q: Replace %q leaves byte %d of a secret in clear", trial, secrets, text, got, i)
			}
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

// replaceCovering is the reference of secretReplacer.Replace: scanning
// left to right, at each position the first of secrets (sorted longest
// first) that matches is replaced by its MAC and the scan resumes after
// it, as strings.NewReplacer does; but a secret starting inside that
// occurrence and ending past it adds its MAC and extends the occurrence.
// hidden marks the bytes of text replaced.
func replaceCovering(secrets, macs []string, text string) (out string, hidden []bool) {
	hidden = make([]bool, len(text))
	matchAt := func(i int) int {
		for j, s := range secrets {
			if strings.HasPrefix(text[i:], s) {
				return j
			}
		}
		return -1
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		j := matchAt(i)
		if j < 0 {
			b.WriteByte(text[i])
			i++
			continue
		}
		b.WriteString(macs[j])
		end := i + len(secrets[j])
		for q := i + 1; q < end; q++ {
			if k := matchAt(q); k >= 0 && q+len(secrets[k]) > end {
				b.WriteString(macs[k])
				end = q + len(secrets[k])
			}
		}
		for ; i < end; i++ {
			hidden[i] = true
		}
	}
	return b.String(), hidden
}

// overlaps reports whether two occurrences of secrets in text overlap
// without one containing the other.
func overlaps(secrets []string, text string) bool {
	type span struct{ a, b int }
	var spans []span
	for _, s := range secrets {
		for i := 0; i+len(s) <= len(text); i++ {
			if text[i:i+len(s)] == s {
				spans = append(spans, span{i, i + len(s)})
			}
		}
	}
	for _, x := range spans {
		for _, y := range spans {
			if x.a < y.a && y.a < x.b && x.b < y.b {
				return true
			}
		}
	}
	return false
}

// coveredBytes marks the bytes of text inside an occurrence of a secret.
func coveredBytes(secrets []string, text string) []bool {
	c := make([]bool, len(text))
	for _, s := range secrets {
		for i := 0; i+len(s) <= len(text); i++ {
			if text[i:i+len(s)] == s {
				for k := i; k < i+len(s); k++ {
					c[k] = true
				}
			}
		}
	}
	return c
}

// TestFindSkippingFindsTheLeftmost holds the skip-table search to a naive
// one (every position in turn, the longest pattern there) on random
// patterns of 4 to 20 bytes (and their escaped forms) over small
// alphabets, from random offsets, raw patterns only or all: same position,
// same pattern.
func TestFindSkippingFindsTheLeftmost(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 21))
	skipped := 0
	for trial := range 5000 {
		alphabet := `ab"\c`[:2+rng.IntN(4)]
		word := func(n int) string {
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			return string(b)
		}
		var secrets []string
		for range 1 + rng.IntN(12) {
			secrets = append(secrets, word(4+rng.IntN(17)))
		}
		sr := newSecretReplacer(cleanSecrets(secrets))
		if sr.m.shifts != nil {
			skipped++
		}
		text := word(rng.IntN(300))
		for range 4 {
			from := rng.IntN(len(text) + 1)
			rawOnly := rng.IntN(2) == 0
			gotAt, gotID := find(sr.m, text, from, rawOnly)
			wantAt, wantID := -1, int32(-1)
			for i := from; i < len(text) && wantAt < 0; i++ {
				for id, p := range sr.m.pats {
					if (rawOnly && !sr.m.raw[id]) || !strings.HasPrefix(text[i:], string(p)) {
						continue
					}
					if wantAt < 0 || len(p) > len(sr.m.pats[wantID]) {
						wantAt, wantID = i, int32(id)
					}
				}
			}
			if gotAt != wantAt || (gotAt >= 0 && len(sr.m.pats[gotID]) != len(sr.m.pats[wantID])) {
				t.Fatalf("trial %d: patterns %q, text %q from %d raw %v: found %d, want %d", trial, sr.m.pats, text, from, rawOnly, gotAt, wantAt)
			}
			if bgot, _ := find(sr.m, []byte(text), from, rawOnly); bgot != gotAt {
				t.Fatalf("trial %d: bytes and string disagree", trial)
			}
		}
	}
	if skipped < 4000 {
		t.Fatalf("only %d of 5000 matchers use the skip table", skipped)
	}
}
