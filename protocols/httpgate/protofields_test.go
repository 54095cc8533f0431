package httpgate

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// TestProtoWatchStreamsAsWhole: text written to a protoWatch in random
// pieces is passed on unchanged when nothing is found, and judged as
// checkProtoFields judges it whole: texts without a value (never
// refused), with a protobuf field holding one, and with base85 of one
// (a value the masker reads where it is, not glued, is left to it).
func TestProtoWatchStreamsAsWhole(t *testing.T) {
	eng, err := mask.New(mask.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Policy([]string{"credit_card", "email", "us_ssn"})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(421, 422))
	cases := printableProtobufCases(r, 60, false)
	cases = append(cases, base85Cases(r, 30)...)
	refused := 0
	for k := range 150 {
		var text []byte
		if k < len(cases) {
			text = cases[k].body
			if k%2 == 0 {
				text = append(textHeader(r, r.IntN(3000)), text...)
			}
		} else {
			text = textHeader(r, 1+r.IntN(5000))
		}
		whole := checkProtoFields(p, text)
		for _, lines := range []bool{false, true} {
			var out bytes.Buffer
			w := &protoWatch{p: p, w: &out, lines: lines}
			var werr error
			for s := text; len(s) > 0 && werr == nil; {
				n := min(len(s), 1+r.IntN(700))
				_, werr = w.Write(s[:n])
				s = s[n:]
			}
			if werr == nil {
				werr = w.Close()
			}
			if !lines && (werr == nil) != (whole == nil) {
				t.Errorf("case %d: streamed %v, whole %v", k, werr, whole)
			}
			if werr == nil && !bytes.Equal(out.Bytes(), text) {
				t.Errorf("case %d (lines %v): text changed", k, lines)
			}
		}
		if whole != nil {
			refused++
		}
		if k >= len(cases) && whole != nil {
			t.Errorf("case %d: text without a value refused: %v", k, whole)
		}

	}
	t.Logf("%d of 150 texts refused", refused)
}
