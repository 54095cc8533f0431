package sshgate

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestWindowChange drives a session with the Go client: the terminal size
// change reaches the upstream process. (Signals are forwarded the same way,
// but OpenSSH 9.2's sshd does not act on them, so they are not asserted.)
func TestWindowChange(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)

	// Window change with an exec under a terminal.
	_, s := g.goSession(t)
	if err := s.RequestPty("xterm", 40, 100, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("stty size; read x; stty size"); err != nil {
		t.Fatal(err)
	}
	stdin := bufio.NewReader(out)
	first, _ := stdin.ReadString('\n')
	if strings.TrimSpace(first) != "40 100" {
		t.Fatalf("initial size %q", first)
	}
	if err := s.WindowChange(50, 120); err != nil {
		t.Fatal(err)
	}
	// The gateway forwards requests and data on separate paths; give the
	// window change a head start over the line that triggers the check.
	time.Sleep(time.Second)
	_, _ = io.WriteString(in, "go\n")
	rest, _ := io.ReadAll(stdin)
	if !strings.Contains(string(rest), "50 120") {
		t.Fatalf("size after window-change: %q", rest)
	}
	_ = s.Wait()
}

// TestRecorderFailureStopsOutput: once output cannot be recorded, nothing
// more reaches the client and the gate ends the session: the client's
// connection is closed, with no exit status (none could be recorded).
func TestRecorderFailureStopsOutput(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	cl, s := g.goSession(t)
	out, _ := s.StdoutPipe()
	var serr bytes.Buffer
	s.Stderr = &serr
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("echo first; read x; echo second-chunk"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	if line, _ := r.ReadString('\n'); line != "first\n" {
		t.Fatalf("first line %q", line)
	}
	g.rec.SetErr(errors.New("disk full"))
	_, _ = io.WriteString(in, "go\n")
	rest, _ := io.ReadAll(r)
	err = s.Wait()
	if strings.Contains(string(rest), "second") {
		t.Fatalf("unrecorded output reached the client: %q", rest)
	}
	var missing *ssh.ExitMissingError
	if !errors.As(err, &missing) || serr.Len() != 0 {
		t.Fatalf("exit %v, stderr %q", err, serr.String())
	}
	// The whole connection is gone, not only the channel.
	done := make(chan error, 1)
	go func() { done <- cl.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection is still open")
	}
	if _, err := cl.NewSession(); err == nil {
		t.Fatal("a new session opened on an ended connection")
	}
}
