package sshgate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// round4Files are start-up files added in round four (a program reads
// each and it can make that program run or fetch code), and older ones,
// relative to the home directory. ~/bin is left out: the fake home is
// not /root or /home/NAME, the only absolute spellings of a home
// directory the judge knows (sftp paths are absolute).
var round4Files = []string{
	".envrc", ".direnvrc", ".config/direnv/direnvrc", ".local/share/direnv/allow/0123abcd",
	".config/pip/pip.conf", ".pip/pip.conf", ".condarc", ".conda/condarc", ".conda/condarc.d/x.yml", ".config/conda/condarc",
	".local/share/applications/x.desktop", ".config/autostart/x.desktop", ".config/systemd/user/x.service",
	".local/share/systemd/user/x.timer", ".config/environment.d/x.conf", ".Xresources", ".Xdefaults", ".xserverrc",
	".xbindkeysrc", ".emacs.el", ".config/emacs/init.el", ".gdbearlyinit", ".config/gdb/gdbinit", ".lessfilter",
	".config/lesskey", ".mavenrc", ".m2/settings.xml", ".m2/toolchains.xml", ".m2/repository/org/x/1/x-1.jar",
	".gradle/init.d/x.gradle", ".gradle/init.gradle", ".gradle/gradle.properties", ".bundle/config", ".gemrc",
	".pryrc", ".ghci", ".config/ghc/ghci.conf", ".sbtrc", ".sbt/1.0/plugins/x.sbt", ".nanorc", ".muttrc",
	".mutt/muttrc", ".npm-init.js", ".bunfig.toml", ".ansible.cfg", ".ansible/plugins/callback/x.py",
	".jupyter/jupyter_server_config.py", ".config/git/ignore", ".config/vim/vimrc", ".config/wget/wgetrc",
	".config/i3/config", ".config/kitty/kitty.conf", ".config/nix/nix.conf", ".config/gh/config.yml",
	".config/user-dirs.dirs", ".config/starship.toml", ".aws/credentials", ".aws/cli/alias", ".cargo/bin/ls",
	".local/share/nvim/site/plugin/x.lua", ".inputrc", ".pam_environment", ".xprofile", ".tmux.conf", ".vimrc",
	".gdbinit", ".mailcap", ".kube/config", ".aws/config", ".docker/config.json", ".cargo/config.toml",
	".terraformrc", ".npmrc", ".wgetrc", ".curlrc", ".gnupg/gpg-agent.conf", ".local/bin/ls",
	".bun/bin/x", ".pyenv/shims/python", "go/bin/x", ".docker/cli-plugins/docker-x", ".cargo/env", ".nvm/nvm.sh",
	".claude/settings.json", "p/.claude/settings.local.json", ".codex/config.toml", "p/.mcp.json", "p/.vscode/tasks.json",
	".vscode-server/data/Machine/settings.json", ".config/Code/User/settings.json",
}

// round4Dirs are directories that hold start-up files: moving a
// directory onto one plants every file inside.
var round4Dirs = []string{".kube", ".m2", ".gradle/init.d", ".local/share/systemd", ".local/share/applications",
	".cargo/bin", ".config/pip", ".pip", ".aws/cli", ".local/share/nvim", ".bun", ".pyenv/shims", ".claude", ".vscode-server"}

// homeFiles is a home directory for the upstream sshd's sessions (SetEnv
// HOME) holding files with startupOriginal, and a source ~/src.
type homeFiles struct {
	t     *testing.T
	dir   string
	files []string
}

