package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

var macToken = regexp.MustCompile(`hmac-sha256:[0-9a-f]{64}`)

// referenceBody is the redactor's body as it was before the single-pass
// rewrite (marshal, decode, walk, marshal), kept verbatim so that the stored
// bytes can be compared.
func (r *redactor) referenceBody(e gate.Event) ([]byte, error) {
	var secrets []string
	var rep *strings.Replacer
	if e.Request != nil {
		req := *e.Request
		secrets = append(secrets, req.Secrets...)
		if req.HTTP != nil && len(req.HTTP.Headers) > 0 {
			h := *req.HTTP
			h.Headers = make(map[string][]string, len(req.HTTP.Headers))
			for name, vals := range req.HTTP.Headers {
				if !mask.IsSecretHeader(name) {
					h.Headers[name] = vals
					continue
				}
				red := make([]string, len(vals))
				for i, v := range vals {
					red[i] = r.mac(v)
					secrets = append(secrets, v)
					// "Bearer TOKEN": the token alone may appear elsewhere.
					if _, tok, ok := strings.Cut(v, " "); ok && len(strings.TrimSpace(tok)) >= 8 {
						secrets = append(secrets, strings.TrimSpace(tok))
					}
				}
				h.Headers[name] = red
			}
			req.HTTP = &h
		}
		secrets = cleanSecrets(secrets)
		if len(secrets) > 0 {
			rep = r.refReplacer(secrets)
			req.Command = rep.Replace(req.Command)
			if len(req.Payload) > 0 {
				req.Payload = []byte(rep.Replace(string(req.Payload)))
			}
			// Output data, base64 in the JSON, is redacted too.
			if o := e.Output; o != nil {
				c := *o
				c.Data = []byte(rep.Replace(string(o.Data)))
				e.Output = &c
			}
		}
		e.Request = &req
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("record: encode %s event: %w", e.Kind, err)
	}
	if len(secrets) == 0 {
		return b, nil
	}
	// Walk every string of the document: secrets also hide in SQL texts,
	// argv, tool arguments and decoded bodies.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("record: redact %s event: %w", e.Kind, err)
	}
	doc = refWalk(doc, rep)
	if b, err = json.Marshal(doc); err != nil {
		return nil, fmt.Errorf("record: redact %s event: %w", e.Kind, err)
	}
	// Fail closed: a secret must not be left anywhere but inside a MAC. (A
	// very short secret, found in field names, makes the event unrecordable,
	// and so its request is refused.)
	rest := macToken.ReplaceAll(b, nil)
	for _, s := range secrets {
		esc, _ := json.Marshal(s)
		if bytes.Contains(rest, []byte(s)) || bytes.Contains(rest, esc[1:len(esc)-1]) {
			return nil, errors.New("record: a secret survived redaction; refusing to store the event")
		}
	}
	return b, nil
}

// refReplacer and refWalk are the previous implementation's helpers.
func (r *redactor) refReplacer(secrets []string) *strings.Replacer {
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		m := hmac.New(sha256.New, r.key)
		m.Write([]byte(s))
		pairs = append(pairs, s, SecretPrefix+hex.EncodeToString(m.Sum(nil)))
	}
	return strings.NewReplacer(pairs...)
}

func refWalk(v any, rep *strings.Replacer) any {
	switch x := v.(type) {
	case string:
		return rep.Replace(x)
	case []any:
		for i := range x {
			x[i] = refWalk(x[i], rep)
		}
		return x
	case map[string]any:
		for k, val := range x {
			x[k] = refWalk(val, rep)
		}
		return x
	}
	return v
}

