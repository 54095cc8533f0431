package sshgate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/pkg/sftp"
)

// commandChannelRuns are command lines of programs that take commands from
// their input, with the input that makes each create {M}: the exec line
// looks harmless, the client's channel carries what runs.
var commandChannelRuns = []struct{ tool, line, stdin string }{
	{"ed", "ed", "!touch {M}\nq\n"},
	{"ed", "timeout 20 ed -s", "!touch {M}\nq\n"},
	{"sqlite3", "sqlite3", ".shell touch {M}\n"},
	{"sqlite3", "sqlite3 :memory: '.shell touch {M}'", ""},
	{"gdb", "gdb -q -nx", "shell touch {M}\nquit\n"},
	{"vim", "vim -es -u NONE", "silent !touch {M}\nqa!\n"},
	{"newgrp", "newgrp", "touch {M}\n"},
}

// TestCommandChannelsRefused: under rules that allow exec but deny code
// the gate cannot read (testRules), a program that takes its commands
// from the client's channel is refused and nothing it was told runs;
// sftp-server run as an exec, which would carry every sftp operation
// unjudged, is refused too.
func TestCommandChannelsRefused(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	dir := t.TempDir()
	ran := 0
	for i, tc := range commandChannelRuns {
		if _, err := exec.LookPath(tc.tool); err != nil {
			t.Fatalf("%s is not installed: %v", tc.tool, err)
		}
		marker := filepath.Join(dir, "ran-"+string(rune('a'+i)))
		line := strings.ReplaceAll(tc.line, "{M}", marker)
		args := append(sshArgs(g.addr, g.agent, "-p"), "--", line)
		r := run(t, strings.ReplaceAll(tc.stdin, "{M}", marker), "ssh", args...)
		if _, err := os.Stat(marker); err == nil {
			ran++
			t.Errorf("%s: what the channel said ran: %+v", line, r)
		}
		if r.code != ExitRefused {
			t.Errorf("%s: not refused: %+v", line, r)
		}
	}
	t.Logf("%d of %d command channels ran what they were told", ran, len(commandChannelRuns))

	// sftp-server on an exec channel: the sftp operations would be
	// judged by nobody.
	server := "/usr/lib/openssh/sftp-server"
	if _, err := os.Stat(server); err != nil {
		t.Fatalf("%s: %v", server, err)
	}
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Start(server); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(dir, "forbidden-by-sftp")
	if sc, err := sftp.NewClientPipe(out, in); err == nil {
		if f, err := sc.Create(written); err == nil {
			_, _ = f.Write([]byte("unjudged\n"))
			_ = f.Close()
		}
		_ = sc.Close()
	}
	if _, err := os.Stat(written); err == nil {
		t.Errorf("sftp-server over exec wrote %s, a path the sftp rule forbids", written)
	}
	if err := s.Wait(); err == nil {
		t.Error("sftp-server over exec was not refused")
	}
	refused := false
	for _, e := range g.events(gate.EventDecision) {
		refused = refused || e.Request != nil && strings.Contains(e.Request.Command, "sftp-server") &&
			e.Decision != nil && e.Decision.Action == gate.Deny
	}
	if !refused {
		t.Error("the refusal of sftp-server is not recorded")
	}
}
