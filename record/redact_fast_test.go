package record

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// httpGen generates the HTTP gateway's events for the oracle of the
// decision's fast paths: credential headers in every spelling the package
// knows (and near misses), several values per header, cookies, PEM
// blocks, values that are MACs already or nearly, invalid UTF-8, huge and
// empty values, named query parameters and body fields, and outputs that
// echo what the session sent.
type httpGen struct {
	textGen
	sent map[string][]string // per session, the values it sent
}

// headerName returns a header name: one of SensitiveHeaders, a secret
// name in a header's spelling, or an ordinary one, in random case.
func (g *httpGen) headerName() string {
	switch g.rng.IntN(4) {
	case 0:
		return g.randCase(mask.SecretHeaders[g.rng.IntN(len(mask.SecretHeaders))])
	case 1:
		return g.randCase(g.pick("x-session-id", "x-my-secret", "x-client-token", "private-key", "x-passcode", "sig", "pin",
			"x-credential", "x-authenticated-user", "xauth-user", "x-apikey", "x-pwd-hint", "monkey", "otp", "dsn"))
	case 2:
		return g.name()
	}
	return g.randCase(g.pick("user-agent", "accept", "content-type", "x-request-id", "host", "x-forwarded-for", "keyboard", "passing", "x-auth-level"))
}

// value returns a header, parameter or field value.
func (g *httpGen) value(session string) string {
	switch g.rng.IntN(14) {
	case 0:
		return ""
	case 1:
		return g.pick("Bearer ", "Basic ", "Token ", "") + g.token()
	case 2:
		return "-----BEGIN " + g.pick("RSA ", "EC ", "OPENSSH ", "") + "PRIVATE KEY-----\n" + g.chars(alnum+"+/", 64) + "\n-----END PRIVATE KEY-----"
	case 3: // a MAC, or nearly one
		mac := AuditHash([]byte("k"), g.secret())
		switch g.rng.IntN(3) {
		case 0:
			return strings.ToUpper(mac)
		case 1:
			return mac[:len(mac)-1-g.rng.IntN(4)]
		}
		return mac
	case 4:
		return "caf\xc3\xa9 \xff\xfe " + g.secret() + " \xc3"
	case 5:
		if g.rng.IntN(40) == 0 {
			return strings.Repeat(g.pick("a", "Bearer tok ", "x=1;"), 1000+g.rng.IntN(6000))
		}
		return strings.Repeat("b", g.rng.IntN(600))
	case 6:
		return g.pick("sid=", "session=", "theme=dark; sid=") + g.chars(alnum, 8+g.rng.IntN(24)) + g.pick("", "; Path=/; HttpOnly", "; csrftoken="+g.secret())
	case 7, 8:
		if prev := g.sent[session]; len(prev) > 0 {
			return prev[g.rng.IntN(len(prev))] // the session's own, again
		}
	case 9:
		return g.text()
	case 10:
		return g.chars(alnum, g.rng.IntN(8)) // short
	}
	return g.pick("Bearer ", "") + g.secret()
}

// event returns the next event of a random session of a few.
func (g *httpGen) event(i int) gate.Event {
	session := fmt.Sprintf("h-%d", g.rng.IntN(10))
	now := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	switch g.rng.IntN(8) {
	case 0: // an output echoing what the session sent, or not
		var data []byte
		if prev := g.sent[session]; len(prev) > 0 && g.rng.IntN(2) == 0 {
			data = []byte(`{"echo":"` + prev[g.rng.IntN(len(prev))] + `","n":1}`)
		} else {
			data = []byte(g.pick("", "ok", "\xff\xfe", g.text()))
		}
		return gate.Event{Kind: gate.EventOutput, SessionID: session, Time: now,
			Output: &gate.Output{DecisionID: fmt.Sprint(i), Stream: "body", Data: data, Final: true}}
	case 1, 2:
		if g.rng.IntN(4) > 0 {
			delete(g.sent, session)
			return gate.Event{Kind: gate.EventSessionEnd, SessionID: session, Time: now, Session: &gate.SessionInfo{Protocol: "http", Reason: "done"}}
		}
	}
	headers := map[string][]string{}
	for range g.rng.IntN(5) {
		var vals []string
		for range g.rng.IntN(3) {
			v := g.value(session)
			vals = append(vals, v)
			if len(v) < 200 {
				g.sent[session] = append(g.sent[session], v)
			}
		}
		if vals == nil && g.rng.IntN(2) == 0 {
			vals = []string{}
		}
		headers[g.headerName()] = vals
	}
	var query map[string][]string
	cmd := "GET /v1/items"
	if g.rng.IntN(2) == 0 {
		query = map[string][]string{}
		var parts []string
		for range 1 + g.rng.IntN(3) {
			n, v := g.name(), g.value(session)
			query[n] = append(query[n], v)
			parts = append(parts, n+"="+v)
		}
		cmd += "?" + strings.Join(parts, "&")
	}
	var body any
	if g.rng.IntN(2) == 0 {
		body = map[string]any{g.name(): g.value(session), "note": g.value(session), "items": []any{map[string]any{g.name(): g.value(session), "qty": 2.0}}}
	}
	var payload []byte
	if g.rng.IntN(4) == 0 {
		payload = []byte(g.name() + "=" + g.value(session) + "&a=b")
	}
	var secrets []string
	if g.rng.IntN(5) == 0 {
		secrets = []string{g.value(session)}
	}
	return gate.Event{Kind: gate.EventDecision, SessionID: session, Time: now,
		Identity: &gate.Identity{Subject: "agent-7", Kind: gate.KindAgent},
		Request: &gate.Request{Protocol: "http", Command: cmd, Time: now, Payload: payload, Secrets: secrets,
			HTTP: &gate.HTTP{Method: "GET", Path: "/v1/items", Host: "api.internal", Headers: headers, Query: query, Body: body}},
		Decision: &gate.Decision{ID: fmt.Sprint(i), Action: gate.Allow, Rule: "r", Time: now}}
}

