package record

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestGapsWrittenInPlace: the encoder notes gaps in the caller's textGaps
// as it goes; into one reused from another event (its array full of
// stale gaps) it writes the same JSON, spans and gaps as into a zero one
// (the oracle: what the encoder gave when it kept gaps of its own and the
// caller received a copy), on generated events, with and without a scan
// memory.
func TestGapsWrittenInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(83, 89))
	var reused textGaps
	for i := range maxTextGaps {
		reused.add(1000*i, 1000*i+7) // stale gaps, none of them the encoder's
	}
	var m scanMemo
	for range 3000 {
		e := randomEvent(rng)
		var fresh textGaps
		want, wantSpans, err := appendEventMemo(nil, &e, &fresh, nil)
		if err != nil {
			t.Fatal(err)
		}
		var memo *scanMemo
		if rng.IntN(2) == 0 {
			memo = &m
		}
		got, gotSpans, err := appendEventMemo(nil, &e, &reused, memo)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) || gotSpans != wantSpans || !slices.Equal(reused.list(), fresh.list()) {
			t.Fatalf("event %s: reused gaps %v, fresh %v\n%s\n%s", e.Kind, reused.list(), fresh.list(), got, want)
		}
	}
	e := gate.Event{Kind: gate.EventOutput, SessionID: "s", Output: &gate.Output{Stream: "rows", Data: []byte("x")}}
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(10, func() { _, _, _ = appendEventMemo(buf, &e, nil, nil) }); n > 0 {
		t.Fatalf("%v allocations, want none (the gaps of a caller that wants none stay on the stack)", n)
	}
}
