package sshgate

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"golang.org/x/crypto/ssh"
)

// requestProbe is one SSH request a client may send.
type requestProbe struct {
	typ     string
	payload []byte
	// env is the variable of an env request (the record names it).
	env string
}

// channelRequestProbes are the channel requests of RFC 4254, RFC 4335 and
// OpenSSH's PROTOCOL, in both directions (a client sending a server's
// request is a request too), allowed and refused, and an unknown one.
func channelRequestProbes() []requestProbe {
	envOf := func(n, v string) requestProbe {
		return requestProbe{typ: "env", payload: ssh.Marshal(struct{ Name, Value string }{n, v}), env: n}
	}
	return []requestProbe{
		envOf("LANG", "C.UTF-8"),          // allowed
		envOf("LC_ALL", "C"),              // allowed
		envOf("LD_PRELOAD", "/x.so"),      // never
		envOf("AWS_SECRET", "hunter2hun"), // off the allow-list
		{typ: "pty-req", payload: ssh.Marshal(struct {
			Term             string
			Cols, Rows, W, H uint32
			Modes            string
		}{"xterm-256color", 80, 24, 640, 480, "\x35\x00\x00\x00\x01\x00"})},
		{typ: "window-change", payload: ssh.Marshal(struct{ Cols, Rows, W, H uint32 }{120, 40, 0, 0})},
		{typ: "break", payload: ssh.Marshal(struct{ Ms uint32 }{250})},
		{typ: "xon-xoff", payload: ssh.Marshal(struct{ Client bool }{true})},
		{typ: "x11-req", payload: ssh.Marshal(struct {
			Single        bool
			Proto, Cookie string
			Screen        uint32
		}{false, "MIT-MAGIC-COOKIE-1", "0123456789abcdef0123456789abcdef", 0})},
		{typ: "auth-agent-req@openssh.com"},
		{typ: "subsystem", payload: ssh.Marshal(struct{ Name string }{"backdoor"})},
		{typ: "keepalive@openssh.com"},
		{typ: "eow@openssh.com"},
		{typ: "exit-status", payload: ssh.Marshal(struct{ Status uint32 }{3})},
		{typ: "exit-signal", payload: ssh.Marshal(struct {
			Signal    string
			Core      bool
			Msg, Lang string
		}{"KILL", false, "", ""})},
		{typ: "winadj@putty.projects.tartarus.org"},
		{typ: "unknown@example.com", payload: []byte("opaque")},
	}
}

// recordedRequests counts the request events of the record naming request
// type typ (and, for env, variable env).
func recordedRequests(g *gateway, typ, env string) int {
	n := 0
	for _, e := range g.events(gate.EventRequest) {
		if e.Request != nil && e.Request.SSH != nil && e.Request.SSH.Kind == typ && e.Request.SSH.EnvName == env {
			n++
		}
	}
	return n
}

