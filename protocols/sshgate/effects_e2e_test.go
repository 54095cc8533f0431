package sshgate

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// readOnlyRules allow an agent only commands that read.
const readOnlyRules = `
default: deny
rules:
  - name: reads
    when: ssh.kind == "exec" && ssh.read_only
    action: allow
`

// execAllowed opens the rule files that allow exec and then deny some of
// it: testRules and denyListRules.
const execAllowed = `
default: deny
rules:
  - name: exec
    when: ssh.kind == "exec"
    action: allow`

// denyListRules allow exec except destructive programs, network tools,
// interpreters and code the gate cannot see, and allow writes only through
// the programs named.
const denyListRules = execAllowed + `
  - name: no-destructive
    when: ssh.kind == "exec" && ssh.programs.exists(p, p in ["rm", "shred", "unlink", "rmdir"])
    action: deny
  - name: no-network
    when: ssh.kind == "exec" && (ssh.network || ssh.programs.exists(p, p in ["curl", "wget", "nc", "ncat", "socat", "telnet"]))
    action: deny
  - name: no-opaque
    when: >
      ssh.kind == "exec" && (ssh.dynamic || ssh.pipes_to_shell || ssh.interpreter_inline || ssh.runs_unseen_code ||
      ssh.programs.exists(p, p in ["python3", "perl", "ruby", "node"]))
    action: deny
  - name: writes-through-named-tools-only
    when: ssh.kind == "exec" && !ssh.read_only && ssh.commands.exists(c, !c.read_only && !(c.program in ["mkdir", "touch"]))
    action: deny
`

// allowAllRules are the control: with them, the probes must see effects.
const allowAllRules = `
default: allow
rules: []
`

// effectProbe is a victim directory on the upstream host and a local TCP
// listener counting connections.
type effectProbe struct {
	t     *testing.T
	dir   string
	port  int
	conns atomic.Int64
}

const precious = "precious\n"

func newEffectProbe(t *testing.T) *effectProbe {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &effectProbe{t: t, dir: t.TempDir(), port: l.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			c.Close()
		}
	}()
	return p
}

// victim prepares a fresh directory for one case: a file f, a directory d
// with a file, and a script that would truncate f and open a socket.
func (p *effectProbe) victim(name string) string {
	v := filepath.Join(p.dir, name)
	must := func(err error) {
		if err != nil {
			p.t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(v, "d"), 0o755))
	must(os.WriteFile(filepath.Join(v, "f"), []byte(precious), 0o644))
	must(os.WriteFile(filepath.Join(v, "d", "x"), []byte(precious), 0o644))
	script := fmt.Sprintf(": > %s/f\nexec 3<>/dev/tcp/127.0.0.1/%d\n", v, p.port)
	must(os.WriteFile(filepath.Join(v, "script.sh"), []byte(script), 0o755))
	return v
}

// damaged describes what changed in v, or "".
func (p *effectProbe) damaged(v string) string {
	var out []string
	if b, err := os.ReadFile(filepath.Join(v, "f")); err != nil || string(b) != precious {
		out = append(out, fmt.Sprintf("f is %q (%v)", b, err))
	}
	if _, err := os.Stat(filepath.Join(v, "d", "x")); err != nil {
		out = append(out, "d/x is gone")
	}
	ents, _ := os.ReadDir(v)
	if len(ents) != 3 {
		out = append(out, fmt.Sprintf("%d entries in the victim directory", len(ents)))
	}
	return strings.Join(out, "; ")
}

