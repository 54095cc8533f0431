package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestRedactStringsMatchesGeneric holds redactStrings to the reference
// redaction (decode the document, replace secrets in every string value,
// marshal it again) on random events of every shape (eventGen), with
// secrets taken from the event itself (so that they occur, often inside
// escaped strings and keys), and on the same JSON with every string
// spelled with \u escapes (JSON that encoding/json embeds as it comes):
// same value stored, or errSecretSurvived where a key holds a secret (the
// reference keeps keys, and the check after it fails).
func TestRedactStringsMatchesGeneric(t *testing.T) {
	r := &redactor{key: []byte("k")}
	g := &eventGen{r: rand.New(rand.NewPCG(7, 31))}
	var stored, keyRefused, untouched, structural int
	for i := range 3000 {
		e, b, rep, ok := g.eventWithSecrets(r)
		if !ok {
			continue
		}
		for _, src := range [][]byte{b, escapeEveryString(b)} {
			got, _, gerr := redactStrings(src, rep, nil)
			want, werr := r.redactGeneric(e, src, rep)
			if werr != nil {
				t.Fatalf("event %d: reference: %v", i, werr)
			}
			keyHoldsSecret := secretSurvives(want, rep)
			switch {
			case gerr != nil:
				if !errors.Is(gerr, errSecretSurvived) || !keyHoldsSecret {
					t.Fatalf("event %d: redactStrings failed (%v) where the reference stores\n%s", i, gerr, want)
				}
				keyRefused++
				continue
			case !sameJSONValue(got, want):
				t.Fatalf("event %d:\nredactStrings %s\nreference     %s", i, got, want)
			}
			if secretSurvives(got, rep) && !keyHoldsSecret {
				// Only a secret holding a quote or a backslash can be met
				// where redactStrings keeps bytes the reference rewrites: in
				// the JSON around a string and an escape it keeps (the
				// reference writes U+FFFD raw, this keeps "\ufffd"). body's
				// check refuses the event.
				if !survivorIsStructural(got, rep) {
					t.Fatalf("event %d: a secret survives redactStrings but not the reference:\n%s", i, got)
				}
				structural++
			}
			if bytes.Equal(got, src) {
				untouched++
			}
			stored++
		}
	}
	t.Logf("%d stored (%d untouched), %d refused for a secret in a key, %d meeting a quoted secret in the JSON around strings", stored, untouched, keyRefused, structural)
	if structural > stored/50 {
		t.Fatalf("%d of %d", structural, stored)
	}
	if keyRefused == 0 || stored < 3000 || untouched == stored {
		t.Fatal("the generator is too weak")
	}
}

// escapeEveryString returns b, JSON, with every byte of its strings that
// is a letter or a digit spelled as a \u escape.
func escapeEveryString(b []byte) []byte {
	var out []byte
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !in:
			in = c == '"'
		case c == '\\':
			n := 2 // \n, \", ...
			if b[i+1] == 'u' {
				n = 6
			}
			out = append(out, b[i:i+n]...)
			i += n - 1
			continue
		case c == '"':
			in = false
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			out = append(out, `\u00`...)
			out = append(out, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			continue
		}
		out = append(out, c)
	}
	return out
}

