package sshgate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// plantKit makes, outside the fake home, a tree holding .bashrc and
// .ssh/rc with planted content, that tree as a tar and a zip archive, and
// a patch turning the original .bashrc into the planted one.
func plantKit(t *testing.T) string {
	t.Helper()
	a := t.TempDir()
	tree := filepath.Join(a, "tree")
	if err := os.MkdirAll(filepath.Join(tree, ".ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".bashrc", ".ssh/rc"} {
		if err := os.WriteFile(filepath.Join(tree, f), []byte("# PLANTED\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	diff := "--- a/.bashrc\n+++ b/.bashrc\n@@ -1 +1 @@\n-# original\n+# PLANTED\n"
	if err := os.WriteFile(filepath.Join(a, "bashrc.diff"), []byte(diff), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{{"tar", "cf", filepath.Join(a, "home.tar"), "-C", tree, "."}, {"zip", "-qr", filepath.Join(a, "home.zip"), "."}} {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir = tree
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	return a
}

// dataStartupRoutes write names chosen by data ({A}: the plantKit) into a
// directory {D}; file is the start-up file they would plant there.
var dataStartupRoutes = []struct{ cmd, file string }{
	{"tar xf {A}/home.tar -C {D}", ".bashrc"},
	{"cd {D} && tar xf {A}/home.tar", ".bashrc"},
	{"tar -x -f {A}/home.tar --directory {D}", ".ssh/rc"},
	{"unzip -o -q {A}/home.zip -d {D}", ".bashrc"},
	{"cd {D} && patch -p1 < {A}/bashrc.diff", ".bashrc"},
	{"cd {D} && git apply {A}/bashrc.diff", ".bashrc"},
	{"cp -r {A}/tree/. {D}", ".bashrc"},
	{"cp -rT {A}/tree {D}", ".ssh/rc"},
	{"rsync -a {A}/tree/ {D}", ".bashrc"},
	{"mkdir -p {D}/.bashrc.d && cp {A}/tree/.bashrc {D}/.bashrc.d/x", ".bashrc.d/x"},
}

// TestDataNamedStartupWritesRefusedThroughSSHD is a generator through a
// real sshd: each route that writes names from data (an archive, a
// patch, a merged copy) into each spelling of the home directory is
// refused and leaves the start-up file as it was; with
// Config.AllowStartupWrites the same line plants it (so the route works),
// and into an ordinary directory it is not refused.
func TestDataNamedStartupWritesRefusedThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	kit := plantKit(t)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	planted := func(file string) string {
		if filepath.Base(filepath.Dir(file)) == ".bashrc.d" {
			if _, err := os.Lstat(filepath.Join(h.dir, file)); err == nil {
				return "created"
			}
			return ""
		}
		return h.changed(file)
	}
	reset := func() {
		h.reset()
		_ = os.RemoveAll(filepath.Join(h.dir, ".bashrc.d"))
	}
	line := func(route, dir string) string {
		return strings.NewReplacer("{A}", kit, "{D}", dir).Replace(route)
	}
	for _, r := range dataStartupRoutes {
		for _, d := range []string{"~", "$HOME", "${HOME}", "~/", "~/x/..", `"$HOME"`} {
			cmd := line(r.cmd, d)
			reset()
			code, out := execStatus(t, gc, cmd)
			if p := planted(r.file); p != "" {
				t.Errorf("%s: %s planted (%s): exit %d %s", cmd, r.file, p, code, out)
			} else if code != ExitRefused {
				t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
			}
			reset()
			code, out = execStatus(t, oc, cmd)
			if planted(r.file) == "" {
				t.Errorf("control: %s did not plant %s: exit %d %s", cmd, r.file, code, out)
			}
		}
		if strings.Contains(r.cmd, ".bashrc.d") {
			continue
		}
		reset()
		if err := os.MkdirAll(filepath.Join(h.dir, "proj"), 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(h.dir, "proj", ".bashrc"), []byte(startupOriginal), 0o644)
		cmd := line(r.cmd, "~/proj")
		if code, out := execStatus(t, gc, cmd); code == ExitRefused || code != 0 {
			t.Errorf("into an ordinary directory: %s: exit %d %s", cmd, code, out)
		}
	}
}

// TestDataNamedStartupWritesRefusedThroughOpenSSHClients: the receiving
// ends sshd runs for the old scp protocol (scp -O: scp -t DIR) and for
// rsync (rsync --server ... DIR) take their names from the sender: into
// the home directory they are refused, the start-up file unchanged;
// through the control gateway the same copy plants it.
func TestDataNamedStartupWritesRefusedThroughOpenSSHClients(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	kit := plantKit(t)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	src := filepath.Join(kit, "tree", ".bashrc")
	copies := map[string]func(gw *gateway) result{
		"scp -O": func(gw *gateway) result {
			args := sshArgs(gw.addr, gw.agent, "-P")
			host := args[len(args)-1]
			return run(t, "", "scp", append(append([]string{"-O"}, args[:len(args)-1]...), src, host+":~/")...)
		},
		"rsync": func(gw *gateway) result {
			args := sshArgs(gw.addr, gw.agent, "-p")
			host := args[len(args)-1]
			return run(t, "", "rsync", "-e", "ssh "+strings.Join(args[:len(args)-1], " "), src, host+":~/")
		},
	}
	for name, cp := range copies {
		h.reset()
		r := cp(g)
		if d := h.changed(".bashrc"); d != "" {
			t.Errorf("%s: .bashrc changed (%s): %+v", name, d, r)
		}
		if r.code == 0 {
			t.Errorf("%s: no error: %+v", name, r)
		}
		h.reset()
		r = cp(open)
		if h.changed(".bashrc") == "" {
			t.Errorf("control: %s left .bashrc as it was: %+v", name, r)
		}
	}
}
