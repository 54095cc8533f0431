package record

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// rewrittenEvent returns a generated request whose named secrets
// secretValues rewrites, their values holding free-text credentials, and
// credentials also written next to them: secret headers, named query
// parameters of the command line (short values too, which free text finds
// and names alone do not chase), named body fields and tool arguments, an
// SSH env value.
func (g textGen) rewrittenEvent() gate.Event {
	e := gate.Event{Kind: gate.EventDecision, SessionID: "s-" + g.chars(alnum, 4)}
	switch g.rng.IntN(3) {
	case 0:
		cmd := "GET /x?" + g.name() + "=" + g.pick(g.secret(), g.chars(alnum, 6+g.rng.IntN(3)), g.text()) + "&" + g.text()
		e.Request = &gate.Request{Protocol: "http", Command: cmd, Payload: []byte(g.text()),
			HTTP: &gate.HTTP{Method: "GET", Path: "/x",
				Headers: map[string][]string{g.pick("authorization", "x-api-key", "cookie", "proxy-authorization"): {g.credential(), g.text()},
					g.name(): {g.text()}, "x-note": {g.text()}},
				Query: map[string][]string{g.name(): {g.text(), g.credential()}, "q": {g.text()}},
				Body:  map[string]any{g.name(): g.text(), "note": g.text(), "nested": map[string]any{g.name(): []any{g.credential(), 42.0}}}}}
	case 1:
		args := map[string]any{g.name(): g.credential(), "sql": g.text()}
		e.Request = &gate.Request{Protocol: "tool", Command: "query " + g.text(), Tool: &gate.ToolCall{Name: "query", Args: args}}
		if g.rng.IntN(2) == 0 {
			e.Request.Command = `query {"` + g.name() + `":"` + g.secret() + `","sql":"` + g.text() + `"}`
		}
	default:
		e.Request = &gate.Request{Protocol: "ssh", Command: g.text(),
			SSH: &gate.SSH{EnvName: g.name(), EnvValue: g.pick(g.credential(), g.text(), g.secret())}}
	}
	return e
}

// The free-text search of a rewritten event (its stored JSON beside the
// texts the rewrite replaced, as they came) finds what the search of the
// event as it came, marshalled whole, finds: over generated requests whose
// named values hold credentials of every shape and sit next to others.
func TestFreeTextOfRewrittenEventsAsItCame(t *testing.T) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	g := textGen{rng: rand.New(rand.NewPCG(41, 43))}
	rewritten, withFinds, unmarshalled := 0, 0, 0
	for range 4000 {
		orig := g.rewrittenEvent()
		var og textGaps // as body searched the event as it came: marshalled again, with its gaps
		ob, _, err := appendEventGaps(nil, &orig, &og)
		if err != nil {
			t.Fatal(err)
		}
		want := sortedCopy(r.freeTextSecrets(&orig, ob, og.list()))
		e := orig
		req := *orig.Request
		_, originals, rewrote := r.secretValues(&req, nil)
		e.Request = &req
		var gaps textGaps
		b, _, err := appendEventGaps(nil, &e, &gaps)
		if err != nil {
			t.Fatal(err)
		}
		found, err := r.freeTextAsItCame(nil, &orig, &e, b, &gaps, originals, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := sortedCopy(found)
		if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
			t.Fatalf("%s\nrewritten to %s\nfound besides %q, missed %q", ob, b, setMinus(got, want), setMinus(want, got))
		}
		if rewrote && e.Request.Command == orig.Request.Command && !mayStartPEM(b, originals) {
			unmarshalled++ // searched without marshalling orig again
		}
		if rewrote {
			rewritten++
			if len(want) > 0 {
				withFinds++
			}
		}
	}
	if rewritten < 3000 || withFinds < 1500 || unmarshalled < 1000 {
		t.Fatalf("only %d events rewritten, %d with free-text finds, %d searched without marshalling again: the generator does not exercise the rewrite",
			rewritten, withFinds, unmarshalled)
	}
}

// setMinus returns the strings of a that b does not hold.
func setMinus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
