package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/record"
)

const recRules = `
rules:
  - name: reads
    when: request.command.startsWith("cat ") || request.command.startsWith("ls")
    action: allow
`

// recordTestSession records one ssh-like session through a real gate into
// sink and returns its id.
func recordTestSession(t *testing.T, sink record.Sink, priv []byte) string {
	t.Helper()
	rs, err := gate.ParseRules("r.yaml", []byte(recRules))
	if err != nil {
		t.Fatal(err)
	}
	key, err := record.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(sink, record.Options{SigningKey: key, AsyncOutput: true, CheckpointEvery: 4})
	g := gate.New(gate.Config{Rules: rs, Recorder: rec})
	ctx := context.Background()
	s := &gate.Session{Protocol: gate.ProtocolSSH, Target: "web-1", ClientAddr: "10.1.2.3:40000",
		Identity: gate.Identity{Subject: "agent-42", Name: "Deploy Bot", Kind: gate.KindAgent}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ cmd, out string }{
		{"ls /srv", "app\r\nlogs\r\n"},
		{"cat /srv/app/config", "user=app\r\npassword=[MASKED]\r\n\x1b]0;pwned\x07evil\r\n"},
		{"rm -rf /srv", ""},
		{"cat /etc/hostname", "web-1\r\n"},
	} {
		d, err := g.Check(ctx, &gate.Request{Session: s, Command: c.cmd})
		if err != nil {
			continue
		}
		code := 0
		time.Sleep(2 * time.Millisecond)
		if err := g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "stdout", Data: []byte(c.out),
			Findings: []gate.Finding{{Detector: "password", Count: 1}}, Final: true, ExitStatus: &code}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range []gate.Event{
		{Kind: gate.EventApprovalRequested, Approval: &gate.ApprovalInfo{ID: "ap-1", Rules: []string{"prod-writes"}}},
		{Kind: gate.EventApprovalReviewed, Approval: &gate.ApprovalInfo{ID: "ap-1", Reviewer: &gate.Identity{Subject: "alice"}, Approve: true, Reason: "ticket OPS-7"}},
		{Kind: gate.EventApprovalExpired, Approval: &gate.ApprovalInfo{ID: "ap-2"}},
	} {
		if err := g.RecordEvent(ctx, s, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.CloseSession(ctx, s, "client closed"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func keyFiles(t *testing.T) (privPEM []byte, pubFile string) {
	t.Helper()
	priv, pub, err := record.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	privPEM, _ = record.MarshalPrivateKey(priv)
	pubPEM, _ := record.MarshalPublicKey(pub)
	pubFile = filepath.Join(t.TempDir(), "record.pub")
	if err := os.WriteFile(pubFile, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return privPEM, pubFile
}

func fileRecord(t *testing.T) (path, id, pubFile string) {
	t.Helper()
	priv, pubFile := keyFiles(t)
	path = filepath.Join(t.TempDir(), "rec.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id = recordTestSession(t, fs, priv)
	return path, id, pubFile
}

// pgRecord records the test session into a record table in a new
// database named after name, and returns its URL, the session's id and the
// public key file.
func pgRecord(t *testing.T, name string) (dsn, id, pubFile string) {
	t.Helper()
	dsn = pgtest.Database(t, name)
	sink, err := openRecordTable(context.Background(), dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	priv, pubFile := keyFiles(t)
	id = recordTestSession(t, sink, priv)
	return dsn, id, pubFile
}

func runCmd(f func([]string, io.Writer, io.Writer) int, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := f(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVerifyCatchesTampering(t *testing.T) {
	path, _, pubFile := fileRecord(t)
	code, out, errs := runCmd(cmdVerify, path, "--key", pubFile)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if !strings.Contains(out, "verified 1 sessions") {
		t.Fatal(out)
	}
	orig, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(orig), "\n")
	tamper := func(name string, f func([]string) []string, want string) {
		t.Run(name, func(t *testing.T) {
			l := f(append([]string(nil), lines...))
			if err := os.WriteFile(path, []byte(strings.Join(l, "")), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, _ := runCmd(cmdVerify, path, "--key", pubFile)
			if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, want) {
				t.Fatalf("exit %d, output %q, want %q", code, out, want)
			}
		})
	}
	tamper("edit", func(l []string) []string {
		// Line 1 is the log's first checkpoint; line 2 the session's seq 1.
		l[4] = strings.Replace(l[4], `"agent-42"`, `"agent-43"`, 1)
		return l
	}, "(seq 3): hash mismatch")
	tamper("delete", func(l []string) []string { return append(l[:5], l[6:]...) }, "(seq 5): expected seq 4")
	tamper("reorder", func(l []string) []string { l[5], l[6] = l[6], l[5]; return l }, "reordered")
	tamper("truncate", func(l []string) []string { return l[:len(l)-4] }, "after the log's newest signed checkpoint")
	tamper("torn", func(l []string) []string {
		l[len(l)-2] = l[len(l)-2][:20]
		return l[:len(l)-1]
	}, "torn line")
	// --allow-open accepts a record that is cut off (a live session), and says so.
	if err := os.WriteFile(path, []byte(strings.Join(lines[:len(lines)-4], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(cmdVerify, path, "--key", pubFile, "--allow-open"); code != 0 || !strings.Contains(out, "UNVERIFIED session") || !strings.Contains(out, "1 unverified") {
		t.Fatalf("--allow-open: %d %s", code, out)
	}
	// The wrong key fails too.
	_, otherPub := keyFiles(t)
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(cmdVerify, path, "--key", otherPub); code != 1 || !strings.Contains(out, "bad checkpoint signature") {
		t.Fatalf("wrong key: %d %s", code, out)
	}
	if code, _, _ := runCmd(cmdVerify, path); code != 2 {
		t.Fatal("missing --key accepted")
	}
}

func TestReplayAndVerifyFromPostgres(t *testing.T) {
	ctx := context.Background()
	dsn, id, pubFile := pgRecord(t, "airlock_cli")
	if code, out, errs := runCmd(cmdVerify, dsn, "--key", pubFile); code != 0 {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	code, out, errs := runCmd(cmdReplay, dsn, "--session", id)
	if code != 0 || !strings.Contains(out, "deny       rm -rf /srv  [rule default") {
		t.Fatalf("replay: %d %s %s", code, out, errs)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DELETE FROM airlock_record WHERE seq = 6`); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(cmdVerify, dsn, "--key", pubFile); code != 1 || !strings.Contains(out, "(seq 7): expected seq 6") {
		t.Fatalf("deleted row: %d %s", code, out)
	}
}

func TestExportAsciicast(t *testing.T) {
	path, id, _ := fileRecord(t)
	out := filepath.Join(t.TempDir(), "s.cast")
	if code, _, errs := runCmd(cmdExport, path, "--format", "asciicast", "--session", id, "-o", out); code != 0 {
		t.Fatal(errs)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var hdr map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &hdr); err != nil || hdr["version"] != float64(2) {
		t.Fatalf("header %s: %v", lines[0], err)
	}
	if len(lines) != 4 {
		t.Fatalf("want 3 output events, got:\n%s", b)
	}
	var ev []any
	if err := json.Unmarshal([]byte(lines[1]), &ev); err != nil || ev[1] != "o" || ev[2] != "app\r\nlogs\r\n" {
		t.Fatalf("event %s: %v", lines[1], err)
	}
	if code, _, _ := runCmd(cmdExport, path, "--format", "gif"); code != 2 {
		t.Fatal("unknown format accepted")
	}

	// The real player accepts it.
	if _, err := exec.LookPath("asciinema"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("asciinema not installed (Debian package asciinema)")
		}
		t.Fatal("asciinema not installed (Debian package asciinema)")
	}
	// asciinema cat opens /dev/tty; script(1) gives it a pseudo-terminal.
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatal("script(1) not installed (Debian package bsdutils)")
	}
	cmd := exec.Command("script", "-qec", "asciinema cat "+out, "/dev/null")
	cmd.Stdin = nil
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	played, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("asciinema cat: %v\n%s", err, played)
	}
	for _, want := range []string{"app\r\nlogs", "password=[MASKED]", "web-1"} {
		if !bytes.Contains(played, []byte(want)) {
			t.Fatalf("asciinema output lacks %q:\n%q", want, played)
		}
	}
}
