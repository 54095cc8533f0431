package record

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// plainTestStrings generates strings for the plain-string tests: hex ids
// (what the gateways make), printable ASCII, and strings with a byte
// json.Marshal escapes or checks — quotes, backslashes, <>&, control
// bytes, DEL, UTF-8 (U+2028 among it) and invalid UTF-8 — at any place.
func plainTestStrings(rng *rand.Rand, n int) []string {
	odd := []string{`"`, `\`, "<", ">", "&", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xff", "\xc3", "\U0001F600"}
	out := []string{"", "6da0e06b7d79ec4e2ec389bdc664745f", "s1", "a"}
	for range n {
		var b strings.Builder
		for range rng.IntN(40) {
			switch rng.IntN(8) {
			case 0:
				b.WriteString(odd[rng.IntN(len(odd))])
			default:
				b.WriteByte(byte(0x20 + rng.IntN(0x5f)))
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TestIsPlainMatchesMarshal: a string isPlain takes is one json.Marshal
// (the oracle) writes as it is between quotes; and appendString, which
// asks isPlain, writes what json.Marshal does, on generated strings.
func TestIsPlainMatchesMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(97, 101))
	plain := 0
	for _, s := range plainTestStrings(rng, 20000) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if isPlain(s) {
			plain++
			if string(want) != `"`+s+`"` {
				t.Fatalf("%q taken as plain; json.Marshal writes %s", s, want)
			}
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, json.Marshal %s", s, got, want)
		}
	}
	if plain < 1000 {
		t.Fatalf("only %d plain strings generated", plain)
	}
}

// TestPlainSessionLines: the lines of entries whose session id the chain
// found plain are what appendLine writes without that knowledge (the
// oracle: appendString), and so are event bodies whose session id the
// scan memory remembers plain (the oracle: no memory), on generated
// session ids, each recorded several times, through one chain and one
// memory (so that the id they know changes, to a plain id or not).
func TestPlainSessionLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(103, 107))
	var c chain
	var m scanMemo
	for _, session := range plainTestStrings(rng, 3000) {
		for range 1 + rng.IntN(3) {
			e := c.next(session, "decision", 1, []byte(`{"a":1}`))
			got, err := appendLine(nil, &e)
			if err != nil {
				t.Fatal(err)
			}
			old := e
			old.plainSession = ""
			want, err := appendLine(nil, &old)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("session %q: line\n%s\nwant\n%s", session, got, want)
			}
			ev := gate.Event{Kind: gate.EventOutput, SessionID: session, Time: time.Unix(1, 0).UTC(), Output: &gate.Output{Stream: "rows"}}
			var mg, g textGaps
			mb, _, err := appendEventMemo(nil, &ev, &mg, &m)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := appendEventMemo(nil, &ev, &g, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(mb, b) {
				t.Fatalf("session %q: body with the memory\n%s\nwithout\n%s", session, mb, b)
			}
		}
	}
}
