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
	p := leakPolicy(t)
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
			out, werr := streamProtoWatch(p, r, text, lines, 700)
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

// streamProtoWatch writes text through a protoWatch in random pieces of
// at most maxPiece bytes (as lines when lines is set) and returns what it
// passed on and its error.
func streamProtoWatch(p *mask.Policy, r *rand.Rand, text []byte, lines bool, maxPiece int) (*bytes.Buffer, error) {
	var out bytes.Buffer
	w := &protoWatch{p: p, w: &out, lines: lines}
	var err error
	for s := text; len(s) > 0 && err == nil; {
		n := min(len(s), 1+r.IntN(maxPiece))
		_, err = w.Write(s[:n])
		s = s[n:]
	}
	if err == nil {
		err = w.Close()
	}
	return &out, err
}
