package shell

import (
	"fmt"
	"path"
	"strings"
	"sync"
	"testing"
	"time"
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
		"bash script.sh ~/.profile", "echo x > >(tee ~/.bashrc)", "exec 3>~/.bashrc", "cat > ~/.bashrc <<EOF\nx\nEOF",
		"sudo -u agent tee ~/.bashrc", "nohup cp a ~/.bashrc", "timeout 5 cp a ~/.bashrc", "busybox cp a ~/.bashrc",
		"python3 -c 'import shutil; shutil.copy(\"a\", \"/home/u/.profile\")'", "{ echo x; } >> ~/.zshrc",
		"(cd ~/.ssh; cat k >> authorized_keys)", "x=$(cp a ~/.bashrc)", "ssh-keygen -f ~/.ssh/rc",
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

// BenchmarkWritesStartup judges a line whose writing command has many
// arguments only known at run time: the costliest case of the matcher.
func BenchmarkWritesStartup(b *testing.B) {
	s, err := Parse("cp " + strings.Repeat(`"$a"/x.txt `, 200) + "/tmp/out")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		WritesStartup(s)
	}
}

// BenchmarkWritesStartupNoMatch is BenchmarkWritesStartup with tails that
// pass the quick test of their last component, each different: past
// maxSlowTails the line is refused without judging the rest.
func BenchmarkWritesStartupNoMatch(b *testing.B) {
	var words []string
	for i := 0; i < 200; i++ {
		words = append(words, fmt.Sprintf(`"$a"/x%d/rc`, i))
	}
	s, err := Parse("cp " + strings.Join(words, " ") + " /tmp/out")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		WritesStartup(s)
	}
}

// unknownMayBeStartupOracle is unknownMayBeStartup as first written:
// every prefix of every example, without the quick test. Each distinct
// prefix is tried once (oraclePrefixes): a prefix two examples share
// gives the same path.
func unknownMayBeStartupOracle(tail string) bool {
	for _, x := range oraclePrefixes() {
		if startupMatch(path.Clean(x+tail), false) {
			return true
		}
	}
	return false
}

// oraclePrefixes lists every prefix of every start-up example once, in
// the order the examples give them (built here, not from startupPrefixes,
// which the code under test uses).
var oraclePrefixes = sync.OnceValue(func() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range startupExamples {
		for i := 0; i <= len(e); i++ {
			if !seen[e[:i]] {
				seen[e[:i]] = true
				out = append(out, e[:i])
			}
		}
	}
	return out
})

// TestUnknownMayBeStartupOracle compares unknownMayBeStartup with the
// oracle on tails built from every pair of path pieces, each distinct
// tail once. The comparison is pure computation (minutes under -race):
// the tails are dealt to parallel shards.
func TestUnknownMayBeStartupOracle(t *testing.T) {
	t.Parallel()
	pieces := []string{"", "/", ".", "..", "x", "rc", "config", "hooks", "pre-commit", ".git", "a.git", ".ssh",
		".config", "fish", "x.fish", "git", "systemd", "user", "a.service", ".bashrc", "bashrc", "rc.d", "environment",
		"authorized_keys", "attributes", "x.txt", ".bash", "shrc", "/.", "//"}
	seen := map[string]bool{}
	var tails []string
	for _, a := range pieces {
		for _, b := range pieces {
			for _, tail := range []string{a + b, a + "/" + b, "/" + a + "/" + b, "/" + a + b + "/"} {
				if !seen[tail] {
					seen[tail] = true
					tails = append(tails, tail)
				}
			}
		}
	}
	const shards = 8
	for s := range shards {
		t.Run(fmt.Sprint("shard-", s), func(t *testing.T) {
			t.Parallel()
			for i := s; i < len(tails); i += shards {
				tail := tails[i]
				if got, want := unknownMayBeStartup(tail), unknownMayBeStartupOracle(tail); got != want {
					t.Errorf("unknownMayBeStartup(%q) = %v, oracle %v", tail, got, want)
				}
			}
		})
	}
	t.Logf("%d tails", len(tails))
}

// FuzzWritesStartup checks that any command line that parses is judged
// without a panic, and that a line seen as a start-up write stays one
// when the write is appended to.
func FuzzWritesStartup(f *testing.F) {
	for _, s := range []string{"echo x > ~/.bashrc", "cp a /*", "cp $a/x/rc b", "cd $D; cp a *", "tee /.ssh/[r]c",
		"cp a ~/.${x}rc", "dd of=$(echo ~)/.profile", "tar xf a -C x -C y -C z -C w m n o p q r s t u v",
		"cd a; cd b; cd c; cd d; tar xf a -C $x", "tar xf a -C d1 -C d2 -C d3 -C d4 -C d5 -C d6 -C d7 -C d8 -C d9 m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		t0 := time.Now()
		s, err := Parse(line)
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("%q parsed in %v", line, d)
		}
		if err != nil {
			return
		}
		t0 = time.Now()
		_, seen := WritesStartup(s)
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("%q judged in %v", line, d)
		}
		if !seen {
			return
		}
		s2, err := Parse(line + "; true")
		if err != nil {
			return
		}
		if _, ok := WritesStartup(s2); !ok {
			t.Errorf("%q seen, %q not", line, line+"; true")
		}
	})
}

// BenchmarkWritesStartupTypical judges an ordinary line.
func BenchmarkWritesStartupTypical(b *testing.B) {
	s, err := Parse(`cd /srv/app && git status && cp build/app.tar.gz /tmp/out/ && echo "$(date) done" >> /tmp/deploy.log`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		WritesStartup(s)
	}
}
