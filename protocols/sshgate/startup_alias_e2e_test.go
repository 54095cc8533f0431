package sshgate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// TestSocatAndSSHCopyIDThroughSSHD: socat writes a file named in its
// address (OPEN:, CREATE:, GOPEN:, with options after a comma, either
// direction) and ssh-copy-id appends to the host's ~/.ssh/authorized_keys
// through a second ssh connection. Through the gate each line is refused
// and the file keeps its content; through the control gateway
// (AllowStartupWrites) the same line changes it.
func TestSocatAndSSHCopyIDThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, []string{".bashrc", ".profile", ".ssh/authorized_keys", ".kube/config", ".config/pip/pip.conf"})
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	pub := filepath.Join(t.TempDir(), "id.pub")
	if err := os.WriteFile(pub, ssh.MarshalAuthorizedKey(g.agent.signer.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(up.addr, ":")
	copyID := "ssh-copy-id -f -i " + pub + " -p " + port + " -o IdentityFile=" + up.userKey.file +
		" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes " + up.user + "@" + host
	for _, tc := range []struct{ cmd, stdin, file string }{
		{"socat -u FILE:$HOME/src OPEN:$HOME/.bashrc,append", "", ".bashrc"},
		{"socat -u - CREATE:$HOME/.profile", "# PLANTED\n", ".profile"},
		{"socat -u FILE:$HOME/src GOPEN:$HOME/.ssh/authorized_keys,append", "", ".ssh/authorized_keys"},
		{"socat -U OPEN:$HOME/.kube/config,trunc FILE:$HOME/src", "", ".kube/config"},
		{"cd ~ && socat -u STDIN OPEN:.config/pip/pip.conf,creat,trunc", "# PLANTED\n", ".config/pip/pip.conf"},
		{"socat -u FILE:$HOME/src!!STDOUT OPEN:$HOME/.bashrc,append", "", ".bashrc"},
		{copyID, "", ".ssh/authorized_keys"},
	} {
		h.reset()
		code, out := execWithInput(t, gc, tc.cmd, tc.stdin)
		if d := h.changed(tc.file); d != "" {
			t.Errorf("%s: %s changed (%s): exit %d %s", tc.cmd, tc.file, d, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", tc.cmd, code, out)
		}
		h.reset()
		code, out = execWithInput(t, oc, tc.cmd, tc.stdin)
		if h.changed(tc.file) == "" {
			t.Errorf("control: %s left %s as it was: exit %d %s", tc.cmd, tc.file, code, out)
		}
	}
}

// TestHomeAliasThroughSSHD: a second name for the home directory, made
// in one session (ln -s . d in home, a link to /proc/self/cwd, ~+, cp
// -rs ~, an sftp symlink to ~/.local/share), lets a later session write ~/bin/ls or a
// systemd --user unit as d/bin/ls, which the judge cannot tell from an
// ordinary file. Through the gate the link is refused and the later write
// reaches nothing; through the control gateway the two steps plant the
// file. A write through /proc/self/cwd in one line is refused too, and
// so are relative writes after a cd that CDPATH leads to a start-up
// directory (cd - and popd, which return to the login directory, are
// the shell package's: the login directory here is the real home, not
// the fake one). (An
// sftp symlink to the home directory itself is judged by its absolute
// path, /root or /home/NAME: the fake home here is neither; see the
// shell package's TestSFTPSymlinkToAHomeDirectory.)
func TestHomeAliasThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, []string{"bin/ls", ".local/share/systemd/user/x.service"})
	work := t.TempDir()
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	gs, os2 := g.sftpClient(t), open.sftpClient(t)
	d := filepath.Join(work, "d")
	type step func(cl *ssh.Client, gateway bool) string
	exec := func(cmd string) step {
		return func(cl *ssh.Client, _ bool) string {
			_, out := execStatus(t, cl, cmd)
			return cmd + ": " + out
		}
	}
	symlink := func(target string) step {
		return func(_ *ssh.Client, gateway bool) string {
			sc := os2
			if gateway {
				sc = gs
			}
			if err := sc.Symlink(target, d); err != nil {
				return "sftp symlink: " + err.Error()
			}
			return "sftp symlink"
		}
	}
	write := "cd ~ && echo '# PLANTED' >> " + d + "/bin/ls"
	for _, tc := range []struct {
		name  string
		steps []step
		file  string
	}{
		{"ln -s . in home", []step{exec("cd ~ && ln -s . d"), exec("cd ~ && echo '# PLANTED' >> d/bin/ls")}, "bin/ls"},
		{"ln -sr . in home", []step{exec("cd ~ && ln -sr . d"), exec("cd ~ && echo '# PLANTED' >> d/bin/ls")}, "bin/ls"},
		{"ln -s ./", []step{exec("cd ~ && ln -s ./ d"), exec("cd ~ && echo '# PLANTED' >> d/bin/ls")}, "bin/ls"},
		{"ln -s /proc/self/cwd", []step{exec("ln -s /proc/self/cwd " + d), exec(write)}, "bin/ls"},
		{"ln -s ~+", []step{exec("cd ~ && ln -s ~+ " + d), exec(write)}, "bin/ls"},
		{"cp -rs ~", []step{exec("cp -rs ~ " + d), exec(write)}, "bin/ls"},
		{"sftp symlink to ~/.local/share", []step{symlink(h.dir + "/.local/share"),
			exec("echo '# PLANTED' >> " + d + "/systemd/user/x.service")}, ".local/share/systemd/user/x.service"},
		{"CDPATH to ~/.local/share", []step{exec("CDPATH=~/.local/share; cd systemd && echo '# PLANTED' >> user/x.service")},
			".local/share/systemd/user/x.service"},
		{"/proc/self/cwd in one line", []step{exec("cd ~ && echo '# PLANTED' >> /proc/self/cwd/bin/ls")}, "bin/ls"},
		{"/proc/self/cwd/.local", []step{exec("cd ~ && echo '# PLANTED' >> /proc/self/cwd/.local/share/systemd/user/x.service")},
			".local/share/systemd/user/x.service"},
	} {
		for _, gateway := range []bool{true, false} {
			h.reset()
			for _, p := range []string{d, filepath.Join(h.dir, "d")} {
				_ = os.RemoveAll(p)
			}
			cl := oc
			if gateway {
				cl = gc
			}
			var log []string
			for _, s := range tc.steps {
				log = append(log, s(cl, gateway))
			}
			switch ch := h.changed(tc.file); {
			case gateway && ch != "":
				t.Errorf("%s: %s changed (%s): %q", tc.name, tc.file, ch, log)
			case !gateway && ch == "":
				t.Errorf("control: %s left %s as it was: %q", tc.name, tc.file, log)
			}
		}
	}
}

