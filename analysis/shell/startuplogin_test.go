package shell

import (
	"path"
	"strings"
	"testing"
)

// loginHomes are login directories of the accounts the generator logs in
// as: outside /root and /home/NAME, the usual ones, and one with a blank.
var loginHomes = []string{"/srv/app", "/opt/x", "/var/lib/svc", "/home/u", "/root", "/srv/my app"}

// loginTargets are start-up files relative to the home directory.
var loginTargets = []string{".bashrc", ".profile", ".ssh/authorized_keys", "bin/ls", ".config/systemd/user/x.service",
	".config/fish/config.fish"}

// loginDirTargets are directories relative to the home directory that a
// data-chosen write (an archive, a tree copy, a clone) plants into.
var loginDirTargets = []string{"", "bin", ".ssh", ".config"}

// loginSpelling spells the home directory h before rel (a path relative
// to it, "" for h itself): the returned prefix goes before the line (a
// cd), the word names the path. The line runs in h, the login directory.
type loginSpelling func(h, rel string) (pre, word string)

// loginSpellings are the names of a path inside h: absolute, with // and
// /./, with .. through a sibling, relative to the login directory, up
// and back down from it, after ~ with .., and relative to a cd into h or
// its parent.
var loginSpellings = map[string]loginSpelling{
	"absolute": func(h, rel string) (string, string) { return "", join(h, rel) },
	"slashes": func(h, rel string) (string, string) {
		return "", strings.ReplaceAll(h, "/", "//") + "//" + rel
	},
	"dot":       func(h, rel string) (string, string) { return "", h + "/./" + rel },
	"sibling..": func(h, rel string) (string, string) { return "", path.Dir(h) + "/x/../" + path.Base(h) + "/" + rel },
	"trailing/": func(h, rel string) (string, string) { return "", join(h, rel) + "/" },
	"relative": func(h, rel string) (string, string) {
		if rel == "" {
			return "", "."
		}
		return "", rel
	},
	"up-down":  func(h, rel string) (string, string) { return "", join("../"+path.Base(h), rel) },
	"tilde..":  func(h, rel string) (string, string) { return "", join("~/../"+path.Base(h), rel) },
	"$HOME/..": func(h, rel string) (string, string) { return "", join("$HOME/../"+path.Base(h), rel) },
	"cd-home":  func(h, rel string) (string, string) { return "cd " + quoteWord(h) + " && ", orDot(rel) },
	"cd-parent": func(h, rel string) (string, string) {
		return "cd " + quoteWord(path.Dir(h)) + " && ", join(path.Base(h), rel)
	},
	"cd-home//": func(h, rel string) (string, string) { return "cd " + quoteWord(h+"//") + " && ", "./" + rel },
	"cd-sub-..": func(h, rel string) (string, string) { return "cd " + quoteWord(h+"/proj") + " && ", join("..", rel) },
	"cd-/":      func(h, rel string) (string, string) { return "cd / && ", join(h[1:], rel) },
}

// loginFileRoutes write the file {P}.
var loginFileRoutes = []string{
	"cp /tmp/evil {P}", "mv /tmp/evil {P}", "install -m 755 /tmp/evil {P}", "tee {P} < /tmp/evil",
	"cat /tmp/evil > {P}", "echo x >> {P}", "sed -i s/a/b/ {P}", "ln -sf /tmp/evil {P}", "curl -so {P} file:///tmp/evil",
	"curl --output {P} file:///tmp/evil", "dd if=/tmp/evil of={P}", "rsync /tmp/evil {P}",
	"python3 -c \"open('{P}','w').write('x')\"",
}

// loginDirRoutes write names chosen by data into the directory {P}.
var loginDirRoutes = []string{
	"tar xf /tmp/e.tar -C {P}", "tar -x -f /tmp/e.tar --directory={P}", "unzip -o /tmp/e.zip -d {P}",
	"rsync -a /tmp/e/ {P}", "cp -r /tmp/e/. {P}", "git clone https://example.com/r.git {P}", "cp -rT /tmp/e {P}",
}

// join is dir/rel, dir when rel is "".
func join(dir, rel string) string {
	if rel == "" {
		return dir
	}
	return dir + "/" + rel
}

// orDot is rel, or . for the directory itself.
func orDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

// quoteWord quotes a word with a blank in it; others (~, $HOME) stay as
// they are.
func quoteWord(w string) string {
	if !strings.Contains(w, " ") {
		return w
	}
	return "'" + w + "'"
}

