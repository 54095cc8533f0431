package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// sgr matches the colour sequences replay itself writes.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// assertInert fails if out holds a control character other than a newline
// once replay's own colour sequences are taken out: recorded text must never
// reach the terminal raw.
func assertInert(t *testing.T, out string) {
	t.Helper()
	plain := sgr.ReplaceAllString(out, "")
	for i, r := range plain {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("raw control character %U at %d:\n%q", r, i, plain)
		}
	}
}

func TestReplayCompact(t *testing.T) {
	lg := newLiveGate(t, record.FileOptions{})
	s := lg.standardSession()
	lg.rec.Close()
	var out, errb ttyBuffer
	if code := replayCtx(context.Background(), &out, &errb, lg.path, "--session", s.ID); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	for _, want := range []string{
		"session " + s.ID,
		"start      ssh agent-42 (Deploy Bot) [agent] -> web-1 from 10.1.2.3:40000",
		"allow      ls /srv  [rule reads] [mask email]",
		"stdout     | app⏎logs  [exit 0]",
		`stdout     | user=app⏎email=[MASKED]⏎\u001b]0;pwned\u0007evil\u001b[2J  [masked email x1] [exit 0]`,
		"deny       rm -rf /srv  [rule default",
		"hold       deploy v2  [rule prod-writes: deploys need a second pair of eyes]",
		"approval   requested id ",
		"vote       reviewed id ",
		"reviewer alice (Alice) APPROVED: ticket OPS-7",
		"reviewer alice (Alice) REJECTED: not on a Friday",
		"approval   approved id ",
		"allow      (after review ",
		"deny       (after review ",
		"stdout     | deployed  [exit 0]",
		"end        client closed (requests 5, denied 2)",
		"checkpoint final, over seq ",
		"+    0.000s",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatal(got)
	}
	// One line per event: no intermediate checkpoints, no detail lines.
	if strings.Contains(got, "checkpoint over seq") || strings.Contains(got, "decision.") {
		t.Fatalf("compact view shows detail:\n%s", got)
	}
	if strings.Contains(got, "\x1b") {
		t.Fatalf("colour without a terminal:\n%q", got)
	}
	assertInert(t, got)

	// --speed plays back in (accelerated) real time.
	start := time.Now()
	if code := replayCtx(context.Background(), &ttyBuffer{}, &errb, "--speed", "1000", lg.path); code != 0 {
		t.Fatal(errb.String())
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("--speed 1000 too slow")
	}
	// Ctrl-C (a cancelled context) stops a slow playback.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if code := replayCtx(ctx, &ttyBuffer{}, &ttyBuffer{}, "--speed", "0.00001", lg.path); code != 1 {
		t.Fatalf("interrupted playback: exit %d", code)
	}
}

func TestReplayUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"a", "b"}, 2},
		{[]string{"--bogus", "x"}, 2},
		{[]string{"--speed", "-1", "x"}, 2},
		{[]string{"--color", "sometimes", "x"}, 2},
		{[]string{"--follow", "postgres://localhost/x"}, 2},
		{[]string{"/nonexistent/record.jsonl"}, 1},
	} {
		var out, errb ttyBuffer
		if code := replayCtx(context.Background(), &out, &errb, c.args...); code != c.code {
			t.Errorf("%q: exit %d, want %d (%s)", c.args, code, c.code, errb.String())
		}
	}
	for _, h := range []string{"--help", "-h"} {
		var out, errb ttyBuffer
		if code := replayCtx(context.Background(), &out, &errb, h); code != 0 {
			t.Fatalf("%s: exit %d", h, code)
		}
		for _, want := range []string{"usage: airlock replay", "-follow", "-detail", "-color", "Exit status: 0 ok, 1 failure", "2 bad usage"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s lacks %q:\n%s", h, want, out.String())
			}
		}
	}
	path, id, _ := fileRecord(t)
	if code, _, _ := runCmd(cmdReplay, path, "--session", "nope"); code != 1 {
		t.Fatal("unknown session accepted")
	}
	if code, out, _ := runCmd(cmdReplay, path, "--session", id, "--color=never"); code != 0 || !strings.Contains(out, "allow      ls /srv") {
		t.Fatalf("cmdReplay: %d %s", code, out)
	}
}