// The HTTP decision's fast paths (one slab of small slices, one has-check
// of the session's secrets, the MAC search that goes on, the hex test
// eight bytes at a time) store every event byte for byte as the code they
// replaced (redact_fast_old_test.go) and refuse the same ones: on
// generated HTTP sessions, the golden corpus and the body oracle's
// events, each through a redactor of its own.
func TestFastBodyMatchesOld(t *testing.T) {
	newRedactor := func() *redactor {
		return &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	}
	fast, old := newRedactor(), newRedactor()
	g := &httpGen{textGen: textGen{rng: rand.New(rand.NewPCG(7, 19))}, sent: map[string][]string{}}
	var evs []gate.Event
	for i := range 1000 {
		evs = append(evs, g.event(i))
	}
	evs = append(evs, goldenEvents()[:300]...)
	evs = append(evs, bodyOracleEvents()[:200]...)
	refused, redacted := 0, 0
	for i, e := range evs {
		got, gotErr := fast.body(e)
		want, wantErr := old.bodyOld(e)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) {
			t.Fatalf("event %d (%s): fast %q, %v\nold %q, %v", i, e.Kind, got, gotErr, want, wantErr)
		}
		if gotErr != nil {
			refused++
		} else if bytes.Contains(got, []byte(SecretPrefix)) {
			redacted++
		}
	}
	if refused == 0 || redacted < 300 {
		t.Fatalf("the corpus exercises too little: %d refused, %d redacted", refused, redacted)
	}
	t.Logf("%d events, %d refused, %d with MACs", len(evs), refused, redacted)
}

// isLowerHex, eight bytes at a time, says what the byte loop says: for
// every byte value at every place of texts of every length to 24, and on
// random texts of hex digits with a byte changed.
func TestIsLowerHexMatchesLoop(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for at := 0; at < n; at++ {
			for c := range 256 {
				b := bytes.Repeat([]byte("0a9f"), 6)[:n]
				b[at] = byte(c)
				if got, want := isLowerHex(b), isLowerHexOld(b); got != want {
					t.Fatalf("%q: %v, the loop %v", b, got, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 20000 {
		b := []byte(fmt.Sprintf("%064x", rng.Uint64()))[:rng.IntN(65)]
		if len(b) > 0 && rng.IntN(2) == 0 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		if got, want := isLowerHex(b), isLowerHexOld(b); got != want {
			t.Fatalf("%q: %v, the loop %v", b, got, want)
		}
	}
}

// secretSurvives, its search for a MAC going on where it found the first,
// says what it said: on texts of MACs, near MACs, cut prefixes and
// secrets, the secrets straddling a MAC cut out.
func TestSecretSurvivesMatchesOld(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	mac := AuditHash([]byte("k"), "x")
	pieces := []string{mac, mac[:len(mac)-3], strings.ToUpper(mac), SecretPrefix, "hmac-sha256", "sec", "ret", "secret", "s3cr3t-value", "\"", "\\", "\xff", " ", "a"}
	rep := newSecretReplacer(cleanSecrets([]string{"secret", "s3cr3t-value", "ab"}))
	for range 50000 {
		var b []byte
		for range rng.IntN(8) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		if got, want := secretSurvives(b, rep), secretSurvivesOld(b, rep); got != want {
			t.Fatalf("%q: %v, before %v", b, got, want)
		}
		if got, want := stripMACs(nil, b), stripMACsOld(nil, b); !bytes.Equal(got, want) {
			t.Fatalf("%q: stripped %q, before %q", b, got, want)
		}
	}
}
