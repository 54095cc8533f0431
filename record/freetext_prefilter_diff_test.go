package record

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// prefilterTexts returns n generated texts for the prefilter: textGen's
// (credentials of every shape among clean text, sometimes JSON-escaped),
// the JSON of generated events, and random bytes dense in the trigger
// bytes (separators, quotes, backslashes, dashes, slashes, the leads of
// keywords and token prefixes) at every length around the word size.
func prefilterTexts(n int) [][]byte {
	g := textGen{rng: rand.New(rand.NewPCG(41, 43))}
	eg := &eventGen{r: rand.New(rand.NewPCG(47, 53)), stable: true}
	const dense = `=:"\-/ :/="\'` + "bBpPiImseyxghAKSIrknfd-:=\"\\/ \n\t\x00\xff"
	var out [][]byte
	for i := 0; len(out) < n; i++ {
		switch i % 4 {
		case 0:
			out = append(out, []byte(g.text()))
		case 1:
			e := g.event()
			if i%8 == 1 {
				e = eg.event()
			}
			var gaps textGaps
			b, _, err := appendEventGaps(nil, &e, &gaps)
			if err == nil {
				out = append(out, b)
			}
		case 2:
			out = append(out, []byte(g.chars(dense, g.rng.IntN(40))))
		default:
			// a trigger or a separator at every offset of a short text
			trig := g.pick("--password x", "://", `":`, `\":`, "=", ":", "Bearer ", "basic ", "PASSWORD", "identified by",
				"mysql", "mariadb", "sshpass", "eyJ", "ghp_", "AKIA", "sk-", "-----BEGIN ", "token: ", `"api_key":"`, "x=")
			pre := g.chars(alnum+` "\:=-`, g.rng.IntN(20))
			out = append(out, []byte(pre+trig+g.chars(alnum+` "\:=-`, g.rng.IntN(20))))
		}
	}
	return out
}

// TestTriggeredMatchesOld holds the one-pass prefilter to the one before
// it (oldTriggered): on every generated text, with and without names, as
// JSON or not, it returns the same rules, and so scan runs the same rules
// and finds the same values.
func TestTriggeredMatchesOld(t *testing.T) {
	t.Parallel()
	names := mask.CompileSecretNames(nil)
	filter := newNameFilter(nil)
	n := 60000
	if testing.Short() {
		n = 10000
	}
	fired := map[scanRules]int{}
	for i, s := range prefilterTexts(n) {
		for _, f := range []freeText{{names: names, filter: filter}, {names: names, filter: filter, json: true}, {}, {json: true}} {
			want := oldTriggered(f, s)
			if got := f.triggered(s); got != want {
				t.Fatalf("text %d (json %v, names %v): rules %09b, before %09b, in\n%q", i, f.json, f.names != nil, got, want, s)
			}
			for r := scanRules(1); r <= ruleShortPassword; r <<= 1 {
				if want&r != 0 {
					fired[r]++
				}
			}
		}
	}
	// Every rule fires on many texts, and most texts fire none: both
	// verdicts are exercised.
	for r := scanRules(1); r <= ruleShortPassword; r <<= 1 {
		if fired[r] < n/100 {
			t.Errorf("rule %09b fired on only %d texts", r, fired[r])
		}
	}
}

// TestPairTableEndsNoPairInZero: the last byte of a text is probed in a
// pair with a zero byte of padding, which must be no trigger's; only "-"
// followed by it follows a lead ("--" at a text's end: a third byte past
// the end is a zero to leadThirds, which group 0 takes).
func TestPairTableEndsNoPairInZero(t *testing.T) {
	for c := range 256 {
		v := pairTable[c]
		if c == '-' && v == pairFollow {
			continue
		}
		if v != 0 {
			t.Errorf("pair %q, 0 is marked %08b", byte(c), v)
		}
	}
	if pairTable['-'] != pairFollow {
		t.Errorf(`pair "-", 0 is marked %08b, not pairFollow`, pairTable['-'])
	}
}

// TestLeadGroups: every trigger's lead pair is marked, its group holds
// the trigger's third byte, and the pair of its second and third bytes is
// marked pairFollow; at most one group unions leads with different third
// bytes (the last).
func TestLeadGroups(t *testing.T) {
	var triggers []string
	for _, w := range []string{"bearer ", "basic ", "password", "identified by"} {
		triggers = append(triggers, w, strings.ToUpper(w), strings.ToUpper(w[:1])+w[1:], w[:1]+strings.ToUpper(w[1:2])+w[2:],
			w[:2]+strings.ToUpper(w[2:3])+w[3:])
	}
	triggers = append(triggers, "mysql", "mariadb", "sshpass", "eyJ", "://", "-----BEGIN ", "--x", "--")
	for _, s := range tokenShapes {
		triggers = append(triggers, s.prefix)
	}
	for _, s := range triggers {
		v := pairTable[uint16(s[0])|uint16(s[1])<<8]
		var c byte
		if len(s) > 2 {
			c = s[2]
		}
		follow := pairTable[uint16(s[1])|uint16(c)<<8]
		if v&pairLead == 0 || leadThirds[v>>pairGroupShift][c>>6]>>(c&63)&1 == 0 || follow&pairFollow == 0 {
			t.Errorf("trigger %q: mark %08b, its third byte not in its group", s, v)
		}
	}
}