func TestReplayColor(t *testing.T) {
	lg := newLiveGate(t, record.FileOptions{})
	lg.standardSession()
	lg.rec.Close()
	replay := func(tty bool, args ...string) string {
		t.Helper()
		out := &ttyBuffer{tty: tty}
		if code := replayCtx(context.Background(), out, &ttyBuffer{}, append([]string{lg.path}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		return out.String()
	}
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm-256color")
	colored := replay(true)
	for _, want := range []string{"\x1b[32mallow     \x1b[0m", "\x1b[1;31mdeny      \x1b[0m", "\x1b[33mhold      \x1b[0m", "\x1b[1msession "} {
		if !strings.Contains(colored, want) {
			t.Errorf("terminal output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatalf("%q", colored)
	}
	// The recorded escape sequences stay escaped among the colours.
	assertInert(t, colored)
	if !strings.Contains(colored, `\u001b]0;pwned\u0007evil`) {
		t.Fatal("recorded escape not shown escaped")
	}
	// Without colour the same text remains.
	plain := replay(false)
	if sgr.ReplaceAllString(colored, "") != plain {
		t.Fatalf("colour changes the text:\n%s\n---\n%s", sgr.ReplaceAllString(colored, ""), plain)
	}
	if got := replay(true, "--color=never"); strings.Contains(got, "\x1b") {
		t.Fatal("--color=never coloured")
	}
	if got := replay(false, "--color=always"); got != colored {
		t.Fatal("--color=always did not colour a pipe")
	}
	t.Setenv("NO_COLOR", "1")
	if got := replay(true); strings.Contains(got, "\x1b") {
		t.Fatal("NO_COLOR ignored")
	}
	if got := replay(true, "--color", "always"); !strings.Contains(got, "\x1b[32m") {
		t.Fatal("--color=always must override NO_COLOR")
	}
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "dumb")
	if got := replay(true); strings.Contains(got, "\x1b") {
		t.Fatal("TERM=dumb coloured")
	}
	// A real file that is not a terminal gets no colour.
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Fatal("a plain file is no terminal")
	}
	if null, err := os.Open(os.DevNull); err == nil {
		if isTerminal(null) {
			t.Fatal("the null device is no terminal")
		}
		null.Close()
	}
}

func TestReplayDetail(t *testing.T) {
	lg := newLiveGate(t, record.FileOptions{})
	s := lg.standardSession()
	q := lg.open("agent-9", "", "db-1", "10.0.0.9:5432")
	_, _ = lg.g.Check(context.Background(), &gate.Request{Session: q, Protocol: gate.ProtocolPostgres, Command: "DELETE FROM users",
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "DELETE", Text: "DELETE FROM users", Tables: []gate.SQLTable{{Schema: "public", Name: "users", Access: "write"}}}}}})
	lg.close(q)
	lg.rec.Close()
	var out, errb ttyBuffer
	if code := replayCtx(context.Background(), &out, &errb, lg.path, "--detail", "--session", q.ID); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"protocol: postgres", "sql.statements[0].kind: DELETE", "sql.statements[0].tables[0].name: users", "sql.statements[0].has_where: false"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatal(out.String())
	}
	out = ttyBuffer{}
	if code := replayCtx(context.Background(), &out, &errb, lg.path, "--detail", "--session", s.ID); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	for _, want := range []string{
		"identity.subject: agent-42", "identity.kind: agent",
		"protocol: ssh",
		"decision.rule: reads", "decision.rules: reads", "decision.mask: email", "decision.rule_set_version: ",
		"decision.id: ", "decision.review.approvals: 1", "decision.review.ttl: 15m0s", "decision.elapsed: ",
		"| app", "| logs", "| user=app", `| \u001b]0;pwned\u0007evil\u001b[2J`,
		"[masked email in email x1]",
		"reviewer alice (Alice) APPROVED: ticket OPS-7", "reviewer.kind: human", "decision_id: ",
		"checkpoint over seq 4", // intermediate checkpoints too
	} {
		if !strings.Contains(got, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatal(got)
	}
	assertInert(t, got)
}