// equivCorpus returns events with secrets in commands, headers, bodies,
// payloads, SQL, argv, tool arguments and outputs, with unicode, escapes,
// HTML characters, invalid UTF-8 and secrets that need JSON escaping.
func equivCorpus() []gate.Event {
	now := time.Date(2026, 11, 29, 3, 0, 0, 123456789, time.UTC)
	secrets := []string{
		"Tr0ub4dor&3<x>", "pässwörd-🔑-秘密", "quote\"back\\slash", "tab\tnew\nline\r", "\u2028sep\u2029",
		"ctl\x01\x1f\x7f", "bad\xffutf8\xc3", "s3cr3t-P@ss", "abc", "<script>&amp;",
	}
	var evs []gate.Event
	for i, pw := range secrets {
		tok := "tok-" + pw + "-0123456789"
		req := &gate.Request{
			Protocol: "postgres",
			Command:  fmt.Sprintf("ALTER ROLE bob%d PASSWORD '%s' -- é \u00e9 \\ \" <>&", i, pw),
			Payload:  []byte("Q\x00\x00PASSWORD '" + pw + "'\x00"),
			Secrets:  []string{pw, "", pw},
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "ALTER", Text: "ALTER ROLE bob PASSWORD '" + pw + "'",
				Tables: []gate.SQLTable{{Schema: "pg_catalog", Name: "pg_authid", Access: "write"}}}}},
			SSH:  &gate.SSH{Argv: []string{"mysql", "--password=" + pw, "日本語", "\x00nul"}, Command: "echo " + pw},
			Tool: &gate.ToolCall{Name: "login", Args: map[string]any{"password": pw, "list": []any{pw, 1.5, 1e21, nil, true, map[string]any{}}, "z": []any{}, "a": map[string]any{"nested": "x" + pw + "y", "n": json.Number("12345678901234567890")}}},
			HTTP: &gate.HTTP{Method: "POST", Path: "/login/" + pw, Query: map[string][]string{"q": {pw, "ok"}}, Headers: map[string][]string{
				"Authorization": {"Bearer " + tok}, "x-api-key": {"k-123456789"}, "Cookie": {"a=b; sid=" + pw},
				"accept": {"*/*"}, "X-Echo": {tok},
			}, Body: map[string]any{"echo": tok, "pw": pw, "emoji": "😀", "html": "<a href=\"x\">&</a>"}},
		}
		evs = append(evs,
			gate.Event{Kind: gate.EventRequest, SessionID: "s\u2028" + fmt.Sprint(i), Time: now, Request: req,
				Identity: &gate.Identity{Subject: "alice@example.com", Name: "Alice Ünïcode", Groups: []string{"dba", "<admins>"}}},
			gate.Event{Kind: gate.EventDecision, SessionID: "s", Time: now, Request: &gate.Request{Command: "x " + pw + " y", Secrets: []string{pw}},
				Decision: &gate.Decision{ID: "d-1", Reason: "contains " + pw}},
			gate.Event{Kind: gate.EventOutput, SessionID: "s", Time: now, Request: &gate.Request{Command: "cat", Secrets: []string{pw}},
				Output: &gate.Output{Stream: "stdout", Data: []byte("out " + pw + " end\n")}},
			gate.Event{Kind: gate.EventError, SessionID: "s", Time: now, Error: "failed with " + pw, Request: &gate.Request{Secrets: []string{pw}}},
		)
	}
	// No secrets at all, and secret headers only.
	evs = append(evs,
		gate.Event{Kind: gate.EventDecision, SessionID: "plain", Time: now, Request: &gate.Request{Protocol: "postgres", Command: "SELECT 1 -- <é>",
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: "SELECT 1", ReadOnly: true}}}}},
		gate.Event{Kind: gate.EventOutput, SessionID: "plain", Time: now, Output: &gate.Output{Stream: "stdout", Data: []byte("a\x00b\xff")}},
		gate.Event{Kind: gate.EventSessionStart, SessionID: "plain", Time: now, Session: &gate.SessionInfo{Protocol: "ssh", Target: "db-1"}},
	)
	// Secrets found in field names: the event is refused.
	evs = append(evs,
		gate.Event{Kind: gate.EventDecision, SessionID: "s", Time: now, Request: &gate.Request{Command: "x o y", Secrets: []string{"o"}}},
		gate.Event{Kind: gate.EventDecision, SessionID: "s", Time: now, Request: &gate.Request{Command: "kind", Secrets: []string{"kind"}}},
		gate.Event{Kind: gate.EventDecision, SessionID: "s", Time: now, Request: &gate.Request{Command: "q", Secrets: []string{"session_id"},
			Tool: &gate.ToolCall{Args: map[string]any{"session_id": 1}}}},
	)
	for _, e := range benchEvents() {
		evs = append(evs, e)
	}
	return evs
}

