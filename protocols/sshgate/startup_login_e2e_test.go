package sshgate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// loginFiles are start-up files of the fake home (a temporary directory:
// neither /root nor /home/NAME) that the evil tree holds too.
var loginFiles = []string{".bashrc", ".profile", ".ssh/authorized_keys", "bin/ls", ".config/fish/config.fish"}

// loginRoutes write into the fake home {H} (its parent {P}, its name {B},
// its path without the first slash {R}) by its absolute name or a
// relative one, from the evil tree {E} or its archives {A}/e.tar and
// {A}/e.zip: names chosen by data, and single files.
var loginRoutes = []string{
	"tar xf {A}/e.tar -C {H}",
	"tar -x -f {A}/e.tar --directory={H}//",
	"cd {P} && tar xf {A}/e.tar -C {B}",
	"cd {H} && tar xf {A}/e.tar",
	"cd {H}/x && tar xf {A}/e.tar -C ..",
	"cd / && tar xf {A}/e.tar -C {R}",
	"unzip -oq {A}/e.zip -d {H}",
	"cd {P} && unzip -oq {A}/e.zip -d ./{B}/",
	"rsync -a {E}/ {H}/",
	"rsync -a {E}/ {H}/./",
	"cp -r {E}/. {H}",
	"cp -rT {E} {H}//",
	"cd {H}/x && cp -r {E}/. ../",
	"cp {E}/bin/ls {H}/bin/ls",
	"install -m 755 {E}/bin/ls {P}/{B}//bin/ls",
	"cd {H} && cp {E}/bin/ls bin/ls",
}

// loginTree makes the evil tree (every loginFiles file, planted) and its
// tar and zip archives in a directory outside the home.
func loginTree(t *testing.T) (tree, archives string) {
	t.Helper()
	archives = t.TempDir()
	tree = filepath.Join(archives, "e")
	for _, f := range loginFiles {
		p := filepath.Join(tree, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("# PLANTED\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range [][]string{{"tar", "cf", "../e.tar", "."}, {"zip", "-qr", "../e.zip", "."}} {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir = tree
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	return tree, archives
}

// loginLine fills a route's placeholders.
func loginLine(route, home, tree, archives string) string {
	return strings.NewReplacer("{H}", home, "{P}", filepath.Dir(home), "{B}", filepath.Base(home),
		"{R}", strings.TrimPrefix(home, "/"), "{E}", tree, "{A}", archives).Replace(route)
}

// TestLoginDirectoryWritesThroughSSHD: the upstream account's home is a
// temporary directory (sshd's SetEnv HOME), which the gateway learns from
// the upstream; every route that writes its start-up files by its
// absolute or a relative name leaves them as they were and is refused.
// Through the control gateway (AllowStartupWrites) the same line changes
// them. On the old code (home known only as ~, /root, /home/NAME), the
// archive and tree routes changed the files.
func TestLoginDirectoryWritesThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, loginFiles)
	tree, archives := loginTree(t)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	var through int
	for _, r := range loginRoutes {
		cmd := loginLine(r, h.dir, tree, archives)
		h.reset()
		code, out := execStatus(t, gc, cmd)
		var changed []string
		for _, f := range loginFiles {
			if d := h.changed(f); d != "" {
				changed = append(changed, f)
			}
		}
		if len(changed) > 0 {
			through++
			t.Errorf("%s: changed %v: exit %d %s", cmd, changed, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
		}
		h.reset()
		code, out = execStatus(t, oc, cmd)
		if h.changed("bin/ls") == "" {
			t.Errorf("control: %s left bin/ls as it was: exit %d %s", cmd, code, out)
		}
	}
	if through > 0 {
		t.Logf("%d of %d routes changed a start-up file of the login directory", through, len(loginRoutes))
	}
}

// TestOrdinaryBinDirectoriesThroughSSHD: with the home learnt, a bin
// directory that is not the home's (another tree's, a project's inside
// the home) is written as any directory; the old code refused each.
func TestOrdinaryBinDirectoriesThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, nil)
	other := t.TempDir()
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	gc := g.goClient(t, g.agent)
	h.reset()
	for _, c := range []struct{ cmd, file string }{
		{"mkdir -p {O}/bin && cp ~/src {O}/bin/tool", "{O}/bin/tool"},
		{"cd {O} && mkdir -p bin && cp ~/src bin/tool2", "{O}/bin/tool2"},
		{"install -D -m 755 ~/src {O}/proj/bin/tool3", "{O}/proj/bin/tool3"},
		{"cd {O} && mkdir -p build/bin && echo ok > build/bin/VERSION", "{O}/build/bin/VERSION"},
		{"mkdir -p ~/proj/bin && cp ~/src {H}/proj/bin/tool", "{H}/proj/bin/tool"},
		{"mkdir -p {O}/site && tar xf ~/a.tar -C {O}/site", "{O}/site/src"},
	} {
		r := strings.NewReplacer("{O}", other, "{H}", h.dir)
		cmd := r.Replace(c.cmd)
		if strings.Contains(cmd, "a.tar") {
			if out, err := exec.Command("tar", "cf", filepath.Join(h.dir, "a.tar"), "-C", h.dir, "src").CombinedOutput(); err != nil {
				t.Fatalf("tar: %v %s", err, out)
			}
		}
		code, out := execStatus(t, gc, cmd)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", cmd, code, out)
		}
		if _, err := os.Stat(r.Replace(c.file)); err != nil {
			t.Errorf("%s: %v", cmd, err)
		}
	}
}