// TestReplayHostileRecord records a session whose every recorded string
// tries to drive the terminal, and replays it in every view.
func TestReplayHostileRecord(t *testing.T) {
	lg := newLiveGate(t, record.FileOptions{})
	evil := "\x1b[2J\x1b]52;c;cHduZWQ=\x07\x9b31m\u202eevil\u2066\r\x00\xff\xfe\x7f"
	s := lg.open("agent"+evil, "Name"+evil, "target"+evil, "client"+evil)
	_ = lg.run(s, "cat "+evil, "out"+evil, gate.Finding{Detector: "det" + evil, Field: "f" + evil, Count: 1})
	_ = lg.run(s, "deny "+evil, "")
	if err := lg.g.RecordEvent(context.Background(), s, gate.Event{Kind: gate.EventApprovalReviewed,
		Approval: &gate.ApprovalInfo{ID: "ap" + evil, Reviewer: &gate.Identity{Subject: "r" + evil}, Reason: "why" + evil}}); err != nil {
		t.Fatal(err)
	}
	if err := lg.g.RecordEvent(context.Background(), s, gate.Event{Kind: gate.EventError, Error: "err" + evil}); err != nil {
		t.Fatal(err)
	}
	lg.close(s)
	lg.rec.Close()
	for _, args := range [][]string{{"--color=never"}, {"--color=always"}, {"--detail", "--color=always"}, {"--detail", "--color=never"}} {
		var out, errb ttyBuffer
		if code := replayCtx(context.Background(), &out, &errb, append([]string{lg.path}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, errb.String())
		}
		assertInert(t, out.String())
		// Output keeps its bytes; strings lost invalid UTF-8 to JSON.
		plain := sgr.ReplaceAllString(out.String(), "")
		if !strings.Contains(plain, `\u001b[2J\u001b]52;c;cHduZWQ=\u0007\x9b31m\u202eevil\u2066\u000d\u0000\xff\xfe\u007f`) ||
			strings.Count(plain, `\u001b[2J\u001b]52;c;cHduZWQ=\u0007`) < 10 {
			t.Fatalf("%v: hostile text not shown escaped:\n%s", args, out.String())
		}
	}
	var out, errb ttyBuffer
	if code := sessionsCtx(context.Background(), &out, &errb, lg.path); code != 0 {
		t.Fatalf("sessions: exit %d %s", code, errb.String())
	}
	assertInert(t, out.String())
	out = ttyBuffer{}
	if code := sessionsCtx(context.Background(), &out, &errb, lg.path, "--json"); code != 0 {
		t.Fatalf("sessions --json: exit %d %s", code, errb.String())
	}
	assertInert(t, out.String())
}

func TestReplayFollow(t *testing.T) {
	// A small MaxSize makes the file rotate while it is followed.
	lg := newLiveGate(t, record.FileOptions{MaxSize: 4096})
	s := lg.open("agent-42", "Deploy Bot", "web-1", "10.1.2.3:40000")
	_ = lg.run(s, "ls /before", "before\n")

	var out, errb ttyBuffer
	done := make(chan int, 1)
	go func() {
		done <- replayCtx(context.Background(), &out, &errb, lg.path, "--follow", "--session", s.ID, "--poll", "5ms")
	}()
	waitFor(t, &out, "session "+s.ID, "allow      ls /before", "| before")

	// Another session interleaves; it is not shown.
	other := lg.open("agent-7", "", "db-1", "10.9.9.9:1")
	_ = lg.run(other, "ls /other", "other\n")
	for i := 0; i < 20; i++ {
		_ = lg.run(s, "cat /live/"+strings.Repeat("x", i), "line\n")
	}
	_ = lg.run(s, "rm -rf /", "")
	waitFor(t, &out, "allow      cat /live/xxxxxxxxxxxxxxxxxxx  [rule reads]", "deny       rm -rf /")
	select {
	case code := <-done:
		t.Fatalf("follow ended while the session is open: %d\n%s", code, out.String())
	default:
	}
	lg.close(s)
	requireExitZero(t, done, &errb, 10*time.Second, "follow did not stop at session end:", &out)
	got := out.String()
	if strings.Contains(got, "/other") || !strings.Contains(got, "checkpoint final") || !strings.Contains(got, "end        client closed") {
		t.Fatalf("follow output:\n%s", got)
	}
	if strings.Count(got, "cat /live/") != 20 {
		t.Fatalf("entries lost or repeated across rotation:\n%s", got)
	}
	rotatedFiles, _ := record.OpenFileReader(lg.path)
	if len(rotatedFiles.Files()) < 2 {
		t.Fatal("the record did not rotate: the test lost its point")
	}
	lg.close(other)
}

// requireExitZero waits up to timeout for the exit code of a command run
// in the background, and requires it to be 0. At the timeout it fails with
// msg, followed by what out holds then when out is not nil.
func requireExitZero(t *testing.T, done <-chan int, errb *ttyBuffer, timeout time.Duration, msg string, out *ttyBuffer) {
	t.Helper()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(timeout):
		if out != nil {
			msg += "\n" + out.String()
		}
		t.Fatal(msg)
	}
}

