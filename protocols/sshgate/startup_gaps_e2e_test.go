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
