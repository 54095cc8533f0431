package sshgate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoginShellStartupFilesThroughSSHD: a login shell runs start-up
// files planted earlier (here a ~/.bash_profile and ~/.profile that cd
// home): cd W && bash -l -c 'tar xf home.tar' extracts into home, not W.
// Through the gate every spelling is refused and ~/.bashrc stays as it
// was; through the control gateway (AllowStartupWrites) the same line
// plants it, so the route is real.
func TestLoginShellStartupFilesThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	kit := plantKit(t)
	work := t.TempDir()
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	reset := func() {
		h.reset()
		for _, f := range []string{".bash_profile", ".profile"} {
			if err := os.WriteFile(filepath.Join(h.dir, f), []byte("cd \"$HOME\"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tar := "tar xf " + kit + "/home.tar"
	for _, sh := range []string{"bash -l -c", "bash --login -c", "bash -lc", "sh -l -c", "exec -l bash -c", "exec -a -bash bash -c"} {
		cmd := "cd " + work + " && " + sh + " '" + tar + "'"
		reset()
		code, out := execStatus(t, gc, cmd)
		if d := h.changed(".bashrc"); d != "" {
			t.Errorf("%s: .bashrc planted (%s): exit %d %s", cmd, d, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
		}
		reset()
		code, out = execStatus(t, oc, cmd)
		if h.changed(".bashrc") == "" {
			t.Errorf("control: %s did not plant .bashrc: exit %d %s", cmd, code, out)
		}
	}
}

// TestOwnChainAndCloneThroughSSHD: lines refused before though they write
// no start-up file now run through a real sshd and write where the gate
// judged: a cd in the middle of the line's own && chain moves the
// extraction (the files land there, home untouched), and git clone of a
// repository whose path ends in .git creates its directory. Negative
// controls: a cd across || ... ; or inside bash -c is not trusted.
func TestOwnChainAndCloneThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	kit := plantKit(t)
	work := t.TempDir()
	src := filepath.Join(kit, "src")
	for _, c := range [][]string{{"git", "init", "-q", src},
		{"git", "-C", src, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "--allow-empty", "-m", "x"},
		{"git", "clone", "-q", "--bare", src, filepath.Join(kit, "repo.git")}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	gc := g.goClient(t, g.agent)
	h.reset()
	for _, tc := range []struct{ cmd, created string }{
		{"mkdir -p " + work + "/d && cd " + work + "/d && tar xf " + kit + "/home.tar", work + "/d/.bashrc"},
		{"true && cd " + work + " && unzip -o -q " + kit + "/home.zip -d ./z", work + "/z/.ssh/rc"},
		{"test -d " + work + " && cd " + work + " && ls && git clone -q " + kit + "/repo.git c1", work + "/c1/.git/HEAD"},
		{"git clone -q " + kit + "/repo.git " + work + "/c2", work + "/c2/.git/HEAD"},
		{"git clone -q file://" + kit + "/repo.git " + work + "/c3", work + "/c3/.git/HEAD"},
	} {
		code, out := execStatus(t, gc, tc.cmd)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", tc.cmd, code, out)
		}
		if _, err := os.Stat(tc.created); err != nil {
			t.Errorf("%s: %v", tc.cmd, err)
		}
		if d := h.changed(".bashrc"); d != "" {
			t.Errorf("%s: home .bashrc changed (%s)", tc.cmd, d)
		}
	}
	for _, cmd := range []string{
		"cd " + work + " || true; tar xf " + kit + "/home.tar",
		"true && cd " + work + " || true && tar xf " + kit + "/home.tar",
		"bash -c 'cd " + work + "' && tar xf " + kit + "/home.tar",
		"cd " + work + " && bash -c 'cd ~' && tar xf " + kit + "/home.tar",
		"true && cd " + work + " && git clone -q " + kit + "/repo.git .ssh",
	} {
		code, out := execStatus(t, gc, cmd)
		if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
		}
		if d := h.changed(".bashrc"); d != "" || strings.Contains(out, "PLANTED") {
			t.Errorf("%s: .bashrc changed (%s)", cmd, d)
		}
	}
}

// TestPrefixWritersThroughSSHD: split and csplit build their output
// names from a prefix and a suffix they make up; with a prefix of a
// start-up name or a start-up directory they plant the file (the control
// gateway shows each line does), and through the gate each is refused
// with the file unchanged. A program's start-up file (~/.bash_aliases,
// which Debian's ~/.bashrc sources) is refused too.
func TestPrefixWritersThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	data := t.TempDir()
	lines := func(n int) string {
		var b strings.Builder
		for i := 1; i < n; i++ {
			b.WriteString("# filler\n")
		}
		b.WriteString("# PLANTED\n")
		return b.String()
	}
	for name, n := range map[string]int{"f18": 18, "f445": 445, "f1": 1} {
		if err := os.WriteFile(filepath.Join(data, name), []byte(lines(n)+"# after\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(data, "aliases"), []byte("# PLANTED\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	planted := func(file string) bool {
		b, err := os.ReadFile(filepath.Join(h.dir, file))
		return err == nil && strings.HasPrefix(string(b), "# PLANTED")
	}
	reset := func() {
		h.reset()
		_ = os.Remove(filepath.Join(h.dir, ".bash_aliases"))
	}
	for _, tc := range []struct{ cmd, file string }{
		{"split -l 1 -a 1 --additional-suffix=c " + data + "/f18 ~/.bash", ".bashrc"},
		{"split -l 1 " + data + "/f445 ~/.ssh/", ".ssh/rc"},
		{"cd ~/.ssh && split -l 1 " + data + "/f445 ''", ".ssh/rc"},
		{"csplit -s -f ~/.bashr -b 'c%.0d' " + data + "/f1 2", ".bashrc"},
		{"csplit -s --prefix=$HOME/.profil --suffix-format=e%.0d " + data + "/f1 2", ".profile"},
		{"cp " + data + "/aliases ~/.bash_aliases", ".bash_aliases"},
	} {
		reset()
		code, out := execStatus(t, gc, tc.cmd)
		if planted(tc.file) {
			t.Errorf("%s: %s planted: exit %d %s", tc.cmd, tc.file, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", tc.cmd, code, out)
		}
		reset()
		code, out = execStatus(t, oc, tc.cmd)
		if !planted(tc.file) {
			t.Errorf("control: %s did not plant %s: exit %d %s", tc.cmd, tc.file, code, out)
		}
	}
}

// TestDerivedNamesThroughSSHD: a program that derives the name it writes
// from its words (a backup NAME+SUFFIX, a decompressed NAME without its
// extension) or from a variable (SIMPLE_BACKUP_SUFFIX) plants a start-up
// file through the control gateway; through the gate each line is
// refused and the file unchanged.
func TestDerivedNamesThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	data := t.TempDir()
	for _, f := range []string{"planted", "other"} {
		if err := os.WriteFile(filepath.Join(data, f), []byte("# PLANTED\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range [][]string{{"gzip", "-k", filepath.Join(data, "planted")}, {"xz", "-k", filepath.Join(data, "planted")}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	planted := func(file string) bool {
		b, err := os.ReadFile(filepath.Join(h.dir, file))
		return err == nil && string(b) == "# PLANTED\n"
	}
	for _, tc := range []struct{ cmd, file string }{
		{"cp " + data + "/planted.gz ~/.bashrc.gz && gunzip -f ~/.bashrc.gz", ".bashrc"},
		{"cp " + data + "/planted.xz ~/.profile.xz && xz -df ~/.profile.xz", ".profile"},
		{"cp " + data + "/planted ~/.bash && cp --backup --suffix=rc " + data + "/other ~/.bash", ".bashrc"},
		{"cp " + data + "/planted ~/.ssh/r && cp " + data + "/other ~/o && mv -fbS c ~/o ~/.ssh/r", ".ssh/rc"},
		{"cp " + data + "/planted ~/.bash && SIMPLE_BACKUP_SUFFIX=rc cp -b " + data + "/other ~/.bash", ".bashrc"},
	} {
		h.reset()
		code, out := execStatus(t, gc, tc.cmd)
		if planted(tc.file) {
			t.Errorf("%s: %s planted: exit %d %s", tc.cmd, tc.file, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", tc.cmd, code, out)
		}
		h.reset()
		_ = os.Remove(filepath.Join(h.dir, tc.file))
		code, out = execStatus(t, oc, tc.cmd)
		if !planted(tc.file) {
			t.Errorf("control: %s did not plant %s: exit %d %s", tc.cmd, tc.file, code, out)
		}
	}
}
