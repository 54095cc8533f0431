package record

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCleanBytesAnswersBothSearches holds cleanBytes to the two searches
// it stands for on an output's data (body skips replaceBytes and the data
// part of survives when it reports true): rep.contains and
// secretSurvives, on data holding the secrets raw, JSON-escaped, cut,
// next to or inside MACs, or none of them.
func TestCleanBytesAnswersBothSearches(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 9))
	r := &redactor{key: []byte("k")}
	var clean, dirty int
	for range 3000 {
		secrets := []string{"Bearer tok-" + randString(rng, 8), `pa"ss\wd-` + randString(rng, 4), "sk_live_" + randString(rng, 10)}
		rep := r.replacer(cleanSecrets(secrets[:1+rng.IntN(3)]))
		var b strings.Builder
		for range rng.IntN(6) {
			switch rng.IntN(6) {
			case 0:
				s := rep.secrets[rng.IntN(len(rep.secrets))]
				b.WriteString(s)
			case 1:
				b.Write(rep.escaped[rng.IntN(len(rep.escaped))])
			case 2:
				s := rep.secrets[rng.IntN(len(rep.secrets))]
				b.WriteString(s[:rng.IntN(len(s))])
			case 3:
				b.WriteString(rep.macs[rng.IntN(len(rep.macs))])
			case 4:
				b.WriteString(SecretPrefix)
			default:
				b.WriteString(randString(rng, rng.IntN(30)))
			}
		}
		p := []byte(b.String())
		if cleanBytes(p, rep) {
			clean++
			if rep.contains(p) || secretSurvives(p, rep) {
				t.Fatalf("cleanBytes(%q) = true, but a secret is in it", p)
			}
		} else {
			dirty++
		}
	}
	if clean < 300 || dirty < 300 {
		t.Fatalf("%d clean, %d not", clean, dirty)
	}
}