// TestRedactStringsKeepsWhatHoldsNoSecret checks the bytes redactStrings
// keeps: src itself when nothing changes, and only the strings that hold a
// secret rewritten otherwise.
func TestRedactStringsKeepsWhatHoldsNoSecret(t *testing.T) {
	r := &redactor{key: []byte("k")}
	rep := r.replacer([]string{"s3cret-value"})
	src := []byte(`{"a":"x","n":12,"list":["s3cret-value!","y\u003c"],"o":{"k":"pre s3cret-value post"},"z":null}`)
	got, _, err := redactStrings(src, rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":"x","n":12,"list":["` + rep.macs[0] + `!","y\u003c"],"o":{"k":"pre ` + rep.macs[0] + ` post"},"z":null}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	clean := []byte(`{"a":"x","b":["y"]}`)
	if got, _, _ := redactStrings(clean, rep, nil); &got[0] != &clean[0] {
		t.Fatal("a document without a secret is copied")
	}
	if _, _, err := redactStrings([]byte(`{"s3cret-value":1}`), rep, nil); !errors.Is(err, errSecretSurvived) {
		t.Fatalf("a secret in a key: %v", err)
	}
	if _, _, err := redactStrings([]byte(`{"a":"unterminated`), rep, nil); !errors.Is(err, errMalformedEvent) {
		t.Fatalf("malformed JSON: %v", err)
	}
	// The strings at skip (byte fields' base64) are kept as they are.
	b64 := []byte(`{"data":"czNjcmV0LXZhbHVl` + strings.Repeat("A", 4) + `","x":"s3cret-value"}`)
	start := bytes.Index(b64, []byte(`czNj`))
	end := bytes.IndexByte(b64[start:], '"') + start
	got, _, err = redactStrings(b64, rep, [][2]int{{start, end}})
	if err != nil || !bytes.Contains(got, b64[start:end]) || bytes.Contains(got, []byte(`"x":"s3cret`)) {
		t.Fatalf("skip: %s %v", got, err)
	}
}

// survivorIsStructural reports whether every secret found in b (its MACs
// cut out) holds a quote or a backslash.
func survivorIsStructural(b []byte, rep *secretReplacer) bool {
	rest := stripMACs(nil, b)
	for at := 0; ; at++ {
		i, id := findBytes(rep.m, rest, at, false)
		if i < 0 {
			return true
		}
		if !bytes.ContainsAny(rep.m.pats[id], "\"\\") {
			return false
		}
		at = i
	}
}

// TestEncoderSpansAreTheByteFields holds the spans marshalEventSpans
// notes to those base64Value finds (the base64 of payload and data,
// verified by encoding them again), on random events (an output with data
// alone has its leading comma dropped by closeObj), and checks that
// redactStrings moves them with the strings it rewrites before them.
func TestEncoderSpansAreTheByteFields(t *testing.T) {
	g := &eventGen{r: rand.New(rand.NewPCG(11, 3))}
	r := &redactor{key: []byte("k")}
	withSpans := 0
	for i := range 3000 {
		e := g.event()
		switch i % 3 {
		case 0:
			e.Output = &gate.Output{Data: []byte(g.string() + "x")}
		case 1:
			if e.Request != nil {
				e.Request.Payload = []byte(g.string() + "y")
			}
		}
		b, spans, err := marshalEventSpans(&e)
		if err != nil {
			continue
		}
		if want := byteFieldSpans(&e, b); !slices.Equal(spans, want) {
			t.Fatalf("event %d: spans %v, base64Value finds %v in %s", i, spans, want, b)
		}
		if len(spans) == 0 {
			continue
		}
		withSpans++
		rep := r.replacer(cleanSecrets([]string{e.SessionID, string(e.Kind), "time"}))
		out, moved, err := redactStrings(b, rep, spans)
		if err != nil {
			continue // a secret in a key
		}
		if len(moved) != len(spans) {
			t.Fatalf("event %d: %d spans moved of %d", i, len(moved), len(spans))
		}
		for k := range spans {
			if !bytes.Equal(out[moved[k][0]:moved[k][1]], b[spans[k][0]:spans[k][1]]) {
				t.Fatalf("event %d: span %d moved to %v wrongly in %s", i, k, moved[k], out)
			}
		}
	}
	if withSpans < 1000 {
		t.Fatalf("only %d events with byte fields", withSpans)
	}
}

// eventWithSecrets returns a random event, its json.Marshal JSON and a
// replacer (under r's key) of secrets taken from it (its session id, its
// command) and two more; ok is false when the event does not marshal.
func (g *eventGen) eventWithSecrets(r *redactor) (e gate.Event, b []byte, rep *secretReplacer, ok bool) {
	e = g.event()
	b, err := json.Marshal(e)
	if err != nil {
		return e, nil, nil, false
	}
	secrets := []string{e.SessionID, g.string(), "plain"}
	if e.Request != nil {
		secrets = append(secrets, e.Request.Command)
	}
	return e, b, r.replacer(cleanSecrets(secrets)), true
}