func TestReplayFollowAllStopsOnInterrupt(t *testing.T) {
	lg := newLiveGate(t, record.FileOptions{})
	a := lg.open("agent-a", "", "web-1", "10.0.0.1:1")
	_ = lg.run(a, "ls /a", "a\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb ttyBuffer
	done := make(chan int, 1)
	go func() { done <- replayCtx(ctx, &out, &errb, lg.path, "--follow", "--poll", "5ms") }()
	waitFor(t, &out, a.ID[:8]+" +    0.000s  start", "ls /a")
	b := lg.open("agent-b", "", "web-2", "10.0.0.2:1")
	_ = lg.run(b, "ls /b", "b\n")
	lg.close(a)
	waitFor(t, &out, b.ID[:8]+" +", "ls /b", a.ID[:8]+" +", "checkpoint final")
	// Sessions ending do not stop following the whole file; Ctrl-C does.
	select {
	case code := <-done:
		t.Fatalf("stopped early: %d", code)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	requireExitZero(t, done, &errb, 5*time.Second, "interrupt did not stop --follow", nil)
	lg.close(b)
}

func TestReplayFollowReportsBadLines(t *testing.T) {
	lg := newLiveGate(t, record.FileOptions{})
	s := lg.open("agent-a", "", "web-1", "10.0.0.1:1")
	lg.close(s)
	lg.rec.Close()
	f, err := os.OpenFile(lg.path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("garbage \x1b[2J\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var out, errb ttyBuffer
	if code := replayCtx(ctx, &out, &errb, lg.path, "--follow", "--poll", "5ms"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "!! record: ") || !strings.Contains(out.String(), "bad entry") {
		t.Fatalf("bad line not reported:\n%s", out.String())
	}
	assertInert(t, out.String())
}

func TestReplayProgress(t *testing.T) {
	lg := newLiveGate(t, record.FileOptions{})
	s := lg.open("agent-a", "", "web-1", "10.0.0.1:1")
	for i := 0; i < 30; i++ {
		_ = lg.run(s, "ls /x", "x\n")
	}
	lg.close(s)
	lg.rec.Close()
	old := progressEvery
	progressEvery = 25
	defer func() { progressEvery = old }()

	tty := &ttyBuffer{tty: true}
	if code := replayCtx(context.Background(), &ttyBuffer{}, tty, lg.path); code != 0 {
		t.Fatal(tty.String())
	}
	if got := tty.String(); !strings.Contains(got, "\r\x1b[Kairlock replay: read 25 entries") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Fatalf("progress on a terminal: %q", got)
	}
	pipe := &ttyBuffer{}
	if code := replayCtx(context.Background(), &ttyBuffer{}, pipe, lg.path); code != 0 || pipe.String() != "" {
		t.Fatalf("progress on a pipe: %q", pipe.String())
	}
	tty = &ttyBuffer{tty: true}
	if code := sessionsCtx(context.Background(), &ttyBuffer{}, tty, lg.path); code != 0 || !strings.Contains(tty.String(), "airlock sessions: read 50 entries") {
		t.Fatalf("sessions progress: %q", tty.String())
	}
}

// TestReplayOnPseudoTerminal runs replay with its standard output on a real
// pseudo-terminal (script(1) provides one to a child run of this test): it
// colours by itself, and the recorded escapes stay escaped.
func TestReplayOnPseudoTerminal(t *testing.T) {
	if path := os.Getenv("AIRLOCK_TEST_PTY_RECORD"); path != "" {
		os.Exit(cmdReplay([]string{path}, os.Stdout, os.Stderr))
	}
	if _, err := exec.LookPath("script"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("script(1) not installed (Debian package bsdutils)")
		}
		t.Fatal("script(1) not installed (Debian package bsdutils)")
	}
	lg := newLiveGate(t, record.FileOptions{})
	lg.standardSession()
	lg.rec.Close()
	cmd := exec.Command("script", "-qec", os.Args[0]+" -test.run=^TestReplayOnPseudoTerminal$", "/dev/null")
	cmd.Env = append(os.Environ(), "AIRLOCK_TEST_PTY_RECORD="+lg.path, "NO_COLOR=", "TERM=xterm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := strings.ReplaceAll(string(out), "\r\n", "\n") // the terminal's line discipline
	if !strings.Contains(got, "\x1b[32mallow     \x1b[0m ls /srv") {
		t.Fatalf("no colour on a terminal:\n%q", got)
	}
	assertInert(t, got)
}
