package shell

import (
	"strings"
	"testing"
)

func TestStartupPath(t *testing.T) {
	yes := []string{
		"~/.bashrc", "$HOME/.bashrc", "${HOME}/.profile", "/home/u/.bash_profile", "./.bashrc", ".//.bashrc",
		"a/../.bashrc", "/root/.zshenv", "~/.ssh/rc", "/home/u/.ssh/authorized_keys", ".ssh/authorized_keys2",
		"~/.ssh/environment", "~/.ssh/config", "~/.ssh", "~/.ssh/", "~/.gitconfig", "~/.config/git/config",
		"proj/.git/config", ".git/hooks/pre-commit", ".git/hooks", "/srv/repo.git/hooks/post-receive",
		"/srv/repo.git/config", ".git/modules/sub/config", ".git", "~/.config/fish/config.fish",
		"~/.config/fish/conf.d/x.fish", "~/.config/fish", "~/.config", "~/.inputrc", "~/.bash_logout",
		"~/.zshrc", "~/.zprofile", "~/.zlogin", "~/.pam_environment", "~/.config/systemd/user/x.service",
		"~/.config/environment.d/a.conf", "~/.bashrc.d",
	}
	no := []string{
		"~/notes.txt", "~/.bashrc.bak", "~/bashrc", "/tmp/rc", "~/config", "~/.ssh/known_hosts", "~/.ssh/id_ed25519.pub",
		"proj/config", "proj/hooks/pre-commit", ".git/HEAD", ".git/objects/ab/cd", "~/.config/fish/notes.txt",
		"~/.config/other/x", "", "/", "~",
	}
	for _, p := range yes {
		if !StartupPath(p) {
			t.Errorf("StartupPath(%q) = false, want true", p)
		}
	}
	for _, p := range no {
		if StartupPath(p) {
			t.Errorf("StartupPath(%q) = true, want false", p)
		}
	}
}

// TestWritesStartup is a generator: every spelling of a start-up path
// through every write route is found; the same routes on an ordinary file,
// and reads of the start-up paths, are not.
func TestWritesStartup(t *testing.T) {
	spellings := []string{
		"~/.bashrc", "$HOME/.bashrc", `"$HOME"/.bashrc`, "${HOME}/.profile", "/home/agent/.bash_profile",
		"./.bashrc", ".//.bashrc", "x/../.bashrc", "~/.bash*", "~/.ba?hrc", "~/.ssh/rc", "~/.ssh/authorized_keys",
		".ssh/environment", "~/.gitconfig", ".git/config", ".git/hooks/pre-commit", "~/.config/fish/config.fish",
		"~/.zshenv", "'/home/agent/.bashrc'", `~/.\bashrc`, "$D/.bashrc", "/home/agent/$X", "~/.${X}rc",
		"$(echo ~)/.bashrc", "~/.ssh/$F",
	}
	routes := []string{
		"echo x > P", "echo x >> P", "echo x >| P", "echo x &> P", "cat <> P", "echo x | tee P", "echo x | tee -a P",
		"cp /tmp/f P", "mv /tmp/f P", "install /tmp/f P", "ln -sf /tmp/f P", "ln /tmp/f P", "rsync /tmp/f P",
		"sed -i s/a/b/ P", "perl -pi -e s/a/b/ P", "dd if=/tmp/f of=P", "truncate -s0 P", "touch P",
		"chmod 644 P", "chown root P", "cp -t P /tmp/f", "bash -c 'echo x > P'", "sh -c 'cp /tmp/f P'",
		"cd /tmp && cp f P", "find /tmp -name f -exec cp {} P ';'",
	}
	for _, r := range routes {
		for _, sp := range spellings {
			line := replaceP(r, sp)
			s, err := Parse(line)
			if err != nil {
				continue // a spelling the route cannot carry (quotes inside quotes)
			}
			if _, ok := WritesStartup(s); !ok {
				t.Errorf("not seen: %s", line)
			}
		}
		if strings.Contains(r, "{}") {
			continue // find's {} is any file found: unknown, so seen
		}
		line := replaceP(r, "/home/agent/notes.txt")
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if w, ok := WritesStartup(s); ok {
			t.Errorf("ordinary write seen as start-up: %s (%s)", line, w)
		}
	}
	for _, line := range []string{
		"cat ~/.bashrc", "grep x ~/.ssh/authorized_keys", "ls -la ~", "chmod +x *", "echo \"$x\" > out.txt",
		"cp a b", "echo x > \"$D/out.txt\"", "git status", "git config --get user.name", "ls ~/.ssh",
		"tee out-$(date +%s).log", "sed -n p ~/.bashrc", "head .git/config", "rm -f *.log", "kill -TERM $$",
		"compgen -W '$(rm -f /tmp/x)' x", "trap 'rm -f /tmp/x' EXIT",
	} {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if w, ok := WritesStartup(s); ok {
			t.Errorf("seen as a start-up write: %s (%s)", line, w)
		}
	}
	for _, line := range []string{
		"cd ~/.ssh && echo k >> authorized_keys", "cd .git/hooks; cp /tmp/x pre-commit", "cd $D && echo > rc",
		"git config core.fsmonitor evil", "git config --global core.pager evil", "git -C repo config alias.x '!sh'",
		"git init --template=/tmp/t", "echo x > $F", "cd ~/.ssh && chmod 600 *", "cp -r /tmp/d ~/.ssh",
		"mv /tmp/d .git", "tar -C ~/.ssh -xf a.tar", "cp /tmp/f ~/.bashrc.d", "eval 'cp /tmp/f ~/.bashrc'",
		"trap 'cp /tmp/f ~/.bashrc' EXIT", "compgen -W '$(cp /tmp/f ~/.bashrc)' x", "command cp /tmp/f ~/.bashrc",
		"env cp /tmp/f ~/.bashrc", "sudo tee ~/.bashrc", "xargs cp /tmp/f < list", "cp $(echo ~/.bashrc) x",
		`python3 -c "open('/home/agent/.bashrc','a').write('x')"`, "perl -e 'open(F, \">>$ENV{HOME}/.ssh/rc\")'",
		"bash script.sh ~/.profile",
	} {
		s, err := Parse(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if _, ok := WritesStartup(s); !ok {
			t.Errorf("not seen: %s", line)
		}
	}
	for _, op := range []string{"write", "rename", "symlink", "link", "setstat", "remove", "mkdir"} {
		if _, ok := WritesStartup(SFTP(op, "/home/agent/.bashrc", "")); !ok {
			t.Errorf("sftp %s not seen", op)
		}
		if _, ok := WritesStartup(SFTP(op, "/home/agent/x", "/home/agent/.ssh/rc")); !ok && op != "write" {
			t.Errorf("sftp %s target not seen", op)
		}
	}
	if _, ok := WritesStartup(SFTP("read", "/home/agent/.bashrc", "")); ok {
		t.Error("sftp read seen as a write")
	}
}

func replaceP(route, p string) string {
	out := ""
	for _, c := range route {
		if c == 'P' {
			out += p
		} else {
			out += string(c)
		}
	}
	return out
}
