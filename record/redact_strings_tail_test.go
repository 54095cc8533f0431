package record

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// TestRedactStringsStopsWhereNothingIsLeft holds redactStrings, which stops
// reading strings at plainTail once no form of a secret is left ahead, to
// redactStringsWalk, which reads them all: the same output, moved spans
// and error on random events of every shape (eventGen), on plain-ASCII
// HTTP events with credentials in every field (plainHTTPEvent), with and
// without their byte fields' spans, and on their JSON cut short or with a
// byte changed to a quote, a backslash or a byte outside ASCII.
func TestRedactStringsStopsWhereNothingIsLeft(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 3))
	r := &redactor{key: []byte("k")}
	g := &eventGen{r: rng}
	var early, mutated int
	check := func(i int, src []byte, rep *secretReplacer, skip [][2]int) {
		t.Helper()
		got, gm, gerr := redactStrings(src, rep, skip)
		want, wm, werr := redactStringsWalk(src, rep, skip)
		if gerr != werr || !bytes.Equal(got, want) || !slices.Equal(gm, wm) {
			t.Fatalf("case %d: redactStrings = %q %v %v,\nwant %q %v %v\nsrc %q", i, got, gm, gerr, want, wm, werr, src)
		}
		if hit, _ := findBytes(rep.m, src, 0, false); hit < 0 && len(skip) == 0 && plainTail(src) < len(src) {
			early++
		}
	}
	for i := range 4000 {
		var e gate.Event
		var rep *secretReplacer
		if i%2 == 0 {
			var ok bool
			if e, _, rep, ok = g.eventWithSecrets(r); !ok {
				continue
			}
		} else {
			e, rep = plainHTTPEvent(rng, r)
		}
		b, spans, err := marshalEventSpans(&e)
		if err != nil {
			continue
		}
		check(i, b, rep, nil)
		check(i, b, rep, spans)
		for range 3 {
			m := append([]byte(nil), b...)
			switch rng.IntN(4) {
			case 0:
				m = m[:rng.IntN(len(m)+1)]
			default:
				m[rng.IntN(len(m))] = []byte{'"', '\\', 0xff}[rng.IntN(3)]
			}
			check(i, m, rep, nil)
			check(i, m, rep, spans)
			mutated++
		}
	}
	if early < 1000 {
		t.Fatalf("only %d cases could stop early", early)
	}
}

// TestPlainTail holds plainTail to its definition on random bytes.
func TestPlainTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for range 5000 {
		b := make([]byte, rng.IntN(40))
		for j := range b {
			b[j] = "ab\"{}:,\\\x7f\x80\xff"[rng.IntN(11)]
			if rng.IntN(3) > 0 {
				b[j] = 'a'
			}
		}
		want := len(b)
		for want > 0 && b[want-1] != '\\' && b[want-1] < 0x80 {
			want--
		}
		if got := plainTail(b); got != want {
			t.Fatalf("plainTail(%q) = %d, want %d", b, got, want)
		}
	}
}

// plainHTTPEvent returns a random decision or output event of an HTTP
// gateway in plain ASCII, with credentials (bearer tokens, JWTs, API
// keys) in headers of secret names in any case, in the query, the body,
// the command line and the output, and a replacer of some of them: the
// events whose strings redactStrings may stop reading before the end.
func plainHTTPEvent(rng *rand.Rand, r *redactor) (gate.Event, *secretReplacer) {
	word := func(n int) string {
		const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/="
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	creds := []string{"Bearer " + word(24), "eyJhbGciOiJIUzI1NiJ9." + word(12) + "." + word(20), "AKIA" + strings.ToUpper(word(16)),
		"sk_live_" + word(24), "ghp_" + word(36), word(10)}
	pick := func() string { return creds[rng.IntN(len(creds))] }
	names := []string{"Authorization", "AUTHORIZATION", "x-Api-Key", "Cookie", "X-Auth-Token", "Proxy-Authorization", "Content-Type", "Accept", "User-Agent", "X-Request-Id"}
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	e := gate.Event{SessionID: "s-" + word(6), Time: now, Identity: &gate.Identity{Subject: word(8), Groups: []string{word(5)}}}
	if rng.IntN(3) == 0 {
		data := []byte(`{"token":"` + pick() + `","items":[` + strings.Repeat(`{"id":1,"name":"`+word(8)+`"},`, rng.IntN(20)) + `{}]}`)
		e.Kind = gate.EventOutput
		e.Output = &gate.Output{DecisionID: word(26), Stream: "body", Data: data, Final: true}
	} else {
		h := map[string][]string{}
		for range rng.IntN(6) {
			h[names[rng.IntN(len(names))]] = []string{pick()}
		}
		e.Kind = gate.EventDecision
		e.Request = &gate.Request{Protocol: "http", Command: "POST /v1/" + word(5) + "?access_token=" + pick() + "&limit=10", Time: now,
			HTTP: &gate.HTTP{Method: "POST", Path: "/v1/x", Host: "api.internal", Query: map[string][]string{"q": {pick()}}, Headers: h,
				Body: map[string]any{"password": pick(), "note": word(rng.IntN(30)), "n": 2.0}}}
		if rng.IntN(3) == 0 {
			e.Request.Payload = []byte(fmt.Sprintf(`{"client_secret":%q}`, pick()))
		}
		e.Decision = &gate.Decision{ID: word(26), Action: gate.Allow, Rule: word(5), Time: now, Elapsed: 2400}
	}
	var secrets []string
	for range rng.IntN(3) {
		secrets = append(secrets, pick())
	}
	if rng.IntN(4) == 0 {
		secrets = append(secrets, "zz-absent-"+word(8))
	}
	return e, r.replacer(cleanSecrets(secrets))
}
