package mask

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// tokenLikeValue returns a random value that looks like a mask token's
// label: capitals, digits, '_' and ':' with lower-case hex after it, of
// random length, sometimes a real label with something added.
func tokenLikeValue(r *rand.Rand) string {
	const up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const upd = up + "0123456789"
	var b strings.Builder
	switch r.IntN(5) {
	case 0: // HUNTER2
		b.WriteByte(up[r.IntN(len(up))])
		for range 2 + r.IntN(14) {
			b.WriteByte(upd[r.IntN(len(upd))])
		}
	case 1: // S3CR3T_K3Y
		b.WriteByte(up[r.IntN(len(up))])
		for range 3 + r.IntN(10) {
			if r.IntN(5) == 0 {
				b.WriteByte('_')
			} else {
				b.WriteByte(upd[r.IntN(len(upd))])
			}
		}
	case 2: // a label with a hash of the wrong length: EMAIL:0a1b2c
		b.WriteString([]string{"EMAIL", "CREDIT_CARD", "PASSWORD_ASSIGNMENT", "X"}[r.IntN(4)])
		b.WriteByte(':')
		for range 1 + r.IntN(24) {
			b.WriteByte("0123456789abcdef"[r.IntN(16)])
		}
	case 3: // a real label with something after it: PASSWORD_ASSIGNMENT2
		b.WriteString([]string{"PASSWORD_ASSIGNMENT", "CREDIT_CARD", "SECRET", "REDACTED", "JWT"}[r.IntN(5)])
		for range 1 + r.IntN(4) {
			b.WriteByte(upd[r.IntN(len(upd))])
		}
	default: // all capitals, a word
		for range 4 + r.IntN(8) {
			b.WriteByte(up[r.IntN(len(up))])
		}
	}
	return b.String()
}

// TestTokenLikeValueGenerated is the generator of the family "a value that
// merely looks like a mask token passes unmasked" (password=[HUNTER2]):
// values of capitals, digits, '_' and ':' in every kind of bracket, once
// or twice, after the assignment key words and separators, through Value
// and the stream masker. Only a token the masker emits is left alone.
func TestTokenLikeValueGenerated(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy([]string{"secrets", "pii"})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(17, 19))
	keys := []string{"password", "PASSWORD", "secret", "api_key", "token", "Authorization", "DB_PASSWORD", "passwd"}
	seps := []string{"=", ": ", " = ", ":", "=> ", `": "`}
	brackets := [][2]string{{"[", "]"}, {"[[", "]]"}, {"{", "}"}, {"<", ">"}, {"(", ")"}, {"[", "]]"}, {"{[", "]}"}, {"([", "])"}}
	tails := []string{"", " next", "\n", ",", `"`, "; x=1"}
	bad, total := 0, 0
	for range 3000 {
		v := tokenLikeValue(r)
		br := brackets[r.IntN(len(brackets))]
		k, sp := keys[r.IntN(len(keys))], seps[r.IntN(len(seps))]
		in := k + sp + br[0] + v + br[1] + tails[r.IntN(len(tails))]
		total++
		got, err := valueAndStream(p, in, total%len(in))
		if err != nil || strings.Contains(got, v) {
			if bad++; bad <= 10 {
				t.Errorf("%q -> %q, %v", in, got, err)
			}
		}
	}
	t.Logf("%d of %d token-like values left", bad, total)
}

// TestEmittedTokensStay: a token the masker emits (redact or hash), and
// the SDK's own placeholders [SECRET] and [REDACTED], are not masked again
// after an assignment's key word.
func TestEmittedTokensStay(t *testing.T) {
	e, err := New(Config{HashKey: []byte("0123456789abcdef0123"), Strategies: map[string]string{"email": "hash"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy([]string{"secrets", "pii"})
	if err != nil {
		t.Fatal(err)
	}
	masked, _, err := p.Value("", "ann.lee@example.com")
	if err != nil || !strings.HasPrefix(masked, "[EMAIL:") {
		t.Fatalf("hash token %q, %v", masked, err)
	}
	for _, tok := range []string{"[PASSWORD_ASSIGNMENT]", "[CREDIT_CARD]", "[AWS_ACCESS_KEY_ID]", "[SECRET]", "[REDACTED]", masked, "********"} {
		for _, in := range []string{"password=" + tok, "password: " + tok + " next", "token=[" + tok + "]", `"secret": "` + tok + `"`} {
			got, _, err := p.Value("", in)
			if err != nil || got != in {
				t.Errorf("%q -> %q, %v", in, got, err)
			}
		}
	}
	// A hash token under a label whose strategy is not hash is not one
	// the masker emits.
	in := "password=[CREDIT_CARD:0123456789abcdef]"
	if got, _, _ := p.Value("", in); strings.Contains(got, "0123456789abcdef") {
		t.Errorf("%q -> %q", in, got)
	}
}