// effectCases are the evasions of the attacker's review and their family;
// V is the victim directory, P the listener's port.
var effectCases = []string{
	"> V/f",
	">> V/f",
	">| V/f",
	"X=1 > V/f",
	"{ > V/f; }",
	"( > V/f )",
	"ls; > V/f",
	"ls && > V/f",
	"{ x=1; } > V/f",
	"{ ls; } > V/f",
	"( ls ) > V/f",
	"while false; do ls; done > V/f",
	"if true; then ls; fi > V/f",
	"echo x >& V/f",
	"echo x &> V/f",
	"echo x &>> V/f",
	"echo x 1<> V/f",
	"cat V/f >& /dev/tcp/127.0.0.1/P",
	"< /dev/tcp/127.0.0.1/P",
	"<> /dev/tcp/127.0.0.1/P",
	"cat < /dev/tcp/127.0.0.1/P",
	"cat < /dev//tcp/127.0.0.1/P",
	"cat < '/dev/'tcp/127.0.0.1/P",
	"exec 3<>/dev/tcp/127.0.0.1/P",
	"truncate -s0 V/f",
	"cp /dev/null V/f",
	"mv V/f V/g",
	"dd if=/dev/null of=V/f",
	"sed -i d V/f",
	"sed -ni d V/f",
	"sed --in-pl=.bak d V/f",
	"find V/d -delete",
	"find V -name x -delete",
	"sh V/script.sh",
	"bash V/script.sh",
	". V/script.sh",
	"source V/script.sh",
	"tee V/f < /dev/null",
	"sort -o V/f /dev/null",
	"awk 'BEGIN{printf \"\" > \"V/f\"}'",
	"sh -c '> V/f'",
	"env ls > V/f",
	// Options of read-only programs that write files (gawk writes its
	// variables, profile or program to the file an option names).
	"awk --dump-variables=V/f 'BEGIN{}'",
	"awk -dV/f 'BEGIN{}'",
	"awk -F: -pV/f 'BEGIN{}'",
	"awk -oV/f 'BEGIN{}'",
	"awk -W dump-variables=V/f 'BEGIN{}'",
	"awk -e 'BEGIN{}' --profile=V/f",
}

