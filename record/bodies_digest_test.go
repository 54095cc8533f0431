package record

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// httpBodiesDigest is the SHA-256 of the bodies (or errors) the redactor
// of commit fc88330, before the HTTP event's speed work, returned for
// httpSessionEvents: the work changed no byte of them.
const httpBodiesDigest = "bba182c64b49f0718ec398b61dd3d9bac2d93a3045271ccf18a90a4d8b88031d"

// TestHTTPBodiesUnchanged holds body to what the redactor before the HTTP
// event's speed work (base64 table, plainTail, nameVerdicts,
// placeholderWord) stored for sessions of plain HTTP events full of
// credentials: its digest of their bodies, byte for byte, and of the
// events it refused.
func TestHTTPBodiesUnchanged(t *testing.T) {
	got, stored, macs := httpBodiesDigestOf()
	if got != httpBodiesDigest {
		t.Fatalf("bodies digest %s, want %s", got, httpBodiesDigest)
	}
	t.Logf("%d events, %d stored, %d MACs", len(httpSessionEvents()), stored, macs)
	if stored < 500 || macs < stored {
		t.Fatalf("only %d bodies stored, %d MACs in them", stored, macs)
	}
}

// httpBodiesDigestOf returns the digest httpBodiesDigest holds, how many
// of the bodies were stored and how many MACs they hold.
func httpBodiesDigestOf() (digest string, stored, macs int) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	h := sha256.New()
	for _, e := range httpSessionEvents() {
		b, err := r.body(e)
		fmt.Fprintf(h, "%d %v\n", len(b), err)
		h.Write(b)
		if err == nil {
			stored++
			macs += strings.Count(string(b), SecretPrefix)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), stored, macs
}

// httpSessionEvents returns 300 sessions of plainHTTPEvent events, each of
// a few events with the credentials of its earlier ones (which the
// session remembers), some ended by a session_end.
func httpSessionEvents() []gate.Event {
	rng := rand.New(rand.NewPCG(19, 1))
	r := &redactor{key: []byte("k")}
	var evs []gate.Event
	for s := range 300 {
		for range 1 + rng.IntN(6) {
			e, _ := plainHTTPEvent(rng, r)
			e.SessionID = fmt.Sprintf("http-%d", s)
			evs = append(evs, e)
		}
		if rng.IntN(3) == 0 {
			evs = append(evs, gate.Event{Kind: gate.EventSessionEnd, SessionID: fmt.Sprintf("http-%d", s), Time: time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)})
		}
	}
	return evs
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