// loginProbe is one generated line and the login it runs under.
type loginProbe struct {
	line  string
	login Login
}

// loginProbes generates every home x route x target x spelling.
func loginProbes() []loginProbe {
	var out []loginProbe
	add := func(h string, routes, targets []string) {
		for _, route := range routes {
			for _, rel := range targets {
				for _, name := range sortedKeys(loginSpellings) {
					pre, w := loginSpellings[name](h, rel)
					if strings.Contains(route, "'{P}'") {
						if strings.HasPrefix(w, "~") {
							continue // no shell expands ~ inside Python's string
						}
					} else {
						w = quoteWord(w)
					}
					out = append(out, loginProbe{line: pre + strings.ReplaceAll(route, "{P}", w), login: Login{Home: h}})
				}
			}
		}
	}
	for _, h := range loginHomes {
		add(h, loginFileRoutes, loginTargets)
		add(h, loginDirRoutes, loginDirTargets)
	}
	return out
}

// sortedKeys returns m's keys in order, so failures read the same each run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// TestKnownHomeWritesRefused: with the login directory known, every write
// of a start-up file of it (or of data-chosen names into it), by any
// spelling of its path, is a start-up write, wherever the home lies.
func TestKnownHomeWritesRefused(t *testing.T) {
	t.Parallel()
	var missed, total int
	for _, p := range loginProbes() {
		s, err := Parse(p.line)
		if err != nil {
			t.Fatalf("%s: %v", p.line, err)
		}
		total++
		if _, ok := WritesStartupFor(s, p.login); !ok {
			missed++
			if missed <= 40 {
				t.Errorf("home %s: %s: not a start-up write", p.login.Home, p.line)
			}
		}
	}
	if missed > 0 {
		t.Errorf("%d of %d generated writes into a known home passed", missed, total)
	}
}

// knownHomeOrdinary are lines of ordinary work outside the login
// directory (or in a project below it): builds into a bin directory that
// is not the home's, copies and extractions into project directories.
var knownHomeOrdinary = []struct{ home, line string }{
	{"/home/u", "cd /srv/other && go build -o bin/app ./cmd/app"},
	{"/home/u", "go build -o /srv/other/bin/app ./cmd/app"},
	{"/home/u", "mkdir -p /srv/other/bin && cp build/app /srv/other/bin/"},
	{"/home/u", "install -m 755 build/app /opt/x/bin/app"},
	{"/home/u", "cp build/app /var/lib/svc/bin/app"},
	{"/home/u", "cd /srv/other && make && cp out/app bin/app"},
	{"/home/u", "tar xf /tmp/a.tar -C /srv/other/proj"},
	{"/home/u", "rsync -a src/ /srv/other/proj/"},
	{"/home/u", "cp -r build/. /srv/other/site"},
	{"/home/u", "unzip -o /tmp/a.zip -d /srv/other/proj"},
	{"/home/u", "echo ok > /srv/other/bin/VERSION"},
	{"/home/u", "ln -sf /srv/other/releases/5 /srv/other/bin"},
	{"/srv/app", "cp build/app /srv/app/proj/bin/tool"},
	{"/srv/app", "cd /srv/app/proj && go build -o bin/app ./cmd/app"},
	{"/srv/app", "tar xf /tmp/a.tar -C /srv/app/proj"},
	{"/srv/app", "tar xf /tmp/a.tar -C proj"},
	{"/srv/app", "cp -r /tmp/e/. proj/site"},
	{"/srv/app", "go build -o /srv/application/bin/app ./cmd/app"},
	{"/srv/app", "cp x /srv/app2/bin/ls"},
	{"/srv/app", "cd /srv/other && tar xf /tmp/a.tar -C proj"},
	{"/srv/app", "sed -i s/a/b/ /srv/app/proj/main.go"},
	{"/srv/app", "cd /srv && go build -o other/bin/app ./cmd/app"},
	{"/opt/x", "cp build/app /opt/y/bin/app"},
	{"/srv/my app", "cp build/app '/srv/my app/proj/bin/app'"},
}

// TestKnownHomeOrdinaryWorkPasses: with the login directory known, a bin
// directory that is not the home's is an ordinary directory.
func TestKnownHomeOrdinaryWorkPasses(t *testing.T) {
	for _, c := range knownHomeOrdinary {
		s, err := Parse(c.line)
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		if w, ok := WritesStartupFor(s, Login{Home: c.home}); ok {
			t.Errorf("home %s: %s: refused as a start-up write (%s)", c.home, c.line, w)
		}
	}
}