// TestSFTPHomeByStartDirectoryThroughSSHD: sftp paths are absolute, and a
// home directory other than /root or /home/NAME is not known by its
// spelling; the server's start directory (the account's login directory,
// here internal-sftp -d) is. Under it, ~/bin/ls and a symlink to the
// home directory itself are refused with the file unchanged; through the
// control gateway both go through.
func TestSFTPHomeByStartDirectoryThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, []string{"bin/ls", ".bashrc"})
	work := t.TempDir()
	up := startSSHDWith(t, "ForceCommand internal-sftp -d "+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gs, os2 := g.sftpClient(t), open.sftpClient(t)
	link := filepath.Join(work, "d")
	for _, sc := range []*sftp.Client{gs, os2} {
		h.reset()
		_ = os.Remove(link)
		errWrite := sftpWrite(sc, h.dir+"/bin/ls", os.O_WRONLY|os.O_APPEND)
		errRel := sftpWrite(sc, "bin/ls", os.O_WRONLY|os.O_APPEND)
		errLink := sc.Symlink(h.dir, link)
		_, lerr := os.Lstat(link)
		switch ch := h.changed("bin/ls"); {
		case sc == gs && (ch != "" || lerr == nil):
			t.Errorf("through the gate: bin/ls %q, link made %v (errors %v, %v, %v)", ch, lerr == nil, errWrite, errRel, errLink)
		case sc == os2 && (ch == "" || lerr != nil):
			t.Errorf("control: bin/ls unchanged or no link: %v %v %v %v", errWrite, errRel, errLink, lerr)
		}
	}
	// An ordinary file under the home directory still passes.
	if err := sftpWrite(gs, h.dir+"/notes", os.O_WRONLY|os.O_CREATE|os.O_TRUNC); err != nil {
		t.Errorf("ordinary sftp write refused: %v", err)
	}
}

// TestConfigCommandThroughSSHD: pip config set writes the user's
// pip.conf (the index a later pip install fetches code from) whatever
// the line's words name; refused through the gate (opaque code allowed)
// with the file as it was, written through the control gateway.
func TestConfigCommandThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, []string{".config/pip/pip.conf"})
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	// python3 -m runs a module the gate cannot read: with opaque code
	// allowed, only the start-up judgment stands between the line and
	// the file.
	g := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowOpaqueCode = true })
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites, c.AllowOpaqueCode = true, true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	for _, cmd := range []string{"python3 -m pip config --user set global.index-url http://127.0.0.1:9/simple",
		"env PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip config set global.extra-index-url http://127.0.0.1:9/x"} {
		h.reset()
		code, out := execStatus(t, gc, cmd)
		if d := h.changed(".config/pip/pip.conf"); d != "" {
			t.Errorf("%s: pip.conf changed (%s): exit %d %s", cmd, d, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
		}
		h.reset()
		code, out = execStatus(t, oc, cmd)
		if h.changed(".config/pip/pip.conf") == "" {
			t.Errorf("control: %s left pip.conf as it was: exit %d %s", cmd, code, out)
		}
	}
}