func newHomeFiles(t *testing.T, files []string) *homeFiles {
	t.Helper()
	h := &homeFiles{t: t, dir: t.TempDir(), files: files}
	if err := os.MkdirAll(filepath.Join(h.dir, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	return h
}

// reset writes every file with startupOriginal (a link in its place is
// removed first) and ~/src with the planted content.
func (h *homeFiles) reset() {
	for _, f := range h.files {
		p := filepath.Join(h.dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			h.t.Fatal(err)
		}
		_ = os.Remove(p)
		if err := os.WriteFile(p, []byte(startupOriginal), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(h.dir, "src"), []byte("# PLANTED\n"), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// changed is fakeHome.changed for h.
func (h *homeFiles) changed(f string) string {
	return (&fakeHome{t: h.t, dir: h.dir}).changed(f)
}

// round4Routes write {P} from ~/src, or change it; each line runs in the
// fake home.
var round4Routes = []string{
	"echo '# PLANTED' >> {P}", "echo '# PLANTED' | tee -a {P}", "cp ~/src {P}", "install -D ~/src {P}",
	"sed -i s/original/PLANTED/ {P}", "dd if=$HOME/src of={P} status=none", "ln -sf ~/src {P}",
	"socat -u FILE:$HOME/src OPEN:{P},trunc", "mv ~/src {P}", "printf '# PLANTED' > {P}", "truncate -s 0 {P}",
}

// round4Spellings spell the fake home {H} in a line that runs in it.
var round4Spellings = []string{"~/", "$HOME/", "{H}/", "./", "x/../", "${HOME}//", "{H}/.config/../"}

// TestRound4StartupFilesThroughSSHD: each new start-up file, through
// three writing routes each (rotating over every route and spelling), is
// left as it was through the gate and refused; through the control
// gateway (AllowStartupWrites) the same line changes it.
func TestRound4StartupFilesThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, round4Files)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	var through, total int
	for i, f := range round4Files {
		for k := 0; k < 3; k++ {
			r := round4Routes[(i+k)%len(round4Routes)]
			sp := strings.ReplaceAll(round4Spellings[(i+2*k)%len(round4Spellings)], "{H}", h.dir)
			if strings.HasPrefix(r, "socat") && strings.HasPrefix(sp, "~") {
				sp = "$HOME/" // socat's address is one word: no tilde expansion after OPEN:
			}
			cmd := "cd ~ && " + strings.ReplaceAll(r, "{P}", sp+f)
			total++
			h.reset()
			code, out := execStatus(t, gc, cmd)
			if d := h.changed(f); d != "" {
				through++
				t.Errorf("%s: %s changed (%s): exit %d %s", cmd, f, d, code, out)
			} else if code != ExitRefused {
				t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
			}
			h.reset()
			code, out = execStatus(t, oc, cmd)
			if h.changed(f) == "" {
				t.Errorf("control: %s left %s as it was: exit %d %s", cmd, f, code, out)
			}
		}
	}
	if through > 0 {
		t.Logf("%d of %d writes reached a start-up file", through, total)
	}
}

// TestRound4StartupDirsThroughSSHD: moving or linking a directory onto a
// directory of start-up files (~/.kube, ~/.gradle/init.d, ~/.local/share/
// systemd) plants the file inside; refused through the gate, done
// through the control gateway; sftp rename likewise.
func TestRound4StartupDirsThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, nil)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	gs, os2 := g.sftpClient(t), open.sftpClient(t)
	kit := filepath.Join(h.dir, "kit")
	reset := func(d string) {
		for _, x := range round4Dirs {
			_ = os.RemoveAll(filepath.Join(h.dir, x))
			if err := os.MkdirAll(filepath.Dir(filepath.Join(h.dir, x)), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		_ = os.RemoveAll(kit)
		if err := os.MkdirAll(kit, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(kit, "config"), []byte("# PLANTED\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	planted := func(d string) bool {
		_, err := os.Stat(filepath.Join(h.dir, d, "config"))
		return err == nil
	}
	routes := []struct {
		name string
		run  func(cl *ssh.Client, sc *sftp.Client, d string) string
	}{
		{"mv", func(cl *ssh.Client, _ *sftp.Client, d string) string {
			_, out := execStatus(t, cl, "mv ~/kit ~/"+d)
			return out
		}},
		{"ln -s", func(cl *ssh.Client, _ *sftp.Client, d string) string {
			_, out := execStatus(t, cl, "ln -s $HOME/kit $HOME/"+d)
			return out
		}},
		{"cp -r", func(cl *ssh.Client, _ *sftp.Client, d string) string {
			_, out := execStatus(t, cl, "cd ~ && cp -r kit ./"+d)
			return out
		}},
		{"sftp rename", func(_ *ssh.Client, sc *sftp.Client, d string) string {
			return fmt.Sprint(sc.Rename(kit, h.dir+"/"+d))
		}},
		{"sftp symlink", func(_ *ssh.Client, sc *sftp.Client, d string) string {
			return fmt.Sprint(sc.Symlink(kit, h.dir+"/"+d))
		}},
	}
	for _, d := range round4Dirs {
		for _, r := range routes {
			reset(d)
			out := r.run(gc, gs, d)
			if planted(d) {
				t.Errorf("%s onto ~/%s: planted: %s", r.name, d, out)
			}
			reset(d)
			out = r.run(oc, os2, d)
			if !planted(d) {
				t.Errorf("control: %s onto ~/%s did not plant: %s", r.name, d, out)
			}
		}
	}
}

// TestRound4StartupFilesThroughSFTP: sftp writes (append, truncate,
// posix-rename onto, hard link in place) to each new start-up file leave
// it as it was; the control gateway changes it.
func TestRound4StartupFilesThroughSFTP(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, round4Files)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.sftpClient(t), open.sftpClient(t)
	routes := []struct {
		name string
		run  func(c *sftp.Client, p string) error
	}{
		{"append", func(c *sftp.Client, p string) error { return sftpWrite(c, p, os.O_WRONLY|os.O_APPEND) }},
		{"trunc", func(c *sftp.Client, p string) error { return sftpWrite(c, p, os.O_WRONLY|os.O_TRUNC) }},
		{"posix-rename", func(c *sftp.Client, p string) error { return c.PosixRename(h.dir+"/src", p) }},
		{"create after remove", func(c *sftp.Client, p string) error {
			if err := c.Remove(p); err != nil {
				return err
			}
			return sftpWrite(c, p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		}},
	}
	var through int
	for i, f := range round4Files {
		for k := 0; k < 2; k++ {
			r := routes[(i+k)%len(routes)]
			p := h.dir + "/x/../" + f
			h.reset()
			err := r.run(gc, p)
			if d := h.changed(f); d != "" {
				through++
				t.Errorf("sftp %s %s: changed (%s), err %v", r.name, f, d, err)
			} else if err == nil {
				t.Errorf("sftp %s %s: no error", r.name, f)
			}
			h.reset()
			err = r.run(oc, p)
			if h.changed(f) == "" {
				t.Errorf("control: sftp %s %s left it as it was: %v", r.name, f, err)
			}
		}
	}
	if through > 0 {
		t.Logf("%d sftp writes reached a start-up file", through)
	}
}