// TestEffectEvasions runs each evasion through the gateway, with a
// read-only allow-list and with a deny-list, against a real sshd: the
// victim files are untouched and the listener sees no connection. The
// same commands through an allow-all gateway do damage, so the probes
// detect effects.
func TestEffectEvasions(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	probe := newEffectProbe(t)
	expand := func(c, v string) string {
		c = strings.ReplaceAll(c, "/P", fmt.Sprintf("/%d", probe.port))
		return strings.NewReplacer(" V/", " "+v+"/", "'V/", "'"+v+"/", "\"V/", "\""+v+"/", " V ", " "+v+" ", "=V/", "="+v+"/",
			"dV/", "d"+v+"/", "pV/", "p"+v+"/", "oV/", "o"+v+"/").Replace(c)
	}
	for _, pol := range []struct{ name, rules string }{{"read-only", readOnlyRules}, {"deny-list", denyListRules}} {
		g := startGateway(t, up, pol.rules)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i, c := range effectCases {
			v := probe.victim(fmt.Sprintf("%s-%d", pol.name, i))
			cmd := expand(c, v)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				r := g.ssh(g.agent, nil, cmd)
				if r.code != ExitRefused || !strings.Contains(r.stderr, "airlock:") {
					t.Errorf("%s: not refused: %q: %+v", pol.name, cmd, r)
				}
				if d := probe.damaged(v); d != "" {
					t.Errorf("%s: %q changed the upstream host: %s", pol.name, cmd, d)
				}
			}()
		}
		wg.Wait()
		// Reading commands still run under both policies.
		v := probe.victim(pol.name + "-read")
		for _, c := range []string{"cat V/f", "ls V 2>/dev/null | grep f", "sed -n 1p V/f", "find V -name f"} {
			if r := g.ssh(g.agent, nil, expand(c, v)); r.code != 0 || !strings.Contains(r.stdout, "f") && !strings.Contains(r.stdout, "precious") {
				t.Errorf("%s: reading command refused: %q: %+v", pol.name, c, r)
			}
		}
		if pol.name == "read-only" {
			// With a terminal a pager takes keystrokes (less's ! runs a
			// shell): the same reading command is no longer read-only.
			if r := g.ssh(g.agent, []string{"-tt"}, expand("cat V/f", v)); r.code != ExitRefused {
				t.Errorf("exec with a terminal allowed as read-only: %+v", r)
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // let the listener accept anything pending
	if n := probe.conns.Load(); n != 0 {
		t.Fatalf("the listener received %d connections", n)
	}

	// Control: without a policy (opaque code left to the rules too) the
	// same commands do what the probes look for.
	g := startGateway(t, up, allowAllRules, func(c *Config) { c.AllowOpaqueCode = true })
	for i, c := range []string{"> V/f", "echo x >& V/f", "sed -i d V/f", "find V/d -delete", "sh V/script.sh"} {
		v := probe.victim(fmt.Sprint("control-", i))
		r := g.ssh(g.agent, nil, expand(c, v))
		if probe.damaged(v) == "" {
			t.Errorf("control: %q left no trace: the probe cannot see effects: %+v", expand(c, v), r)
		}
	}
	v := probe.victim("control-net")
	g.ssh(g.agent, nil, expand("cat V/f >& /dev/tcp/127.0.0.1/P", v))
	deadline := time.Now().Add(5 * time.Second)
	for probe.conns.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if probe.conns.Load() == 0 {
		t.Error("control: /dev/tcp opened no connection: the listener cannot see effects")
	}
}

// TestExitSignalRecorded: a command killed by a signal has the signal in
// its final output record, and the client sees the signal (ssh exits 255).
func TestExitSignalRecorded(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	const cmd = "sh -c 'kill -TERM $$'"
	g := startGateway(t, up, readOnlyRules+`
  - name: the-signal-test
    when: request.command == "`+strings.ReplaceAll(cmd, `'`, `'`)+`"
    action: allow
`)
	r := g.ssh(g.agent, nil, cmd)
	if r.code != 255 {
		t.Fatalf("exit-signal not forwarded: %+v", r)
	}
	var final []gate.Output
	for _, e := range g.events(gate.EventOutput) {
		// The line writes (kill), so the gateway asked for the login
		// directory first: that answer has no decision.
		if e.Output.Final && e.Output.DecisionID != "" {
			final = append(final, *e.Output)
		}
	}
	if len(final) != 1 || final[0].ExitSignal != "TERM" || final[0].ExitStatus != nil {
		t.Fatalf("final output records: %+v", final)
	}
}

// TestSFTPReadOnly: under a policy that allows sftp only when read_only,
// the real sftp client can list and download, and every change is refused
// with the upstream files untouched.
func TestSFTPReadOnly(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, sftpReadRules)
	probe := newEffectProbe(t)
	v := probe.victim("sftp")
	local := filepath.Join(g.dir, "local.txt")
	if err := os.WriteFile(local, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sftpRun := func(batch string) result {
		t.Helper()
		bf := filepath.Join(t.TempDir(), "batch")
		if err := os.WriteFile(bf, []byte(batch+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-b", bf}, sshArgs(g.addr, g.agent, "-P")...)
		return run(t, "", "sftp", args...)
	}
	back := filepath.Join(g.dir, "back.txt")
	if r := sftpRun("cd " + v + "\nls -l\nget f " + back); r.code != 0 || !strings.Contains(r.stdout, "script.sh") {
		t.Fatalf("sftp reads refused: %+v", r)
	}
	if b, err := os.ReadFile(back); err != nil || string(b) != precious {
		t.Fatalf("download: %q %v", b, err)
	}
	for _, cmd := range []string{"put " + local + " f", "rm f", "rename f g", "chmod 000 f", "mkdir new", "rm d/x", "rmdir d",
		"symlink f l", "ln f l2"} {
		if r := sftpRun("cd " + v + "\n" + cmd); r.code == 0 {
			t.Errorf("sftp %q allowed: %+v", cmd, r)
		}
	}
	if d := probe.damaged(v); d != "" {
		t.Fatalf("sftp changed the upstream host: %s", d)
	}
	if fi, err := os.Stat(filepath.Join(v, "f")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("f mode changed: %v %v", fi, err)
	}
}

// sftpReadRules allow sftp only when the operation is read-only.
var sftpReadRules = readOnlyRules + `
  - name: sftp-reads
    when: ssh.kind == "subsystem" || (ssh.kind == "sftp" && ssh.read_only)
    action: allow
`
