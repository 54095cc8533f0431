package shell

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNameOrderGenerated: under masking, every listing that shows names
// in an order taken from the names is caught — ls and dir with any
// option but an unsorted one last (in every getopt spelling: bundles,
// long prefixes, values attached or in the next word), with an unsorted
// option undone by a later sort, tree without -U, and every glob (the
// shell sorts what it matches) — wherever the command sits. A seeded
// generator adds random bundles of ls's letters. Unsorted listings and
// ls -d over the client's own words pass.
func TestNameOrderGenerated(t *testing.T) {
	t.Parallel()
	sorted := []string{"ls", "ls -l", "ls -la", "ls -1", "ls -r", "ls -t", "ls -S", "ls -X", "ls -v", "ls -c", "ls -u",
		"ls -R", "ls -C", "ls -m", "ls -x", "ls -lh", "ls --sort=size", "ls --sort size", "ls --so=time", "ls --sor=v",
		"ls --sort=name", "ls --sort=", "ls -U -t", "ls -Ut", "ls -f -S", "ls -fv", "ls -U --sort=time", "ls --sort=none -t",
		"ls -U --time=ctime", "ls -w80", "ls -w 80", "ls -T 4", "ls -wU", "ls -w -U", "ls -TU", "ls --width U", "ls --width=4 -l",
		"ls --unknown-opt -U", "ls --s=none", "ls --d -U", "dir", "dir -l", "/bin/ls", "\\ls", "command ls", "tree", "tree -a",
		"tree -d", "tree -U -t", "tree -Ur", "tree -L U", "tree -T -U", "tree --sort=name -U", "tree -U --dirsfirst",
		"tree -U --timefmt x", "ls -- -U", "ls -l -- -f"}
	globs := []string{"cat *", "cat /srv/d/*", "echo *", "echo .*", "printf '%s\\n' /srv/d/*", "for f in *; do echo $f; done",
		"wc -c /srv/d/*", "stat -c %n */", "ls -U /srv/d/*", "ls -d /srv/d/*", "du -a /srv/*", "head -n1 ./*", "file ~/*",
		"cat /srv/d/*/x", "x=(*); echo ok", "find /srv/d/* -maxdepth 0", "cd /srv/d && cat *"}
	wraps := []string{"%s /srv/d", "%s /srv/d | head -n 1", "true; %s /srv/d", "sudo %s /srv/d", "timeout 5 %s /srv/d",
		"echo $(%s /srv/d)", "if true; then %s /srv/d; fi", "nice -n 1 %s /srv/d | cat", "cd /srv/d && %s"}
	rng := rand.New(rand.NewPCG(7, 7))
	const letters = "alhinR1sgoQbpFkZtSvXcuUfd"
	for range 300 {
		n := 1 + rng.IntN(5)
		var b strings.Builder
		for range n {
			b.WriteByte(letters[rng.IntN(len(letters))])
		}
		l := "ls -" + b.String()
		if !generatedUnsorted(b.String()) {
			sorted = append(sorted, l)
		}
	}
	probes, missed := 0, 0
	check := func(line string) {
		s, err := Parse(line)
		if err != nil {
			return // refused as unreadable
		}
		probes++
		if _, ok := OutputTransform(s); !ok {
			missed++
			t.Errorf("%q: a sorted listing not caught", line)
		}
	}
	for _, c := range sorted {
		for _, w := range wraps {
			check(strings.Replace(w, "%s", c, 1))
		}
	}
	for _, g := range globs {
		for _, w := range []string{"%s", "true; %s", "sudo %s", "echo $(%s)", "%s | head -n 1"} {
			check(strings.Replace(w, "%s", g, 1))
		}
	}
	t.Logf("%d of %d sorted listings not caught", missed, probes)
	// An unsorted listing is in the file system's order, a hash of the
	// names: refused too, as is every other listing of what a
	// directory holds.
	unsorted := []string{"ls -U", "ls -lU /srv/d", "ls -f /srv/d", "ls -laU", "ls -t -U", "ls -Sf /srv/d", "ls --sort=none",
		"ls --sort none /srv/d", "ls --so=no", "ls --sort=n", "ls -l --time-style=iso -U", "ls -w 80 -U", "ls -lU | head -n 3",
		"sudo ls -U /srv/d", "tree -U", "tree -aU /srv", "tree -U -L 2 /srv", "find /srv/d", "find /srv/d -type f", "find . -maxdepth 1",
		"find /srv -printf -maxdepth 0", "du -a /srv/d", "du /srv", "du -h --max-depth=1 /srv", "du -d 1 /srv", "du -sa /srv",
		"ls -U /srv/d | wc -l", "ls -U --color=never", "ls -U --block-size 1K", "cp -rv /srv/d /tmp/e", "rm -rv /tmp/e",
		"chmod -Rc 600 /srv/d", "chown -R -v root /srv/d", "cp -av /srv/d /tmp/e", "find /srv/d -exec ls -d {} +"}
	for _, l := range unsorted {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if _, ok := OutputTransform(s); !ok {
			t.Errorf("%q: an unsorted listing not caught", l)
		}
	}
	for _, l := range []string{"ls -d /srv/d", "ls -1d /srv/d/a /srv/d/b", "ls --directory x", "ls -dU /srv/d", "echo '*' \"*\" \\*",
		"cat /srv/d/a", "find /srv/d -maxdepth 0", "find /srv/d -maxdepth 0 -printf x", "du -s /srv/d", "du -sh /srv/d /var/log",
		"du --summarize /srv", "du -d 0 /srv", "du --max-depth=0 /srv", "cp -r /srv/d /tmp/e", "rm -r /tmp/e", "chmod -R 600 /srv/d",
		"cp -v a b", "stat -c '%n %A' /srv/d/a"} {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if what, ok := OutputTransform(s); ok {
			t.Errorf("%q: judged a listing (%s)", l, what)
		}
	}
}

// generatedUnsorted reports whether ls's short option letters, read in
// order, leave it unsorted or listing only its operands (the model the
// generator's expectations are drawn from, written apart from
// lsOrder).
func generatedUnsorted(letters string) bool {
	unsorted, d := false, false
	for _, c := range letters {
		switch {
		case c == 'U' || c == 'f':
			unsorted = true
		case strings.ContainsRune("tSvXcu", c):
			unsorted = false
		case c == 'd':
			d = true
		}
	}
	return unsorted || d
}
