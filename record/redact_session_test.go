package record_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// storedText records evs through a Recorder onto a File sink on disk,
// reads the file back, checks that every session verifies, and returns
// every string the record holds: the file as it is, every string of every
// body decoded, and the decoded bytes of every request payload and output.
func storedText(t *testing.T, evs []gate.Event) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "record.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: testKey, HMACKey: []byte("test hmac key")})
	ctx := context.Background()
	for _, e := range evs {
		if err := rec.Record(ctx, e); err != nil {
			t.Fatalf("record %s %+v: %v", e.Kind, e.Request, err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.Write(raw)
	for id, ses := range mustRead(t, path) {
		if err := record.Verify(ses, testPub); err != nil {
			t.Fatalf("session %s does not verify: %v", id, err)
		}
		for _, e := range ses {
			appendStrings(&b, e.Body)
			if ev := e.Event; ev != nil && ev.Output != nil {
				b.WriteString("\n")
				b.Write(ev.Output.Data)
			}
			if ev := e.Event; ev != nil && ev.Request != nil {
				b.WriteString("\n")
				b.Write(ev.Request.Payload)
			}
		}
	}
	return b.String()
}

// appendStrings writes every string of the JSON document doc to b.
func appendStrings(b *strings.Builder, doc []byte) {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString("\n" + x)
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			for k, y := range x {
				b.WriteString("\n" + k)
				walk(y)
			}
		}
	}
	walk(v)
}

// secretForms are the spellings of s a reader of the record could undo.
func secretForms(s string) []string {
	esc, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s), string(esc[1 : len(esc)-1]),
		base64.RawStdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
}

// assertNoSecret fails when a form of a secret is in text.
func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if strings.Contains(text, f) {
				t.Errorf("the record holds secret %q as %q", s, f)
			}
		}
	}
}

const secretAlphabet = "abcdefghijkXYZ0123456789-_.~+/=\"\\ <&>%é"

func randSecret(rng *rand.Rand, prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for range 10 + rng.IntN(8) {
		rs := []rune(secretAlphabet)
		b.WriteRune(rs[rng.IntN(len(rs))])
	}
	b.WriteString("z") // header values do not end in a space
	return b.String()
}

// echoed is how an upstream may echo a request's secret in its answer.
func echoed(rng *rand.Rand, s string) string {
	f := secretForms(s)
	return f[rng.IntN(len(f))]
}

// TestRecordedEventsHoldNoRequestSecretOfTheirSession is the generator
// test of a request's secrets coming back later in the same session: in
// output data (stored in base64), error events and approval steps, raw,
// percent-encoded, JSON-escaped or in base64.
func TestRecordedEventsHoldNoRequestSecretOfTheirSession(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 13))
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for trial := range 40 {
		sid := fmt.Sprintf("s-%d", trial)
		query, form, cookie, bearer := randSecret(rng, "q"), randSecret(rng, "f"), randSecret(rng, "c"), randSecret(rng, "b")
		user, pass, listed := "agent", randSecret(rng, "p"), randSecret(rng, "l")
		secrets := []string{query, form, cookie, bearer, pass, listed, user + ":" + pass}
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		evs := []gate.Event{{Kind: gate.EventSessionStart, SessionID: sid, Time: now, Session: &gate.SessionInfo{Protocol: "http", Start: now}}}
		evs = append(evs, gate.Event{Kind: gate.EventDecision, SessionID: sid, Time: now,
			Decision: &gate.Decision{ID: "d-1", Action: gate.Allow, Rule: "r"},
			Request: &gate.Request{Protocol: "http", Command: "POST /echo?access_token=" + url.QueryEscape(query),
				Payload: []byte("password=" + url.QueryEscape(form)), Secrets: []string{listed},
				HTTP: &gate.HTTP{Method: "POST", Path: "/echo", Query: map[string][]string{"access_token": {query}},
					Headers: map[string][]string{"Cookie": {"session=" + cookie}, "Authorization": {"Bearer " + bearer},
						"Proxy-Authorization": {"Basic " + basic}}}}})
		for i, s := range secrets {
			keep := fmt.Sprintf("keep-%d-%d", trial, i)
			evs = append(evs,
				gate.Event{Kind: gate.EventOutput, SessionID: sid, Time: now,
					Output: &gate.Output{DecisionID: "d-1", Stream: "body", Data: []byte(keep + " " + echoed(rng, s) + " end")}},
				gate.Event{Kind: gate.EventError, SessionID: sid, Time: now, Error: keep + ": upstream said " + echoed(rng, s)},
				gate.Event{Kind: gate.EventApprovalDenied, SessionID: sid, Time: now,
					Approval: &gate.ApprovalInfo{ID: "a-1", DecisionID: "d-1", Reason: keep + " saw " + echoed(rng, s)}})
		}
		evs = append(evs, gate.Event{Kind: gate.EventSessionEnd, SessionID: sid, Time: now, Session: &gate.SessionInfo{Protocol: "http", Start: now}})
		text := storedText(t, evs)
		assertNoSecret(t, text, secrets...)
		for i := range secrets {
			if keep := fmt.Sprintf("keep-%d-%d", trial, i); strings.Count(text, keep) < 3 {
				t.Errorf("non-secret text %q lost", keep)
			}
		}
		if t.Failed() {
			t.Fatalf("trial %d", trial)
		}
	}
}

// A session's secrets are its own: another session's output is stored as
// it is, and a session's memory ends with it.
func TestRequestSecretsRememberedPerSession(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	const tok = "tok-only-of-s1-0001"
	req := &gate.Request{Protocol: "http", Command: "GET /", HTTP: &gate.HTTP{Method: "GET", Path: "/",
		Headers: map[string][]string{"Authorization": {"Bearer " + tok}}}}
	text := storedText(t, []gate.Event{
		{Kind: gate.EventDecision, SessionID: "s1", Time: now, Request: req, Decision: &gate.Decision{ID: "d"}},
		{Kind: gate.EventOutput, SessionID: "s2", Time: now, Output: &gate.Output{Data: []byte("s2 says " + tok)}},
		{Kind: gate.EventSessionEnd, SessionID: "s1", Time: now},
		{Kind: gate.EventSessionEnd, SessionID: "s2", Time: now},
	})
	if !strings.Contains(text, "s2 says "+tok) {
		t.Errorf("another session's output was changed")
	}
}