// TestRedactBodyMatchesReference is the equivalence test: the single-pass
// redactor stores, byte for byte, what the previous implementation stored,
// and refuses exactly the events it refused.
func TestRedactBodyMatchesReference(t *testing.T) {
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef")}
	evs := equivCorpus()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		evs = append(evs, randomEvent(rng))
	}
	refused, fast, hidesMore := 0, 0, 0
	for i, e := range evs {
		if b, err := json.Marshal(e); err == nil {
			if _, err := redactJSON(nil, b, &secretReplacer{}); err == nil {
				fast++
			}
		}
		want, werr := r.referenceBody(e)
		r.sessions.forget(e.SessionID) // the reference remembers nothing
		got, gerr := r.body(e)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("event %d: reference err %v, new err %v", i, werr, gerr)
		}
		if werr != nil {
			refused++
			continue
		}
		if same, overlap := redactedAlike(want, got); !same && !overlap {
			// The reference did not search the event as it came for
			// free-text credentials (only the replaced form): where that
			// search finds more, the new form hides more, never less.
			if extra := originalFreeText(r, e); len(extra) > 0 {
				for _, v := range extra {
					if bytes.Contains(got, []byte(v)) {
						t.Fatalf("event %d: free-text credential %q stored:\n%s", i, v, got)
					}
				}
				hidesMore++
				continue
			}
			t.Fatalf("event %d differs:\nreference %s\nnew       %s", i, want, got)
		}
	}
	if hidesMore > len(evs)/20 {
		t.Errorf("%d of %d events differ from the reference by free-text hiding", hidesMore, len(evs))
	}
	t.Logf("%d events, %d refused by both, %d on the single-pass path", len(evs), refused, fast)
	if fast < len(evs)*9/10 {
		t.Errorf("only %d of %d events take the single-pass path", fast, len(evs))
	}
	if refused == 0 || refused == len(evs) {
		t.Fatal("every event was refused")
	}
}

const randAlphabet = "abcXYZ019 _-\"\\/<>&\t\n\x00\x7f\u00e9\u2028\u2029😀\xff"

func randString(rng *rand.Rand, n int) string {
	var b strings.Builder
	rs := []rune(randAlphabet)
	for range rng.IntN(n + 1) {
		if rng.IntN(20) == 0 {
			b.WriteByte(0xff)
			continue
		}
		b.WriteRune(rs[rng.IntN(len(rs))])
	}
	return b.String()
}

func randomEvent(rng *rand.Rand) gate.Event {
	pw := randString(rng, 12)
	if len(pw) < 4 {
		pw += "-secret"
	}
	mix := func() string { return randString(rng, 6) + pw + randString(rng, 6) }
	args := map[string]any{}
	for range rng.IntN(5) {
		args[randString(rng, 4)] = []any{mix(), rng.Float64(), map[string]any{randString(rng, 3): mix()}}
	}
	return gate.Event{Kind: gate.EventDecision, SessionID: randString(rng, 8), Time: time.Unix(rng.Int64N(1<<31), rng.Int64N(1e9)).UTC(),
		Request: &gate.Request{Command: mix(), Payload: []byte(mix()), Secrets: []string{pw},
			Tool: &gate.ToolCall{Name: randString(rng, 5), Args: args},
			HTTP: &gate.HTTP{Method: "GET", Path: mix(), Headers: map[string][]string{"authorization": {"Basic " + mix()}, randString(rng, 5): {mix()}}}},
		Decision: &gate.Decision{ID: randString(rng, 4), Reason: mix()}}
}

