package sshgate

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"golang.org/x/crypto/ssh"
)

// echoServer is a TCP target a forward could reach.
func echoServer(t *testing.T) (string, int) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return "127.0.0.1", l.Addr().(*net.TCPAddr).Port
}

func TestForwardingRefused(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	host, port := echoServer(t)
	target := net.JoinHostPort(host, strconv.Itoa(port))

	// ssh -W: a stdio forward is a direct-tcpip channel.
	r := g.ssh(g.agent, []string{"-W", target}, "")
	if r.code == 0 {
		t.Fatalf("-W not refused: %+v", r)
	}
	// ssh -R with ExitOnForwardFailure: tcpip-forward is refused.
	r = g.ssh(g.agent, []string{"-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:" + target}, "true")
	if r.code == 0 {
		t.Fatalf("-R not refused: %+v", r)
	}
	// ssh -R to a Unix socket (streamlocal-forward).
	sock := filepath.Join(t.TempDir(), "s.sock")
	r = g.ssh(g.agent, []string{"-o", "ExitOnForwardFailure=yes", "-R", sock + ":" + target}, "true")
	if r.code == 0 {
		t.Fatalf("-R socket not refused: %+v", r)
	}

	// ssh -L: the listener opens, but the channel is refused.
	lport := freePort(t)
	args := append([]string{"-N", "-o", "ExitOnForwardFailure=yes", "-L", strconv.Itoa(lport) + ":" + target}, sshArgs(g.addr, g.agent, "-p")...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, gatetest.NeedTool(t, "ssh"), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	var c net.Conn
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		c, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(lport)))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh -L did not listen")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if n, err := io.ReadFull(c, buf); err == nil {
		t.Fatalf("-L forward carried data: %q", buf[:n])
	}
	c.Close()

	// Agent forwarding, X11, direct-streamlocal and unknown channels, with a
	// Go client that sends exactly those requests.
	cl := g.goClient(t, g.agent)
	sess, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := sess.SendRequest("auth-agent-req@openssh.com", true, nil); ok {
		t.Error("agent forwarding accepted")
	}
	x11 := ssh.Marshal(struct {
		Single           bool
		Protocol, Cookie string
		Screen           uint32
	}{false, "MIT-MAGIC-COOKIE-1", "00", 0})
	if ok, _ := sess.SendRequest("x11-req", true, x11); ok {
		t.Error("x11 forwarding accepted")
	}
	sess.Close()
	if _, _, err := cl.OpenChannel("direct-streamlocal@openssh.com", ssh.Marshal(struct {
		Path, R0 string
		R1       uint32
	}{sock, "", 0})); err == nil {
		t.Error("direct-streamlocal accepted")
	}
	if _, _, err := cl.OpenChannel("auth-agent@openssh.com", nil); err == nil {
		t.Error("auth-agent channel accepted")
	}
	if _, err := cl.Dial("tcp", target); err == nil {
		t.Error("direct-tcpip accepted")
	}
	if _, err := cl.Listen("tcp", "127.0.0.1:0"); err == nil {
		t.Error("tcpip-forward accepted")
	}
	cl.Close()

	forwards := 0
	for _, e := range g.events(gate.EventDecision) {
		if s := e.Request.SSH; s != nil && s.Kind == "forward" {
			forwards++
			if e.Decision.Action != gate.Deny {
				t.Errorf("forward allowed: %+v", e.Decision)
			}
		}
	}
	if forwards < 3 {
		t.Errorf("forward decisions recorded: %d", forwards)
	}
	refusals := 0
	for _, e := range g.events(gate.EventError) {
		if strings.HasPrefix(e.Error, "ssh: refused") {
			refusals++
		}
	}
	if refusals < 4 {
		t.Errorf("refusals recorded: %d", refusals)
	}
}

// TestForwardAllowedByRule shows a rule can open a forward to one port.
func TestForwardAllowedByRule(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	host, port := echoServer(t)
	g := startGateway(t, up, testRules+`
  - name: echo-forward
    when: ssh.kind == "forward" && ssh.host == "127.0.0.1" && ssh.port == `+strconv.Itoa(port)+`
    action: allow
`)
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	c, err := cl.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("forward: %q %v", buf, err)
	}
	if _, err := cl.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port+1))); err == nil {
		t.Fatal("forward to another port accepted")
	}
}

// goSession opens a session as the agent with the Go SSH client, and
// returns it and its client, whose connection is closed at the test's end.
func (g *gateway) goSession(t *testing.T) (*ssh.Client, *ssh.Session) {
	t.Helper()
	cl := g.goClient(t, g.agent)
	t.Cleanup(func() { cl.Close() })
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	return cl, s
}

// goClient connects to the gateway with the Go SSH client.
func (g *gateway) goClient(t *testing.T, key keyPair) *ssh.Client {
	t.Helper()
	hk, err := os.ReadFile(filepath.Join(g.dir, "gw_host.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(hk)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ssh.Dial("tcp", g.addr, &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(key.signer)},
		HostKeyCallback: ssh.FixedHostKey(pub), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}
