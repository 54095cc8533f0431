package record_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// testKey is fixed, so that subprocesses sign with the same key.
var testKey, testPub = func() (ed25519.PrivateKey, ed25519.PublicKey) {
	seed := sha256.Sum256([]byte("airlock record test key"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv, priv.Public().(ed25519.PublicKey)
}()

const testRules = `

rules:
  - name: reads
    when: request.command.startsWith("cat ")
    action: allow
`

// recordSession drives a real gate through one ssh-like session with n
// commands, each with an output, and returns the session id.
func recordSession(t testing.TB, rec gate.Recorder, n int) string {
	t.Helper()
	rs, err := gate.ParseRules("test.yaml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Recorder: rec})
	ctx := context.Background()
	s := &gate.Session{Protocol: gate.ProtocolSSH, Target: "db1", ClientAddr: "10.0.0.7:5555",
		Identity: gate.Identity{Subject: "agent-7", Name: "Agent Seven", Kind: gate.KindAgent}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		cmd := fmt.Sprintf("cat /etc/file%d", i)
		if i%3 == 2 {
			cmd = fmt.Sprintf("rm -rf /data%d", i)
		}
		d, err := g.Check(ctx, &gate.Request{Session: s, Command: cmd})
		if err != nil {
			continue
		}
		code := 0
		if err := g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "stdout", Data: []byte(fmt.Sprintf("line %d\r\n", i)), Final: true, ExitStatus: &code}); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.CloseSession(ctx, s, "client closed"); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// recordSessions records sessions of commands commands each, and returns
// their ids.
func recordSessions(t testing.TB, rec gate.Recorder, sessions, commands int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < sessions; i++ {
		ids = append(ids, recordSession(t, rec, commands))
	}
	return ids
}

// writeFileRecord records sessions to a fresh file and returns its path.
func writeFileRecord(t testing.TB, sessions, commands int, fopts record.FileOptions, ropts record.Options) (string, []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "record.jsonl")
	fs, err := record.OpenFile(path, fopts)
	if err != nil {
		t.Fatal(err)
	}
	if ropts.SigningKey == nil {
		ropts.SigningKey = testKey
	}
	rec := record.New(fs, ropts)
	ids := recordSessions(t, rec, sessions, commands)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path, ids
}

// readVerified reads session id from r and fails unless it verifies
// against testPub.
func readVerified(t testing.TB, r record.Reader, id string) []record.Event {
	t.Helper()
	evs, err := record.ReadSession(context.Background(), r, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := record.Verify(evs, testPub); err != nil {
		t.Fatal(err)
	}
	return evs
}

// appendSession reopens the file record at path, records a session of n
// commands in it and closes it again; it returns the session's id.
func appendSession(t testing.TB, path string, n int) string {
	t.Helper()
	fs, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: testKey})
	id := recordSession(t, rec, n)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return id
}

// storedOutputs lists the outputs among evs by the id their data starts
// with ("id:...").
func storedOutputs(evs []record.Event) map[string]bool {
	stored := map[string]bool{}
	for _, e := range evs {
		if e.Event != nil && e.Event.Output != nil {
			id, _, _ := strings.Cut(string(e.Event.Output.Data), ":")
			stored[id] = true
		}
	}
	return stored
}

// checkUntilAllowed repeats a Check of cmd until the gate allows it (as
// it does once the record heals), failing after five seconds.
func checkUntilAllowed(t testing.TB, g *gate.Gate, s *gate.Session, cmd string) *gate.Decision {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := g.Check(context.Background(), &gate.Request{Session: s, Command: cmd})
		if err == nil {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gate still refuses %q after the record healed: %v", cmd, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustRead(t testing.TB, path string) map[string][]record.Event {
	t.Helper()
	m, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i < len(b) {
			i++
		}
		lines = append(lines, b[:i])
		b = b[i:]
	}
	return lines
}

func writeLines(t testing.TB, path string, lines [][]byte) {
	t.Helper()
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

var _ = time.Second

// recordSecretSession records requests carrying a password, a bearer token
// and a cookie.
func recordSecretSession(t testing.TB, rec gate.Recorder) string {
	t.Helper()
	g := gate.New(gate.Config{Recorder: rec})
	ctx := context.Background()
	s := &gate.Session{Protocol: gate.ProtocolPostgres, Identity: gate.Identity{Subject: "agent-1"}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	sql := "ALTER ROLE bob PASSWORD 's3cr3t-pa55w0rd'"
	_, _ = g.Check(ctx, &gate.Request{Session: s, Protocol: gate.ProtocolPostgres, Command: sql, Payload: []byte("Q\x00" + sql),
		Secrets: []string{"s3cr3t-pa55w0rd"},
		SQL:     &gate.SQL{Statements: []gate.SQLStatement{{Kind: "ALTER", Text: sql}}}})
	_, _ = g.Check(ctx, &gate.Request{Session: s, Protocol: gate.ProtocolHTTP, Command: "GET /v1/me",
		HTTP: &gate.HTTP{Method: "GET", Path: "/v1/me", Headers: map[string][]string{
			"authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.tok"},
			"cookie":        {"sessionid=abcdef123456"},
			"accept":        {"application/json"},
		}, Body: map[string]any{"echo": "eyJhbGciOiJIUzI1NiJ9.tok"}}})
	if err := g.CloseSession(ctx, s, "done"); err != nil {
		t.Fatal(err)
	}
	return s.ID
}
