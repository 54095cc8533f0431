package mask

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// literalDetector.find searches a text for the literals only when it
// holds every byte of one of them (issue #19); before, it ran the
// automaton over every text and asked that of the pieces' reading alone.
// findEvery is that find, against which the new one finds the same spans
// in texts that hold a secret in every form WithSecrets masks (as it is,
// in either case, with "\/", in base64 at each alignment, in pieces),
// one byte short of it, and in none.
func (d *literalDetector) findEvery(s *scan, id int, out []span) []span {
	for _, h := range d.ac.findAll(s.t, nil) {
		out = append(out, span{start: h.start, end: h.end, det: id})
	}
	if s.noWordJoins || !d.mayHoldInPieces(s.t) {
		return out
	}
	return d.findJoined(s.t, id, out)
}

func TestLiteralFindAgreesWithEvery(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 61))
	secret := "up/stream-Secret-abcdef"
	p := (*Policy)(nil).WithSecrets([]string{"Bearer " + secret, secret})
	d := p.dets[len(p.dets)-1].d.(*literalDetector)
	forms := []string{secret, strings.ToUpper(secret), strings.ReplaceAll(secret, "/", `\/`), "Bearer " + secret}
	for k := range 3 {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", k)+secret+"tail")),
			base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("k", k)+secret)))
	}
	var texts []string
	for _, f := range forms {
		for size := 1; size <= 7; size += 3 {
			for _, doc := range piecesDocs(secretPieces(f, size)) {
				texts = append(texts, doc)
			}
		}
		texts = append(texts, f, "x "+f+" y")
		for range 3 {
			// One byte short: every occurrence of one of its bytes gone.
			c := f[r.IntN(len(f))]
			texts = append(texts, strings.NewReplacer(string(c), "", strings.ToUpper(string(c)), "", strings.ToLower(string(c)), "").Replace(f+" "+f))
		}
	}
	texts = append(texts, string(findsDoc), "", "abc")
	for range 2000 {
		b := make([]byte, r.IntN(120))
		alpha := "abcdefupstremBRS-/+_=\"', :[]{}0123456789"
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		texts = append(texts, string(b))
	}
	found := 0
	for _, text := range texts {
		for _, nwj := range []bool{false, true} {
			got := d.find(&scan{t: []byte(text), noWordJoins: nwj}, 7, nil)
			want := d.findEvery(&scan{t: []byte(text), noWordJoins: nwj}, 7, nil)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("find(%q, noWordJoins %v) = %v, searching every text %v", text, nwj, got, want)
			}
			if len(want) > 0 {
				found++
			}
		}
	}
	if found < len(forms)*8 {
		t.Fatalf("only %d texts with a literal found", found)
	}
}
