package record

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// TestTriggeredEveryLeadEveryOffset holds the one-pass prefilter to the
// one before it (oldTriggered) on every trigger the pair table knows (the
// keywords with their first three letters in every case, the program
// names, every token prefix, "--" options, separators), cut after each of
// its bytes and whole, at each of the sixteen offsets around an
// eight-byte step, at a text's end and followed by filler: the positions
// where a pass reading eight bytes and the pair after them could lose a
// trigger (the last word, a lead pair whose follower is in the next step,
// a text shorter than a step).
func TestTriggeredEveryLeadEveryOffset(t *testing.T) {
	t.Parallel()
	names := mask.CompileSecretNames(nil)
	filter := newNameFilter(nil)
	modes := []freeText{{names: names, filter: filter}, {names: names, filter: filter, json: true}, {}, {json: true}}
	var triggers []string
	for _, w := range []string{"bearer x", "basic x", "password=x", "identified by x"} {
		for m := range 8 { // the case of each of the first three letters
			b := []byte(w)
			for i := range 3 {
				if m>>i&1 != 0 {
					b[i] = b[i] - 'a' + 'A'
				}
			}
			triggers = append(triggers, string(b), strings.ToUpper(string(b)))
		}
	}
	for _, s := range tokenShapes {
		triggers = append(triggers, s.prefix+strings.Repeat("Ab1", 12))
	}
	triggers = append(triggers, "mysql -pX", "mariadb -uroot -pX", "sshpass -p X", "eyJhbGciOiJIUzI1NiJ9.eyJ4Ijoi.eA",
		"://u:p@h", "--password=x", "--password x", "-----BEGIN RSA PRIVATE KEY-----", "token: x", `"api_key":"x"`,
		`\"token\":\"x\"`, "x=y", "k: v", "a----b")
	rng := rand.New(rand.NewPCG(7, 11))
	const filler = "abcdefghijklmnopqrstuvwxyz0123456789 -_=:\"'"
	fill := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = filler[rng.IntN(len(filler))]
		}
		return string(b)
	}
	checked := 0
	for _, trig := range triggers {
		for cut := 1; cut <= len(trig); cut++ {
			for off := range 16 {
				pre := fill(off)
				for _, text := range []string{pre + trig[:cut], pre + trig[:cut] + fill(1+rng.IntN(12)), pre + trig[:cut] + " " + trig} {
					for _, f := range modes {
						want := oldTriggered(f, []byte(text))
						if got := f.triggered([]byte(text)); got != want {
							t.Fatalf("json %v, names %v: rules %09b, before %09b, in %q", f.json, f.names != nil, got, want, text)
						}
						checked++
					}
				}
			}
		}
	}
	if checked < 20000 {
		t.Fatalf("only %d texts checked", checked)
	}
}
