package record

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

func TestRedactSecretsEverywhere(t *testing.T) {
	r := &redactor{key: []byte("0123456789abcdef")}
	const pw = "Tr0ub4dor&3<x>"
	const tok = "eyJhbGciOiJFZERTQSJ9.payload.sig"
	req := &gate.Request{
		Protocol: "postgres",
		Command:  "ALTER ROLE bob PASSWORD '" + pw + "'",
		Payload:  []byte("Q\x00\x00ALTER ROLE bob PASSWORD '" + pw + "'\x00"),
		Secrets:  []string{pw, ""},
		SQL:      &gate.SQL{Statements: []gate.SQLStatement{{Kind: "ALTER", Text: "ALTER ROLE bob PASSWORD '" + pw + "'"}}},
		SSH:      &gate.SSH{Argv: []string{"--password=" + pw}},
		Tool:     &gate.ToolCall{Name: "login", Args: map[string]any{"password": pw, "list": []any{pw, 1.5}}},
		HTTP: &gate.HTTP{Method: "POST", Headers: map[string][]string{
			"authorization": {"Bearer " + tok}, "x-api-key": {"k-123456789"}, "proxy-authorization": {"Basic dXNlcjpwYXNz"},
			"accept": {"*/*"},
		}, Body: map[string]any{"echo": tok}},
	}
	b, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "s", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{pw, "Tr0ub4dor", tok, "k-123456789", "dXNlcjpwYXNz", base64.StdEncoding.EncodeToString([]byte(pw))} {
		if bytes.Contains(b, []byte(s)) {
			t.Fatalf("%q stored raw in %s", s, b)
		}
	}
	if !bytes.Contains(b, []byte(`"*/*"`)) {
		t.Fatalf("harmless header lost: %s", b)
	}
	if got := strings.Count(string(b), r.mac(pw)); got < 5 {
		t.Fatalf("password MAC appears %d times: %s", got, b)
	}
	// The caller's request is untouched.
	if !strings.Contains(req.Command, pw) || req.HTTP.Headers["authorization"][0] != "Bearer "+tok {
		t.Fatal("redaction modified the caller's request")
	}
	// A secret used as a map key cannot be replaced without changing the
	// document's shape: fail closed.
	if _, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "s", Request: &gate.Request{Command: "x", Secrets: []string{pw},
		Tool: &gate.ToolCall{Args: map[string]any{pw: 1}}}}); err == nil {
		t.Fatal("a secret used as a key was stored")
	}
	// A secret too short to hide (found in field names) fails closed.
	if _, err := r.body(gate.Event{Kind: gate.EventDecision, SessionID: "s", Request: &gate.Request{Command: "x", Secrets: []string{"o"}}}); err == nil {
		t.Fatal("a one-letter secret was stored")
	}
}
