package record

import (
	"math/rand/v2"
	"testing"
)

// TestFindBytesMatchesFind holds findBytes (bytes.Index per pattern when
// there are few) to find, the bitmap matcher, on random secrets and texts
// over a small alphabet (many partial and overlapping matches).
func TestFindBytesMatchesFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const alphabet = `ab"\c`
	str := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	fast := 0
	for i := range 20000 {
		var secrets []string
		for range 1 + rng.IntN(5) {
			secrets = append(secrets, str(1+rng.IntN(6)))
		}
		sr := newSecretReplacer(cleanSecrets(secrets))
		if len(sr.m.pats) <= fewPatterns && !sr.m.single {
			fast++
		}
		text := []byte(str(rng.IntN(60)))
		from := 0
		if len(text) > 0 {
			from = rng.IntN(len(text) + 1)
		}
		for _, raw := range []bool{true, false} {
			wa, wid := find(sr.m, text, from, raw)
			ga, gid := findBytes(sr.m, text, from, raw)
			if wa != ga || wid != gid {
				t.Fatalf("case %d: secrets %q text %q from %d raw %v: find %d,%d findBytes %d,%d", i, secrets, text, from, raw, wa, wid, ga, gid)
			}
		}
	}
	if fast < 5000 {
		t.Fatalf("only %d cases take the bytes.Index path", fast)
	}
}
