package shell

import (
	"strings"
	"testing"
)

// TestNamePatternsGenerated: under masking, every way of matching file
// names against a pattern the client chose is caught — globs in any path
// component and quoting, extended globs, find's name tests, the pattern
// options of ls, tree and du in every getopt spelling — wherever the
// command sits; whether a masked name matches tells it a piece at a time.
// Patterns that match every name (*, .*) and quoted text pass.
func TestNamePatternsGenerated(t *testing.T) {
	t.Parallel()
	globs := []string{"/srv/mask/al*", "/srv/mask/a?ice*", "/srv/mask/[a]l*", "/srv/mask/*@example.com", "/srv/mask/al**",
		"/srv/mask/@(al)*", "/srv/mask/al\\**", "/srv/mask/{al,bo}*", "/srv/mask/\"al\"*", "'/srv/mask/al'*", "$HOME/al*",
		"~/al*", "/srv/*/al*", "/srv/mask/????", "al*", "./a[!b]*", "/srv/mask/*.com", "/srv/mask/!(zz)", "/srv/mask/al*/x",
		"\"$HOME\"/al*", "/srv/mask/[[:alpha:]]l*"}
	globCmds := []string{"ls %s", "ls -d %s", "cat %s", "stat %s", "echo %s", "printf '%%s\\n' %s", "wc -l %s", "file %s",
		"du -sh %s", "head -n1 %s", "realpath %s", "readlink -f %s", "find %s -maxdepth 0", "cat < %s", "cd %s && pwd",
		"ls %s > /dev/null", "for f in %s; do echo $f; done", "x=(%s); echo ${#x[@]}"}
	options := []string{"ls -I 'al*' /srv/mask", "ls --ignore='al*' /srv/mask", "ls --ignore 'al*' /srv/mask",
		"ls --hide='al*' /srv/mask", "ls --hid=al /srv/mask", "ls --ign=al /srv/mask", "ls -laI'al*' /srv/mask", "ls -I'al*' /srv/mask",
		"dir -I al /srv/mask", "tree -P 'al*' /srv/mask", "tree -I zz /srv/mask", "tree -aP al /srv/mask", "tree --matchdirs -P al .",
		"du --exclude='al*' /srv/mask", "du --excl=al /srv/mask", "du -X list /srv/mask", "du -aX list /srv/mask",
		"find . -name 'al*'", "find . -iname AL", "find . -path '*al*'", "find . -regex '.*al.*'", "find . -lname x",
		"find / -wholename x", "find . -ipath x", "find . -iregex x", "find . -ilname x", "find . -iwholename x",
		"find . -type f -name al -print", "/usr/bin/find . -name al"}
	wraps := []string{"%s", "true; %s", "sudo %s", "timeout 5 %s", "echo $(%s)", "if true; then %s; fi", "nice -n 1 %s"}
	var lines []string
	for _, g := range globs {
		for _, c := range globCmds {
			lines = append(lines, strings.Replace(c, "%s", g, 1))
		}
	}
	lines = append(lines, options...)
	probes, missed := 0, 0
	for _, l := range lines {
		for _, w := range wraps {
			line := strings.Replace(w, "%s", l, 1)
			s, err := Parse(line)
			if err != nil {
				continue // refused as unreadable
			}
			probes++
			if _, ok := OutputTransform(s); !ok {
				missed++
				t.Errorf("%q: a name pattern not caught", line)
			}
		}
	}
	t.Logf("%d of %d name patterns not caught", missed, probes)
	for _, l := range []string{"ls *", "ls -la /srv/mask", "cat /srv/mask/*", "echo .* *", "ls -d -- '/srv/mask/al*'", "ls /srv/mask/al\\*",
		"echo \"a*\" 'b?' c\\?", "find . -type f", "du -sh /srv/*/", "ls -la --ignore-backups", "tree -a /srv", "[ x ] 2>/dev/null; echo ]"} {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if what, ok := namePattern(s); ok {
			t.Errorf("%q: judged a name pattern (%s)", l, what)
		}
	}
}
