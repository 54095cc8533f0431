package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// integrityRecord writes three sessions to a file with an anchor file
// beside it.
func integrityRecord(t *testing.T) (path, anchor, pubFile string, ids []string) {
	t.Helper()
	privPEM, pubFile := keyFiles(t)
	key, err := record.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, anchor = filepath.Join(dir, "rec.jsonl"), filepath.Join(dir, "anchor.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: key, LogCheckpointEvery: 5, Anchors: []record.Anchor{&record.FileAnchor{Path: anchor}}})
	g := gate.New(gate.Config{Recorder: rec})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		s := &gate.Session{Protocol: gate.ProtocolSSH, Identity: gate.Identity{Subject: "agent"}}
		if err := g.OpenSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		_, _ = g.Check(ctx, &gate.Request{Session: s, Command: "ls"})
		if err := g.CloseSession(ctx, s, "done"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path, anchor, pubFile, ids
}

func TestVerifyWholeSessionDeletedAndAnchoredCut(t *testing.T) {
	path, anchor, pubFile, ids := integrityRecord(t)
	if code, out, errs := runCmd(cmdVerify, path, "--key", pubFile, "--anchor", anchor); code != 0 || !strings.Contains(out, "3 proven") {
		t.Fatalf("clean record: %d %s %s", code, out, errs)
	}
	orig, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(orig), "\n")
	var kept, cut []string
	for _, l := range lines {
		if !strings.Contains(l, ids[1]) {
			kept = append(kept, l)
		}
		if strings.Contains(l, ids[2]) && len(cut) == 0 {
			cut = append([]string(nil), lines[:indexOf(lines, l)]...)
		}
	}
	// One whole session deleted.
	if err := os.WriteFile(path, []byte(strings.Join(kept, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(cmdVerify, path, "--key", pubFile, "--allow-open"); code != 1 || !strings.Contains(out, "BROKEN deleted log") {
		t.Fatalf("deleted session: %d %s", code, out)
	}
	// The last session cut off on its boundary: detected without
	// --allow-open, and with it only through the anchor.
	if err := os.WriteFile(path, []byte(strings.Join(cut, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(cmdVerify, path, "--key", pubFile); code != 1 || !strings.Contains(out, "BROKEN unverified") {
		t.Fatalf("cut: %d %s", code, out)
	}
	if code, out, _ := runCmd(cmdVerify, path, "--key", pubFile, "--allow-open", "--anchor", anchor); code != 1 || !strings.Contains(out, "BROKEN truncated") {
		t.Fatalf("cut, anchored: %d %s", code, out)
	}
}

func indexOf(lines []string, l string) int {
	for i := range lines {
		if lines[i] == l {
			return i
		}
	}
	return -1
}

func TestExportProofVerifiesAlone(t *testing.T) {
	path, _, pubFile, ids := integrityRecord(t)
	out := filepath.Join(t.TempDir(), "s.proof")
	if code, _, errs := runCmd(cmdExport, path, "--session", ids[1], "--proof", "-o", out); code != 0 {
		t.Fatal(errs)
	}
	if err := os.Remove(path); err != nil { // the auditor has the proof only
		t.Fatal(err)
	}
	if code, o, errs := runCmd(cmdVerify, "--proof", out, "--key", pubFile); code != 0 || !strings.Contains(o, "ok     session "+ids[1]) || !strings.Contains(o, "complete") {
		t.Fatalf("proof: %d %s %s", code, o, errs)
	}
	b, _ := os.ReadFile(out)
	b[len(b)/2] ^= 1
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, o, _ := runCmd(cmdVerify, "--proof", out, "--key", pubFile); code != 1 || !strings.Contains(o, "BROKEN proof") {
		t.Fatalf("altered proof: %d %s", code, o)
	}
	if code, _, _ := runCmd(cmdExport, path, "--proof"); code != 2 {
		t.Fatal("--proof without --session accepted")
	}
}

func TestAuditHashFindsAStoredSecret(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "record.hmac")
	if err := os.WriteFile(keyFile, []byte("c2VjcmV0LWhtYWMta2V5LTAxMjM0NTY3ODk=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := record.ReadHMACKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rec.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{HMACKey: key})
	g := gate.New(gate.Config{Recorder: rec})
	ctx := context.Background()
	s := &gate.Session{Protocol: gate.ProtocolHTTP, Identity: gate.Identity{Subject: "agent"}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	_, _ = g.Check(ctx, &gate.Request{Session: s, Protocol: gate.ProtocolHTTP, Command: "POST /login",
		HTTP: &gate.HTTP{Method: "POST", Path: "/login", Body: map[string]any{"password": "hunter2-correct-horse"}}})
	_ = g.CloseSession(ctx, s, "done")
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	stored, _ := os.ReadFile(path)
	var out, errb strings.Builder
	if code := cmdAuditHash([]string{"--hmac-key", keyFile}, strings.NewReader("hunter2-correct-horse\n"), &out, &errb); code != 0 {
		t.Fatal(errb.String())
	}
	h := strings.TrimSpace(out.String())
	if !strings.HasPrefix(h, record.SecretPrefix) || !strings.Contains(string(stored), h) {
		t.Fatalf("audit hash %q not in the record", h)
	}
	if strings.Contains(string(stored), "hunter2-correct-horse") {
		t.Fatal("the password is in the record")
	}
	out.Reset()
	_ = cmdAuditHash([]string{"--hmac-key", keyFile, "wrong-guess"}, nil, &out, &errb)
	if strings.Contains(string(stored), strings.TrimSpace(out.String())) {
		t.Fatal("a wrong guess matches")
	}
}

func TestVerifyReadsARecordBeforeSinkIntegrity(t *testing.T) {
	privPEM, pubFile := keyFiles(t)
	key, err := record.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: key, LogCheckpointEvery: -1})
	g := gate.New(gate.Config{Recorder: rec})
	s := &gate.Session{Protocol: gate.ProtocolSSH, Identity: gate.Identity{Subject: "agent"}}
	ctx := context.Background()
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := g.CloseSession(ctx, s, "done"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(cmdVerify, path, "--key", pubFile)
	if code != 0 || !strings.Contains(out, "legacy session "+s.ID) || !strings.Contains(out, "predate sink integrity") {
		t.Fatalf("%d %s %s", code, out, errs)
	}
}