// TestLoginDirectoryUnknownThroughSSHD: when the upstream's answer gives
// no usable home (HOME=/), the home stays unknown and a bin directory
// whose parent may be a home is still refused (fail closed); Upstream.Home
// names the home without asking, and a write into it is refused though
// the account's own home is elsewhere.
func TestLoginDirectoryUnknownThroughSSHD(t *testing.T) {
	t.Parallel()
	other := t.TempDir()
	up := startSSHDWith(t, "SetEnv HOME=/\n")
	g := startGateway(t, up, homeWriteRules)
	cmd := "mkdir -p " + other + "/bin && cp /etc/hostname " + other + "/bin/tool"
	if code, out := execStatus(t, g.goClient(t, g.agent), cmd); code != ExitRefused {
		t.Errorf("home unknown: %s: exit %d, not refused: %s", cmd, code, out)
	}
	if _, err := os.Stat(other + "/bin/tool"); err == nil {
		t.Errorf("home unknown: %s wrote the file", cmd)
	}

	h := newHomeFiles(t, loginFiles)
	tree, archives := loginTree(t)
	named := startGateway(t, startSSHD(t), homeWriteRules, func(c *Config) { c.Upstream.Home = h.dir })
	nc := named.goClient(t, named.agent)
	for _, r := range []string{"tar xf {A}/e.tar -C {H}", "rsync -a {E}/ {H}/"} {
		cmd := loginLine(r, h.dir, tree, archives)
		h.reset()
		code, out := execStatus(t, nc, cmd)
		if d := h.changed("bin/ls"); d != "" || code != ExitRefused {
			t.Errorf("Upstream.Home: %s: exit %d, bin/ls %q: %s", cmd, code, d, out)
		}
	}
}

// TestParseLogin: the probe's answer after anything a start-up file
// printed; an answer without the marker, with a home that is / or
// relative, or with fields missing or extra, leaves the home unknown.
func TestParseLogin(t *testing.T) {
	good := "motd\n" + loginMarker + "/srv/app\x00/srv/app\x00/data/app\x00/data/app\x00"
	l, ok := parseLogin([]byte(good))
	if !ok || l.Home != "/srv/app" || l.Dir != "/srv/app" || len(l.Aliases) != 2 || l.Aliases[0] != "/data/app" {
		t.Errorf("parseLogin(%q) = %+v, %v", good, l, ok)
	}
	if l, ok := parseLogin([]byte(loginMarker + "/srv/my app/\x00\x00\x00\x00")); !ok || l.Home != "/srv/my app" || l.Dir != "" {
		t.Errorf("blank and empty fields: %+v, %v", l, ok)
	}
	for _, bad := range []string{
		"", "/srv/app\x00/srv/app\x00", loginMarker + "/\x00/\x00/\x00/\x00", loginMarker + "app\x00/a\x00/a\x00/a\x00",
		loginMarker + "\x00/a\x00/a\x00/a\x00", loginMarker + "/a\x00/a\x00/a\x00", loginMarker + "/a\x00/a\x00/a\x00/a\x00/b\x00",
		loginMarker + "/a\x00/a\x00/a\x00/a", loginMarker + "/a\nb\x00/a\x00/a\x00/a\x00",
	} {
		if l, ok := parseLogin([]byte(bad)); ok {
			t.Errorf("parseLogin(%q) = %+v, want unknown", bad, l)
		}
	}
}
