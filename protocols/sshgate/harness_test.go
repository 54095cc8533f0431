package sshgate

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
	"golang.org/x/crypto/ssh"
)

// keyPair is an ed25519 key with its OpenSSH private key file.
type keyPair struct {
	signer ssh.Signer
	file   string
	priv   ed25519.PrivateKey
}

func newKey(t testing.TB, dir, name string) keyPair {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := ssh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file+".pub", ssh.MarshalAuthorizedKey(s.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyPair{signer: s, file: file, priv: priv}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sshd is a real OpenSSH server on a loopback port, configured in a temp dir.
type sshd struct {
	addr    string
	hostKey ssh.PublicKey
	userKey keyPair // the key the gateway holds
	user    string
	// log is what sshd and its session processes wrote to stderr.
	log *syncWriter
}

func startSSHD(t testing.TB) *sshd {
	t.Helper()
	return startSSHDWith(t, "")
}

// startSSHDWith starts an sshd whose configuration starts with extra
// lines: sshd keeps a keyword's first value, so they override the
// defaults below them (no Match blocks).
func startSSHDWith(t testing.TB, extra string) *sshd {
	t.Helper()
	bin := gatetest.NeedTool(t, "sshd")
	dir := t.TempDir()
	host := newKey(t, dir, "host_ed25519")
	user := newKey(t, dir, "upstream_ed25519")
	ak := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ak, ssh.MarshalAuthorizedKey(user.signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	extra = withTestHome(extra, t.TempDir())
	port := freePort(t)
	cfg := fmt.Sprintf(`%sListenAddress 127.0.0.1:%d
HostKey %s
AuthorizedKeysFile %s
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
AllowAgentForwarding yes
X11Forwarding no
AcceptEnv LANG LC_* FOO
Subsystem sftp internal-sftp
LogLevel ERROR
`, extra, port, host.file, ak)
	cfgFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := &syncWriter{w: &bytes.Buffer{}}
	cmd := exec.Command(bin, "-D", "-e", "-f", cfgFile)
	cmd.Stderr = stderr
	cmd.WaitDelay = 2 * time.Second // session processes may hold stderr open
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	u := os.Getenv("USER")
	if u == "" {
		u = "root"
	}
	return &sshd{addr: addr, hostKey: host.signer.PublicKey(), userKey: user, user: u, log: stderr}
}

// eachConcurrently calls f(i) for i in [0, n), at most width calls at a
// time, and returns when all have returned: cases that wait on ssh and
// sshd processes overlap. f reports through t.Errorf (never t.Fatal).
func eachConcurrently(n, width int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, width)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// withTestHome adds HOME=home to the SetEnv of an sshd configuration's
// extra lines unless they set HOME: the upstream account's sessions then
// run in an empty home of the test's own, not the machine's (whose
// start-up files may take a quarter of a second each session to read,
// and which no test should write). sshd keeps the first SetEnv line
// only, so the variable joins the line extra has.
func withTestHome(extra, home string) string {
	lines := strings.Split(extra, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "SetEnv") {
			if !strings.Contains(l, "HOME=") {
				lines[i] = l + " HOME=" + home
			}
			return strings.Join(lines, "\n")
		}
	}
	return "SetEnv HOME=" + home + "\n" + extra
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// String returns what was written so far.
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// testRules is the rule file of the integration tests: exec is allowed
// except destructive and unreadable commands, sftp is allowed outside
// "forbidden" paths, shells only for humans, forwards never (default).
const testRules = execAllowed + `
  - name: no-destructive
    when: >
      ssh.kind == "exec" && (ssh.programs.exists(p, p in ["rm", "shred", "unlink", "rmdir"]) ||
      ssh.commands.exists(c, c.program == "find" && c.args.exists(a, a in ["-delete", "-exec", "-execdir"])))
    action: deny
    reason: destructive commands are not allowed
  - name: no-opaque
    when: ssh.kind == "exec" && (ssh.dynamic || ssh.pipes_to_shell || ssh.interpreter_inline)
    action: deny
    reason: commands the gate cannot read are not allowed
  - name: sftp
    when: >
      ssh.kind == "subsystem" ||
      (ssh.kind == "sftp" && !ssh.path.contains("forbidden") && !ssh.target_path.contains("forbidden"))
    action: allow
  - name: shells-for-humans
    when: ssh.kind == "shell" && identity.kind == "human"
    action: allow
  - name: review-touch
    when: ssh.kind == "exec" && ssh.programs.exists(p, p == "touch")
    action: review
  - name: mask-email
    when: request.command.contains("mask")
    mask: [email]
`

// gateway is a Proxy in front of a real sshd, with an in-memory record.
type gateway struct {
	t     testing.TB
	addr  string
	up    *sshd
	rec   *record.Memory
	agent keyPair
	human keyPair
	dir   string
	proxy *Proxy
	// approver holds reviews (gate in Hold mode).
	approver *approval.Memory
	// label is the pprof label value every goroutine of this gateway
	// carries (key gatewayLabel): Serve runs under it and goroutines
	// inherit their creator's labels.
	label string
	// served is closed when Serve has returned.
	served chan struct{}
}

// gatewayLabel is the pprof label key naming a test gateway.
const gatewayLabel = "airlock_test_gateway"

// gatewayCount numbers the test gateways, for their labels.
var gatewayCount atomic.Int64

// startTestGateway starts an sshd and a gateway in front of it, with
// testRules, recording into memory.
func startTestGateway(t testing.TB) *gateway {
	t.Helper()
	return startGateway(t, startSSHD(t), testRules)
}

// startGateway starts a gateway in front of up, recording into memory.
func startGateway(t testing.TB, up *sshd, rules string, opts ...func(*Config)) *gateway {
	t.Helper()
	rec := &record.Memory{}
	g := startGatewayWith(t, up, rules, rec, opts...)
	g.rec = rec
	return g
}

// startGatewayWith starts a gateway recording to recorder.
func startGatewayWith(t testing.TB, up *sshd, rules string, recorder gate.Recorder, opts ...func(*Config)) *gateway {
	t.Helper()
	dir := t.TempDir()
	rs, err := gate.ParseRules("test.yaml", []byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	approver := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Recorder: recorder, Approver: approver})
	hostKey := newKey(t, dir, "gw_host")
	agent := newKey(t, dir, "agent")
	human := newKey(t, dir, "human")
	keys := &AuthorizedKeys{}
	keys.Add(agent.signer.PublicKey(), gate.Identity{Subject: "agent-1", Kind: gate.KindAgent, Groups: []string{"agents"}})
	keys.Add(human.signer.PublicKey(), gate.Identity{Subject: "alice", Kind: gate.KindHuman})
	cfg := Config{
		Gate:          g,
		HostKeys:      []ssh.Signer{hostKey.signer},
		Authenticator: keys,
		Upstream:      Upstream{Addr: up.addr, User: up.user, Signer: up.userKey.signer, HostKeyCallback: ssh.FixedHostKey(up.hostKey)},
	}
	for _, o := range opts {
		o(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	label := fmt.Sprintf("%s#%d", t.Name(), gatewayCount.Add(1))
	go func() {
		defer close(done)
		pprof.Do(ctx, pprof.Labels(gatewayLabel, label), func(ctx context.Context) {
			_ = p.Serve(ctx, l)
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = p.Close()
	})
	return &gateway{t: t, addr: l.Addr().String(), up: up, agent: agent, human: human, dir: dir, proxy: p, approver: approver,
		label: label, served: done}
}

// sshArgs are the OpenSSH client options for connecting to addr with key.
func sshArgs(addr string, key keyPair, portFlag string) []string {
	host, port, _ := net.SplitHostPort(addr)
	return []string{portFlag, port, "-i", key.file, "-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "-F", "/dev/null", host}
}

// result of running a real OpenSSH tool.
type result struct {
	stdout, stderr string
	code           int
}

func run(t testing.TB, stdin string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatetest.NeedTool(t, name), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Errorf("%s: %v", name, err)
			return result{code: -1}
		}
		code = ee.ExitCode()
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// ssh runs the OpenSSH client through the gateway as key.
func (g *gateway) ssh(key keyPair, extra []string, command string) result {
	g.t.Helper()
	args := append(append([]string{}, extra...), sshArgs(g.addr, key, "-p")...)
	args = append(args, "--", command)
	return run(g.t, "", "ssh", args...)
}

// events returns the events of kind recorded so far, all sessions.
func (g *gateway) events(kind gate.EventKind) []gate.Event {
	return gatetest.Events(g.rec, kind)
}
