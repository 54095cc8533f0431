package record_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/airlock-sdk/airlock/record"
)

// TestNoSecretLeftInRecord records requests carrying each listed kind of
// secret (JSON body fields by name at any depth, headers by pattern,
// query and form parameters, tool arguments, escaped spellings in raw
// payloads) through a real gate into a file, then greps the whole file,
// and every decoded payload, for each secret.
func TestNoSecretLeftInRecord(t *testing.T) {
	hmacKey := []byte("0123456789abcdef0123456789abcdef")
	secrets := map[string]string{}
	sec := func(kind string) string {
		v := fmt.Sprintf("S%02d-%s-zq", len(secrets), strings.ReplaceAll(kind, " ", ""))
		secrets[kind] = v
		return v
	}
	short := func(kind, v string) string { secrets[kind] = v; return v }
	bodyFields := []string{"password", "passwd", "secret", "token", "api_key", "apikey", "access_token", "refresh_token",
		"client_secret", "private_key", "authorization", "clientSecret", "X-Api-Key", "sessionId", "credentials"}
	body := map[string]any{"user": "alice", "note": "plain"}
	for _, f := range bodyFields {
		body[f] = sec("body " + f)
	}
	body["nested"] = map[string]any{"auth": map[string]any{"user": sec("nested under auth"), "pin": json.Number("4711")}, "list": []any{map[string]any{"Password": sec("in a list")}}}
	payload, _ := json.Marshal(body)
	// The raw payload spells one secret with JSON escapes: the stored
	// payload must not keep it in any spelling.
	escaped := sec("escaped in payload")
	payload = bytes.Replace(payload, []byte(`"note":"plain"`), []byte(`"note":"plain","refreshToken":"`+strings.ReplaceAll(escaped, "S", `\u0053`)+`"`), 1)
	headers := map[string][]string{
		"private-token":       {sec("header Private-Token")},
		"x-vault-token":       {sec("header X-Vault-Token")},
		"x-goog-api-key":      {sec("header X-Goog-Api-Key")},
		"x-session-id":        {sec("header X-Session-Id")},
		"cookie":              {"sid=" + sec("header Cookie")},
		"x-hub-signature":     {sec("header X-Hub-Signature")},
		"x-my-secret":         {short("short header", "~zq")},
		"accept":              {"application/json"},
		"x-amz-date":          {"20261204T000000Z"},
		"proxy-authorization": {"Basic " + sec("header Proxy-Authorization")},
	}
	qsecret, qpasswd, qkey, qsess := sec("query secret"), sec("query passwd"), sec("query key"), sec("query session_id")
	qshort := short("short query", "~x9")
	target := "/v1/items?secret=" + qsecret + "&passwd=" + strings.ReplaceAll(qpasswd, "-", "%2D") + "&key=" + qkey + "&session_id=" + qsess + "&token=" + qshort + "&page=2"
	query := map[string][]string{"secret": {qsecret}, "passwd": {qpasswd}, "key": {qkey}, "session_id": {qsess}, "token": {qshort}, "page": {"2"}}
	formPW := sec("form password")
	form := "user=alice&password=" + strings.ReplaceAll(formPW, "-", "%2d") + "&x=1"

	fs, path := openTempFile(t)
	rec := record.New(fs, record.Options{SigningKey: testKey, HMACKey: hmacKey})
	g := gate.New(gate.Config{Recorder: rec})
	ctx := context.Background()
	s := &gate.Session{Protocol: gate.ProtocolHTTP, Identity: gate.Identity{Subject: "agent"}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	var decoded any
	_ = json.Unmarshal(payload, &decoded)
	_, _ = g.Check(ctx, &gate.Request{Session: s, Protocol: gate.ProtocolHTTP, Command: "POST " + target, Payload: payload,
		HTTP: &gate.HTTP{Method: "POST", Path: "/v1/items", Query: query, Headers: headers, Body: decoded}})
	_, _ = g.Check(ctx, &gate.Request{Session: s, Protocol: gate.ProtocolHTTP, Command: "POST /login", Payload: []byte(form),
		HTTP: &gate.HTTP{Method: "POST", Path: "/login"}})
	toolPW := sec("tool argument password")
	args := map[string]any{"query": "select 1", "password": toolPW, "conn": map[string]any{"api_key": sec("tool nested api_key")}}
	argsJSON, _ := json.Marshal(args)
	_, _ = g.Check(ctx, &gate.Request{Session: s, Protocol: gate.ProtocolTool, Command: "db_query " + string(argsJSON), Payload: argsJSON,
		Tool: &gate.ToolCall{Kind: "call", Name: "db_query", Args: args}})
	envSecret := sec("ssh env AWS_SECRET_ACCESS_KEY")
	_, _ = g.Check(ctx, &gate.Request{Session: s, Protocol: gate.ProtocolSSH, Command: "env AWS_SECRET_ACCESS_KEY",
		SSH: &gate.SSH{Kind: "env", EnvName: "AWS_SECRET_ACCESS_KEY", EnvValue: envSecret}})
	if err := g.CloseSession(ctx, s, "done"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	file := bytes.Join(readLines(t, path), nil)
	var stored [][]byte // every decoded payload
	m := mustRead(t, path)
	for _, e := range m[s.ID] {
		if e.Event != nil && e.Event.Request != nil {
			stored = append(stored, e.Event.Request.Payload)
		}
	}
	if len(stored) < 3 {
		t.Fatalf("only %d requests recorded", len(stored))
	}
	for kind, v := range secrets {
		for _, hay := range append([][]byte{file}, stored...) {
			if bytes.Contains(hay, []byte(v)) {
				t.Errorf("%s (%q) found in the record", kind, v)
			}
		}
	}
	// A short number is not grepped for (digits are everywhere): its
	// field holds a MAC.
	for _, e := range m[s.ID] {
		if e.Event == nil || e.Event.Request == nil || e.Event.Request.HTTP == nil || e.Event.Request.HTTP.Body == nil {
			continue
		}
		b, _ := e.Event.Request.HTTP.Body.(map[string]any)
		pin := b["nested"].(map[string]any)["auth"].(map[string]any)["pin"]
		if p, _ := pin.(string); !strings.HasPrefix(p, record.SecretPrefix) {
			t.Errorf("pin stored as %v", pin)
		}
	}
	// Nothing ordinary was hidden, and an investigator can find a guess.
	for _, plain := range []string{"alice", "application/json", "page", "select 1", `"note":"plain"`} {
		if !bytes.Contains(bytes.Join(append([][]byte{file}, stored...), nil), []byte(plain)) {
			t.Errorf("%q missing from the record: over-redacted", plain)
		}
	}
	for _, guess := range []string{secrets["body password"], qpasswd, formPW, toolPW, "4711"} {
		h := record.AuditHash(hmacKey, guess)
		if !bytes.Contains(bytes.Join(append([][]byte{file}, stored...), nil), []byte(h)) {
			t.Errorf("audit hash of %q not found in the record", guess)
		}
	}
}

func openTempFile(t *testing.T) (*record.File, string) {
	t.Helper()
	path := t.TempDir() + "/record.jsonl"
	fs, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return fs, path
}

// The recorder resolves secret names through mask's one list.
func TestSecretNamesAreMasks(t *testing.T) {
	if &record.DefaultSecretNames[0] != &mask.SecretNames[0] || &record.SensitiveHeaders[0] != &mask.SecretHeaders[0] {
		t.Fatal("record keeps its own secret-name lists")
	}
}