// TestEveryRequestIsRecorded sends every channel request type before the
// channel's program and while it runs (exec, shell and subsystem again
// too), with and without want-reply, and every global request type: each
// must be in the record as a request event that names its type and what
// the gateway did with it, whether it was kept, forwarded or refused.
func TestEveryRequestIsRecorded(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, testRules)
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	probes, missing := 0, 0
	check := func(where string, p requestProbe, before int) {
		probes++
		// The program's requests (exec, shell, subsystem) before the
		// program are answered on a goroutine of their own (session.go),
		// so without want-reply the keepalive after one may be answered
		// before its event is recorded: wait for it, a while.
		for deadline := time.Now().Add(5 * time.Second); recordedRequests(g, p.typ, p.env) <= before && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if recordedRequests(g, p.typ, p.env) <= before {
			missing++
			t.Errorf("%s: %s %s not in the record", where, p.typ, p.env)
		}
	}
	running := append(channelRequestProbes(),
		requestProbe{typ: "exec", payload: ssh.Marshal(struct{ Command string }{"id"})},
		requestProbe{typ: "shell"},
		requestProbe{typ: "subsystem", payload: ssh.Marshal(struct{ Name string }{"sftp"})},
		requestProbe{typ: "signal", payload: ssh.Marshal(struct{ Signal string }{"TERM"})})
	for _, wantReply := range []bool{true, false} {
		for _, phase := range []string{"before the program", "while the program runs"} {
			list := channelRequestProbes()
			if phase != "before the program" {
				list = running
			}
			for _, p := range list {
				// Each on a channel of its own: a refusal may end the
				// channel. A probe that is not in the record on a channel
				// that ended around it (the upstream refused the program:
				// on a loaded host it may not have seen the last channels'
				// closes yet, and OpenSSH bounds sessions per connection)
				// may never have reached the gateway: it is sent again on
				// a new channel, twice at most.
				for attempt := 1; ; attempt++ {
					ch, reqs, err := cl.OpenChannel("session", nil)
					if err != nil {
						t.Fatal(err)
					}
					go ssh.DiscardRequests(reqs)
					if phase != "before the program" {
						if ok, err := ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"cat"})); err != nil || !ok {
							t.Fatalf("exec cat: %v %v", ok, err)
						}
					}
					before := recordedRequests(g, p.typ, p.env)
					_, perr := ch.SendRequest(p.typ, wantReply, p.payload)
					// The keepalive's answer says the gateway has handled what
					// came before it: channel requests are handled in order
					// (but for the program's, see check).
					_, serr := ch.SendRequest("keepalive@openssh.com", true, nil)
					if recordedRequests(g, p.typ, p.env) <= before && (perr != nil || serr != nil) && attempt < 3 {
						t.Logf("%s %s: the channel ended around the probe (%v, %v): again on a new one", phase, p.typ, perr, serr)
						ch.Close()
						time.Sleep(100 * time.Millisecond)
						continue
					}
					check(fmt.Sprintf("%s (want-reply %v)", phase, wantReply), p, before)
					_ = ch.CloseWrite()
					ch.Close()
					break
				}
			}
		}
	}
	for _, typ := range []string{"keepalive@openssh.com", "no-more-sessions@openssh.com", "hostkeys-prove-00@openssh.com",
		"tcpip-forward", "cancel-tcpip-forward", "streamlocal-forward@openssh.com", "cancel-streamlocal-forward@openssh.com",
		"unknown@example.com"} {
		for _, wantReply := range []bool{true, false} {
			p := requestProbe{typ: typ}
			before := recordedRequests(g, typ, "")
			_, _, _ = cl.SendRequest(typ, wantReply, ssh.Marshal(struct {
				Addr string
				Port uint32
			}{"127.0.0.1", 0}))
			_, _, _ = cl.SendRequest("keepalive@openssh.com", true, nil) // global requests are handled in order too
			check(fmt.Sprintf("global (want-reply %v)", wantReply), p, before)
		}
	}
	t.Logf("%d of %d requests missing from the record", missing, probes)
	for _, e := range g.events(gate.EventRequest) {
		r := e.Request
		if r.SSH == nil || r.SSH.Kind == "exec" {
			continue
		}
		if !strings.Contains(r.Command, r.SSH.Kind) || !strings.Contains(r.Command, ": ") {
			t.Errorf("request event without its type and outcome: %q", r.Command)
		}
		if strings.Contains(r.Command, "hunter2") || strings.Contains(string(r.Payload), "hunter2") ||
			strings.Contains(r.Command, "0123456789abcdef") || strings.Contains(string(r.Payload), "0123456789abcdef") {
			t.Errorf("a refused variable's value or an X11 cookie is in the record: %q %q", r.Command, r.Payload)
		}
	}
}

// TestOpenSSHSessionRequestsInTheRecordFile: what a real OpenSSH client
// asks for around a command (a terminal with its size and modes, the
// variables it sends, X11 and agent forwarding, keepalives) is in the
// record file, which verifies, next to the command's exit status.
func TestOpenSSHSessionRequestsInTheRecordFile(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g, f := startFileGateway(t, up, testRules)
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	agent := exec.Command(gatetest.NeedTool(t, "ssh-agent"), "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil || time.Now().After(deadline) {
			break
		}
	}
	args := append([]string{"-tt", "-A", "-X", "-o", "SendEnv=LANG LC_CTYPE", "-o", "ServerAliveInterval=1",
		"-o", "ForwardX11Trusted=yes"}, sshArgs(g.addr, g.agent, "-p")...)
	args = append(args, "--", "sleep 2; exit 3")
	cmd := exec.Command(gatetest.NeedTool(t, "ssh"), args...)
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock, "DISPLAY=127.0.0.1:99", "LANG=C.UTF-8", "LC_CTYPE=C.UTF-8",
		"XAUTHORITY="+filepath.Join(dir, "Xauthority"))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("ssh: %v %s", err, out)
	}
	// sftp: the gateway serves it and sends the exit status itself; the
	// upstream sftp-server's own, when it comes before the gateway ends
	// the upstream channel, is recorded too (not forwarded).
	bf := filepath.Join(dir, "batch")
	if err := os.WriteFile(bf, []byte("pwd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "sftp", append([]string{"-b", bf}, sshArgs(g.addr, g.agent, "-P")...)...); r.code != 0 {
		t.Fatalf("sftp: %+v", r)
	}
	var kinds []string
	exitStatus := false
	for _, evs := range f.sessions(t, g) {
		for _, e := range evs {
			if e.Kind == gate.EventRequest && e.Request != nil && e.Request.SSH != nil {
				kinds = append(kinds, e.Request.SSH.Kind+" "+e.Request.SSH.EnvName)
				if e.Request.SSH.Kind == "exit-status" {
					kinds = append(kinds, e.Request.Command)
				}
			}
			if e.Kind == gate.EventOutput && e.Output.ExitStatus != nil && *e.Output.ExitStatus == 3 {
				exitStatus = true
			}
		}
	}
	joined := strings.Join(kinds, ",")
	for _, want := range []string{"pty-req ", "env LANG", "env LC_CTYPE", "x11-req ", "auth-agent-req@openssh.com ", "keepalive@openssh.com ",
		"exit-status 0: sent to the client by the gateway"} {
		if !strings.Contains(joined, want) {
			t.Errorf("%q not in the record file: %s", want, joined)
		}
	}
	if !exitStatus {
		t.Error("the exit status is not in the record file")
	}
}
