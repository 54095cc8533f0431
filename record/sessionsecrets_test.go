package record

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// An event of a session without secrets costs no more than it cost before
// sessions were remembered (one marshal; body leaves out the list of the
// byte fields' spans, which marshal makes), whether or not other sessions
// have secrets remembered.
func TestEventWithoutSecretsAllocs(t *testing.T) {
	r := &redactor{key: []byte("k"), names: mask.CompileSecretNames(nil)}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	out := gate.Event{Kind: gate.EventOutput, SessionID: "plain", Time: now, Output: &gate.Output{Stream: "stdout", Data: []byte("hello world\n")}}
	marshal := testing.AllocsPerRun(200, func() { _, _ = marshalEvent(&out) })
	before := testing.AllocsPerRun(200, func() { _, _ = r.body(out) })
	if _, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "other", Time: now,
		Request: &gate.Request{Command: "x", Secrets: []string{"a-long-secret-value"}}}); err != nil {
		t.Fatal(err)
	}
	after := testing.AllocsPerRun(200, func() { _, _ = r.body(out) })
	if before > marshal || after > marshal || after != before {
		t.Errorf("allocations: marshal %v, body %v before and %v after another session's secrets", marshal, before, after)
	}
}

// A session's memory is bounded: past the bound, an event that would add
// a secret is refused (its request is refused), never stored with the
// secret forgotten; the end of the session frees it.
func TestSessionSecretsBounded(t *testing.T) {
	r := &redactor{key: []byte("k")}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	dec := func(s string) error {
		_, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "s", Time: now,
			Request: &gate.Request{Command: "x", Secrets: []string{s}}})
		return err
	}
	var err error
	for i := 0; err == nil && i < maxSessionSecrets; i++ {
		err = dec("secret-number-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)))
	}
	if err == nil {
		t.Fatal("no bound on a session's secrets")
	}
	if !errors.Is(err, ErrSecretMemoryFull) || !strings.Contains(err.Error(), "end the session") {
		t.Errorf("the refusal does not say what happened and what to do: %v", err)
	}
	if _, err := r.body(gate.Event{Kind: gate.EventSessionEnd, SessionID: "s", Time: now}); err != nil {
		t.Fatal(err)
	}
	if r.sessions.get("s") != nil || r.sessions.bytes != 0 {
		t.Error("the session's secrets outlived it")
	}
	if err := dec("secret-after-the-end"); err != nil {
		t.Fatal(err)
	}
}

// The recorder's whole memory is bounded too, and its refusal says that
// sessions whose end is never recorded hold their secrets.
func TestRecorderSecretMemoryBounded(t *testing.T) {
	r := &redactor{key: []byte("k")}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var err error
	for i := 0; err == nil && i < 1000; i++ {
		secret := fmt.Sprintf("%d-%s", i, strings.Repeat("s", 64<<10))
		_, err = r.body(gate.Event{Kind: gate.EventDecision, SessionID: fmt.Sprint("s-", i), Time: now,
			Request: &gate.Request{Command: "x", Secrets: []string{secret}}})
	}
	if !errors.Is(err, ErrSecretMemoryFull) || !strings.Contains(err.Error(), "session_end") {
		t.Fatalf("no refusal that names the cause past the recorder's bound: %v", err)
	}
	if r.sessions.bytes > maxSecretBytes {
		t.Errorf("the recorder holds %d bytes of secrets, more than %d", r.sessions.bytes, maxSecretBytes)
	}
}

// TestKnownHeaderKeepsItsForms: a session sends the same credential on
// every request; from the second on, its MAC and forms come from what the
// session remembers (no HMAC, no escaping), and the record is the same as
// for the first: every form an upstream may echo is hidden. A credential
// the session knew only as itself (a listed secret, never chased) still
// gets its forms, the bare token among them, when it arrives as a header.
func TestKnownHeaderKeepsItsForms(t *testing.T) {
	const tok = "abcdefgh12345678+/="
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
	forms := []string{"Bearer " + tok, tok, url.QueryEscape("Bearer " + tok), url.PathEscape("Bearer " + tok), url.QueryEscape(tok),
		base64.StdEncoding.EncodeToString([]byte(tok))}
	decision := func(session string) gate.Event {
		return gate.Event{Kind: gate.EventDecision, SessionID: session, Request: &gate.Request{Protocol: "http", Command: "GET /x",
			HTTP: &gate.HTTP{Method: "GET", Path: "/x", Headers: map[string][]string{"authorization": {"Bearer " + tok}}}}}
	}
	echo := func(session, form string) gate.Event {
		return gate.Event{Kind: gate.EventOutput, SessionID: session, Output: &gate.Output{Stream: "body", Data: []byte(`{"seen":"` + form + `"}`)}}
	}
	var first []byte
	for i := range 3 {
		b, err := r.body(decision("s1"))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("request %d stored\n%s\nthe first\n%s", i, b, first)
		}
		for _, f := range forms {
			out, err := r.body(echo("s1", f))
			if err != nil {
				t.Fatal(err)
			}
			if err := storesNoSecret(out, []string{tok}); err != nil {
				t.Fatalf("request %d, echo of %q: %v", i, f, err)
			}
		}
	}
	// Known as itself only: listed in Secrets of an earlier request (a
	// scheme the free-text search does not know, so that only the header
	// rule gives the bare token).
	const custom = "Custom " + tok
	if _, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "s2", Request: &gate.Request{Protocol: "http", Command: "x",
		Secrets: []string{custom}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "s2", Request: &gate.Request{Protocol: "http", Command: "GET /x",
		HTTP: &gate.HTTP{Method: "GET", Path: "/x", Headers: map[string][]string{"authorization": {custom}}}}}); err != nil {
		t.Fatal(err)
	}
	out, err := r.body(echo("s2", tok))
	if err != nil {
		t.Fatal(err)
	}
	if err := storesNoSecret(out, []string{tok}); err != nil {
		t.Fatalf("the bare token of a header known only whole: %v", err)
	}
}
