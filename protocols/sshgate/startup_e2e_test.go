package sshgate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"testing"
)

// homeWriteRules allow every exec and sftp operation: an operator who
// lets the agent write its home directory (and everything else).
const homeWriteRules = `
default: deny
rules:
  - name: home
    when: ssh.kind in ["exec", "subsystem", "sftp"]
    action: allow`

// fakeHome is a home directory for the upstream sshd's sessions (SetEnv
// HOME), so that no test writes the real one: bash, ~ and $HOME use it.
// Its start-up files hold startupOriginal.
type fakeHome struct {
	t   *testing.T
	dir string
	// innocent: reset also makes "innocent", a link to .bashrc.
	innocent bool
}

// startupOriginal is what every start-up file of a fakeHome holds: a
// comment, harmless when bash sources it.
const startupOriginal = "# original\n"

// startupFiles are the start-up files a fakeHome holds, relative to it.
var startupFiles = []string{
	".bashrc", ".profile", ".bash_profile", ".zshenv", ".ssh/rc", ".ssh/authorized_keys", ".gitconfig",
	"p/.git/config", "p/.git/hooks/pre-commit", ".config/fish/config.fish",
}

func newFakeHome(t *testing.T) *fakeHome {
	t.Helper()
	h := &fakeHome{t: t, dir: t.TempDir()}
	for _, d := range []string{"x", "p/.git/hooks", ".ssh", ".config/fish"} {
		if err := os.MkdirAll(filepath.Join(h.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// reset writes the original content to every start-up file and a fresh
// source file src.
func (h *fakeHome) reset() {
	for _, f := range startupFiles {
		p := filepath.Join(h.dir, f)
		_ = os.Remove(p)
		if err := os.WriteFile(p, []byte(startupOriginal), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(h.dir, "src"), []byte("# PLANTED\n"), 0o644); err != nil {
		h.t.Fatal(err)
	}
	if h.innocent {
		link := filepath.Join(h.dir, "innocent")
		_ = os.Remove(link)
		if err := os.Symlink(filepath.Join(h.dir, ".bashrc"), link); err != nil {
			h.t.Fatal(err)
		}
	}
}

// changed reports how a start-up file differs from the original (content,
// a link in its place, missing), or "".
func (h *fakeHome) changed(f string) string {
	p := filepath.Join(h.dir, f)
	fi, err := os.Lstat(p)
	if err != nil {
		return err.Error()
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return "replaced by a symbolic link"
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return err.Error()
	}
	if string(b) != startupOriginal {
		return fmt.Sprintf("content %q", b)
	}
	return ""
}

// execStatus runs cmd on a new session of cl and returns its exit status
// (-1 when it did not report one) and output.
func execStatus(t *testing.T, cl *ssh.Client, cmd string) (int, string) {
	t.Helper()
	return execWithInput(t, cl, cmd, "")
}

// TestDebianBashSourcesBashrcForSSHCommands checks what makes ~/.bashrc a
// start-up file for exec requests: Debian's bash, run by sshd for a
// command (not interactive, not a login shell), sources it.
func TestDebianBashSourcesBashrcForSSHCommands(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	marker := filepath.Join(h.dir, "sourced")
	if err := os.WriteFile(filepath.Join(h.dir, ".bashrc"), []byte("echo yes > "+marker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := execStatus(t, g.goClient(t, g.agent), "true"); code != 0 {
		t.Fatalf("true: %d %s", code, out)
	}
	_, err := os.Stat(marker)
	_, debian := os.Stat("/etc/debian_version")
	switch {
	case err != nil && debian == nil:
		t.Errorf("Debian's bash did not source ~/.bashrc for an exec request: %v", err)
	case err != nil:
		t.Logf("this bash does not source ~/.bashrc for an exec request")
	}
}

// startupSpellings are ways to name a start-up file of the fake home {H} in a
// command line, each with the file it names. The session's working
// directory is the real home, so relative spellings change to ~ first.
var startupSpellings = []struct{ spelt, file string }{
	{"~/.bashrc", ".bashrc"}, {"$HOME/.bashrc", ".bashrc"}, {"${HOME}/.bashrc", ".bashrc"},
	{`"$HOME"/.bashrc`, ".bashrc"}, {"{H}/.bashrc", ".bashrc"}, {"./.bashrc", ".bashrc"},
	{".//.bashrc", ".bashrc"}, {"x/../.bashrc", ".bashrc"}, {"~/.bash[r]c", ".bashrc"},
	{"~/.profile", ".profile"}, {"{H}/.bash_profile", ".bash_profile"}, {"~/.zshenv", ".zshenv"},
	{"~/.ssh/rc", ".ssh/rc"}, {"$HOME/.ssh/authorized_keys", ".ssh/authorized_keys"},
	{"~/$(echo .bashrc)", ".bashrc"}, {"~/.${X:-bashrc}", ".bashrc"}, {"~/.gitconfig", ".gitconfig"}, {"p/.git/config", "p/.git/config"},
	{"~/p/.git/hooks/pre-commit", "p/.git/hooks/pre-commit"}, {"~/.config/fish/config.fish", ".config/fish/config.fish"},
}

// startupRoutes are commands that write the file P with the content of
// ~/src (or change it); {P} is the file.
var startupRoutes = []string{
	"echo '# PLANTED' > {P}", "echo '# PLANTED' >> {P}", "echo '# PLANTED' >| {P}", "echo '# PLANTED' &> {P}",
	"echo '# PLANTED' | tee {P}", "echo '# PLANTED' | tee -a {P}", "cp ~/src {P}", "cat ~/src > {P}", "install ~/src {P}",
	"ln -sf ~/src {P}", "dd if=$HOME/src of=$(realpath -m {P})", "sed -i s/original/PLANTED/ {P}", "perl -pi -e s/original/PLANTED/ {P}",
	"truncate -s 0 {P}", "rsync ~/src {P}", "bash -c 'cp ~/src {P}'", "cp ~/src ~/y && mv ~/y {P}",
}

// TestStartupWritesRefusedThroughSSHD is a generator through a real sshd:
// with rules that allow every write, each start-up file spelling through
// each write route is refused, judged by effect (the file on disk keeps
// its content); with Config.AllowStartupWrites the same lines do change
// it, so the test cannot pass by writing nothing.
func TestStartupWritesRefusedThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	line := func(route, spelt string) string {
		l := strings.ReplaceAll(route, "{P}", strings.ReplaceAll(spelt, "{H}", h.dir))
		return "cd ~ && " + l
	}
	var through int
	for _, r := range startupRoutes {
		for _, s := range startupSpellings {
			cmd := line(r, s.spelt)
			h.reset()
			code, out := execStatus(t, gc, cmd)
			if d := h.changed(s.file); d != "" {
				through++
				t.Errorf("%s: %s changed (%s) exit %d %s", cmd, s.file, d, code, out)
			} else if code != ExitRefused {
				t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
			}
			h.reset()
			code, out = execStatus(t, oc, cmd)
			if h.changed(s.file) == "" {
				t.Errorf("control: %s left %s as it was: exit %d %s", cmd, s.file, code, out)
			}
		}
	}
	if through > 0 {
		t.Logf("%d of %d writes reached a start-up file", through, len(startupRoutes)*len(startupSpellings))
	}
	// The same routes on an ordinary file pass.
	for _, r := range startupRoutes {
		if strings.Contains(r, "$(") {
			continue // a target only known at run time is refused: it may be one
		}
		if strings.HasPrefix(r, "perl ") {
			continue // inline code is refused without Config.AllowOpaqueCode: it may build the name
		}
		h.reset()
		cmd := line(r, "~/notes")
		if code, out := execStatus(t, gc, cmd); code == ExitRefused {
			t.Errorf("ordinary write refused: %s: %s", cmd, out)
		}
	}
	// The refusal is recorded as the built-in rule ssh/startup.
	var seen bool
	for _, e := range g.events(gate.EventDecision) {
		if e.Decision != nil && e.Decision.Rule == "ssh/startup" {
			seen = true
			break
		}
	}
	if !seen {
		t.Error("no decision named ssh/startup recorded")
	}
}

// sftpStartupRoutes write a start-up file p through sftp; absent routes
// need the file not to exist (a new name), and are judged by it staying
// absent.
var sftpStartupRoutes = []struct {
	name   string
	absent bool
	run    func(c *sftp.Client, home, p string) error
}{
	{"open trunc", false, func(c *sftp.Client, _, p string) error { return sftpWrite(c, p, os.O_WRONLY|os.O_TRUNC) }},
	{"open append", false, func(c *sftp.Client, _, p string) error { return sftpWrite(c, p, os.O_WRONLY|os.O_APPEND) }},
	{"open rdwr", false, func(c *sftp.Client, _, p string) error { return sftpWrite(c, p, os.O_RDWR) }},
	{"create", true, func(c *sftp.Client, _, p string) error { return sftpWrite(c, p, os.O_WRONLY|os.O_CREATE|os.O_EXCL) }},
	{"rename", true, func(c *sftp.Client, h, p string) error { return c.Rename(h+"/src", p) }},
	{"posix-rename", false, func(c *sftp.Client, h, p string) error { return c.PosixRename(h+"/src", p) }},
	{"symlink", true, func(c *sftp.Client, h, p string) error { return c.Symlink(h+"/src", p) }},
	{"hardlink", true, func(c *sftp.Client, h, p string) error { return c.Link(h+"/src", p) }},
	{"truncate", false, func(c *sftp.Client, _, p string) error { return c.Truncate(p, 0) }},
	{"chmod", false, func(c *sftp.Client, _, p string) error { return c.Chmod(p, 0o600) }},
	{"remove", false, func(c *sftp.Client, _, p string) error { return c.Remove(p) }},
}

func sftpWrite(c *sftp.Client, p string, flags int) error {
	f, err := c.OpenFile(p, flags)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("# PLANTED\n")); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestStartupWritesRefusedThroughSFTP is TestStartupWritesRefusedThroughSSHD
// for sftp: every write operation on every spelling of a start-up file
// (through . and .., a doubled slash, a link in the directory and a link
// named innocently that points at .bashrc) leaves the file as it was;
// with Config.AllowStartupWrites the same operations change it.
func TestStartupWritesRefusedThroughSFTP(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	if err := os.Symlink(h.dir, filepath.Join(h.dir, "homelink")); err != nil {
		t.Fatal(err)
	}
	h.innocent = true
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.sftpClient(t), open.sftpClient(t)
	spellings := []struct{ spelt, file string }{
		{"/.bashrc", ".bashrc"}, {"/./.bashrc", ".bashrc"}, {"//.bashrc", ".bashrc"}, {"/x/../.bashrc", ".bashrc"},
		{"/homelink/.bashrc", ".bashrc"}, {"/innocent", ".bashrc"}, {"/.profile", ".profile"},
		{"/.ssh/rc", ".ssh/rc"}, {"/.ssh/authorized_keys", ".ssh/authorized_keys"}, {"/.gitconfig", ".gitconfig"},
		{"/p/.git/config", "p/.git/config"}, {"/p/.git/hooks/pre-commit", "p/.git/hooks/pre-commit"},
		{"/.config/fish/config.fish", ".config/fish/config.fish"},
	}
	state := func(file string) string {
		fi, err := os.Lstat(filepath.Join(h.dir, file))
		if err != nil {
			return "absent"
		}
		b, _ := os.ReadFile(filepath.Join(h.dir, file))
		return fmt.Sprintf("%v %q", fi.Mode(), b)
	}
	var through, total int
	for _, r := range sftpStartupRoutes {
		for _, s := range spellings {
			if (r.absent || r.name == "remove" || r.name == "posix-rename") && s.spelt == "/innocent" {
				continue // the operation acts on the link itself
			}
			p := h.dir + s.spelt
			for _, c := range []*sftp.Client{gc, oc} {
				h.reset()
				if r.absent {
					_ = os.Remove(filepath.Join(h.dir, s.file))
				}
				before := state(s.file)
				err := r.run(c, h.dir, p)
				after := state(s.file)
				switch {
				case c == gc && after != before:
					through++
					t.Errorf("sftp %s %s: %s changed: %s -> %s (err %v)", r.name, p, s.file, before, after, err)
				case c == gc && err == nil:
					t.Errorf("sftp %s %s: no error", r.name, p)
				case c == oc && after == before:
					t.Errorf("control: sftp %s %s left %s as it was: %v", r.name, p, s.file, err)
				}
			}
			total++
		}
	}
	if through > 0 {
		t.Logf("%d of %d sftp writes reached a start-up file", through, total)
	}
	// An ordinary file and reads of start-up files pass.
	h.reset()
	if err := sftpWrite(gc, h.dir+"/notes", os.O_WRONLY|os.O_CREATE|os.O_TRUNC); err != nil {
		t.Errorf("ordinary sftp write refused: %v", err)
	}
	if f, err := gc.Open(h.dir + "/.bashrc"); err != nil {
		t.Errorf("sftp read of .bashrc refused: %v", err)
	} else {
		f.Close()
	}
}

// TestStartupWritesRefusedThroughOpenSSHClients writes start-up files with
// the OpenSSH ssh, sftp and scp programs (scp speaks sftp): refused with
// the built-in on, done with Config.AllowStartupWrites.
func TestStartupWritesRefusedThroughOpenSSHClients(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	local := filepath.Join(t.TempDir(), "planted")
	if err := os.WriteFile(local, []byte("# PLANTED\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type attempt struct {
		name, file string
		run        func(gw *gateway) result
	}
	sftpBatch := func(gw *gateway, batch string) result {
		bf := filepath.Join(t.TempDir(), "batch")
		if err := os.WriteFile(bf, []byte(batch+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return run(t, "", "sftp", append([]string{"-b", bf}, sshArgs(gw.addr, gw.agent, "-P")...)...)
	}
	attempts := []attempt{
		{"ssh echo >> ~/.bashrc", ".bashrc", func(gw *gateway) result { return gw.ssh(gw.agent, nil, "echo '# PLANTED' >> ~/.bashrc") }},
		{"ssh tee .ssh/authorized_keys", ".ssh/authorized_keys", func(gw *gateway) result {
			return gw.ssh(gw.agent, nil, "echo '# PLANTED' | tee $HOME/.ssh/authorized_keys")
		}},
		{"sftp put .ssh/rc", ".ssh/rc", func(gw *gateway) result { return sftpBatch(gw, "put "+local+" "+h.dir+"/.ssh/rc") }},
		{"sftp put .profile via ..", ".profile", func(gw *gateway) result { return sftpBatch(gw, "put "+local+" "+h.dir+"/x/../.profile") }},
		{"sftp rename onto .gitconfig", ".gitconfig", func(gw *gateway) result {
			return sftpBatch(gw, "put "+local+" "+h.dir+"/y\nrename "+h.dir+"/y "+h.dir+"/.gitconfig")
		}},
		{"scp to a hook", "p/.git/hooks/pre-commit", func(gw *gateway) result {
			host, port, _ := strings.Cut(gw.addr, ":")
			args := append([]string{"-P", port}, sshArgs(gw.addr, gw.agent, "-P")[2:]...)
			args = args[:len(args)-1] // sshArgs ends with the host
			return run(t, "", "scp", append(args, local, host+":"+h.dir+"/p/.git/hooks/pre-commit")...)
		}},
	}
	for _, a := range attempts {
		h.reset()
		r := a.run(g)
		if d := h.changed(a.file); d != "" {
			t.Errorf("%s: %s changed (%s): %+v", a.name, a.file, d, r)
		}
		h.reset()
		r = a.run(open)
		if h.changed(a.file) == "" {
			t.Errorf("control: %s left %s as it was: %+v", a.name, a.file, r)
		}
	}
}