func TestStripMACsMatchesRegexp(t *testing.T) {
	mac := SecretPrefix + strings.Repeat("0a", 32)
	for _, s := range []string{"", mac, "x" + mac + "y", SecretPrefix, SecretPrefix + mac, mac[:len(mac)-1], mac + mac,
		strings.ToUpper(mac), "hmac-sha256:hmac-sha256:" + strings.Repeat("f", 64), "se" + mac + "cret"} {
		if got, want := stripMACs(nil, []byte(s)), macToken.ReplaceAll([]byte(s), nil); !bytes.Equal(got, want) {
			t.Errorf("%q: got %q want %q", s, got, want)
		}
	}
}

// FuzzRedactBody checks the single-pass redactor against the reference on
// arbitrary secrets and texts.
func FuzzRedactBody(f *testing.F) {
	f.Add("pw<&>\"", "SELECT 'pw<&>\"'", "Bearer 0123456789")
	f.Add("\u2028\xff", "x\u2028\xffy", "")
	r := &redactor{key: []byte("k")}
	f.Fuzz(func(t *testing.T, secret, text, auth string) {
		e := gate.Event{Kind: gate.EventRequest, SessionID: text, Request: &gate.Request{Command: text, Secrets: []string{secret},
			Tool: &gate.ToolCall{Args: map[string]any{text: []any{text, secret}}},
			HTTP: &gate.HTTP{Headers: map[string][]string{"authorization": {auth}, "x": {text}}}}}
		r.sessions.forget(e.SessionID)       // each input on its own, and the
		defer r.sessions.forget(e.SessionID) // memory bound never reached
		want, werr := r.referenceBody(e)
		r.sessions.forget(e.SessionID) // the reference remembers nothing
		got, gerr := r.body(e)
		if len(secret) < 4 || len(auth) < 4 {
			// A secret of a few bytes is replaced inside the MACs of the
			// others too, in an order each redaction has its own reasons
			// for: both garble, neither stores it (survives checks).
			return
		}
		switch {
		case werr != nil && gerr != nil:
		case werr == nil && errors.Is(gerr, errSecretSurvived) && escapedForms(secret, auth):
			// The reference wrote every string again: a form of a secret
			// holding a quote, a backslash or bytes that are not UTF-8 can
			// meet the JSON around a string body keeps as marshalled (an
			// escape it keeps, "\ufffd"); body refuses the event.
		case werr != nil || gerr != nil:
			t.Fatalf("reference %q %v, new %q %v", want, werr, got, gerr)
		default:
			if same, hidesMore := redactedAlike(want, got); !same && !hidesMore {
				t.Fatalf("reference %q, new %q", want, got)
			}
		}
	})
}

// The single-pass redactor gives the generic path's bytes on random events
// of every shape (see eventGen), with secrets taken from the event itself.
func TestRedactJSONMatchesGenericOnRandomEvents(t *testing.T) {
	r := &redactor{key: []byte("k")}
	g := &eventGen{r: rand.New(rand.NewPCG(4, 19))}
	single := 0
	for i := 0; i < 3000; i++ {
		e, b, rep, ok := g.eventWithSecrets(r)
		if !ok {
			continue
		}
		got, err := redactJSON(nil, b, rep)
		if err != nil {
			continue // body takes the generic path
		}
		single++
		want, err := r.redactGeneric(e, b, rep)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("event %d:\nsingle-pass %s\ngeneric     %s (%v)", i, got, want, err)
		}
	}
	if single < 1000 {
		t.Fatalf("only %d events took the single pass", single)
	}
}

// originalFreeText is what the free-text search finds in e as it came,
// before any named secret is replaced.
func originalFreeText(r *redactor, e gate.Event) []string {
	b, err := marshalEvent(&e)
	if err != nil {
		return nil
	}
	return r.freeTextSecrets(&e, b, byteFieldSpans(&e, b))
}

// escapedForms reports whether one of secrets holds a quote, a backslash
// or bytes that are not valid UTF-8.
func escapedForms(secrets ...string) bool {
	for _, s := range secrets {
		if strings.ContainsAny(s, "\"\\") || !utf8.ValidString(s) {
			return true
		}
	}
	return false
}
