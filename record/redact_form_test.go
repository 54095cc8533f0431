package record_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// formEvent is the decision event of a form POST with body form.
func formEvent(sid, form string) gate.Event {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	return gate.Event{Kind: gate.EventDecision, SessionID: sid, Time: now, Decision: &gate.Decision{ID: "d", Action: gate.Allow},
		Request: &gate.Request{Protocol: "http", Command: "POST /login", Payload: []byte(form),
			HTTP: &gate.HTTP{Method: "POST", Path: "/login", Headers: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}}}}
}

// The red team's form: a space elsewhere in the body and a needless escape
// in the password.
func TestFormPayloadWithSpaceRedacted(t *testing.T) {
	ev := formEvent("s", "note=a b&password=%68unter2-secret-A")
	end := gate.Event{Kind: gate.EventSessionEnd, SessionID: "s", Time: ev.Time}
	text := storedText(t, []gate.Event{ev, end})
	assertNoSecret(t, text, "hunter2-secret-A", "%68unter2-secret-A", "unter2-secret-A")
	if !strings.Contains(text, "note=a b&password=hmac-sha256:") {
		t.Errorf("the rest of the form was not kept: %s", text)
	}
}

// secretKeys are spellings of secret names a lenient server reads as such.
var secretKeys = []string{"password", "PassWord", "PASSWORD", "pass%77ord", "%50assword", "access_token", "Access-Token",
	"api_key", "client_secret", " password", "password ", "pass", "session_id", "AUTH_TOKEN"}

// junkPairs are the malformed pairs around them.
var junkPairs = []string{"note=a b", "x=1+2", "y=%zz", "=empty-key", "z", "q=100%", "t=a%2", "", "w=%E9t%C3%A9", "a=b=c"}

// escapeSome percent-encodes some bytes of s, in either case of hex, and
// writes spaces as '+' or %20.
func escapeSome(rng *rand.Rand, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' && rng.IntN(2) == 0:
			b.WriteByte('+')
		case strings.IndexByte("&;=+% ", c) >= 0 || c >= 0x80 || rng.IntN(4) == 0:
			f := "%%%02X"
			if rng.IntN(2) == 0 {
				f = "%%%02x"
			}
			fmt.Fprintf(&b, f, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TestMalformedFormSecretsRedacted is the generator test of form bodies
// that are not strictly well-formed: whitespace, '+', stray '%', ';'
// separators, duplicate keys, case variants and escapes of secret names,
// empty keys. No secret-named value survives in the stored record, raw,
// decoded or percent-encoded; the other fields are kept.
func TestMalformedFormSecretsRedacted(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	var evs []gate.Event
	var secrets []string
	var keeps []string
	for trial := range 200 {
		sid := fmt.Sprintf("f-%d", trial)
		var pairs []string
		for i := range 1 + rng.IntN(3) {
			sec := randSecret(rng, fmt.Sprintf("s%d-%d-", trial, i))
			enc := escapeSome(rng, sec)
			secrets = append(secrets, sec, enc)
			pairs = append(pairs, secretKeys[rng.IntN(len(secretKeys))]+"="+enc)
		}
		keep := fmt.Sprintf("keep%dx", trial)
		keeps = append(keeps, keep)
		pairs = append(pairs, "note="+keep)
		for range rng.IntN(4) {
			pairs = append(pairs, junkPairs[rng.IntN(len(junkPairs))])
		}
		rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
		var form strings.Builder
		for i, p := range pairs {
			if i > 0 {
				form.WriteString([]string{"&", ";", "&"}[rng.IntN(3)])
			}
			form.WriteString(p)
		}
		evs = append(evs, formEvent(sid, form.String()), gate.Event{Kind: gate.EventSessionEnd, SessionID: sid, Time: evs0Time})
	}
	text := storedText(t, evs)
	assertNoSecret(t, text, secrets...)
	for _, k := range keeps {
		if !strings.Contains(text, "note="+k) {
			t.Errorf("non-secret field %q lost", k)
		}
	}
}

var evs0Time = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
