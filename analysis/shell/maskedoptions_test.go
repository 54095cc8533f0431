package shell

import (
	"strings"
	"testing"
)

// prefixes returns every prefix of a long option getopt_long may take
// for it (three characters or more: "--b" to "--bytes").
func prefixes(long string) []string {
	var out []string
	for n := 3; n <= len(long); n++ {
		out = append(out, long[:n])
	}
	return out
}

// longSpellings spells a long option that takes value: --opt=value and
// --opt value, for every prefix.
func longSpellings(long, value string) []string {
	var out []string
	for _, p := range prefixes(long) {
		out = append(out, p+"="+value, p+" "+value)
	}
	return out
}

// rewritingSpellings enumerates the spellings of options by which a
// faithful program prints what it reads cut, re-separated, escaped, glued
// to chosen text, or chosen by a pattern: every getopt spelling (a
// bundle, an attached value, a long option's prefix), obsolete head and
// tail counts, and printf's and echo's formats and words. F is the file.
func rewritingSpellings() []string {
	var lines []string
	add := func(prog string, opts ...string) {
		for _, o := range opts {
			lines = append(lines, prog+" "+o+" F", prog+" F "+o, "cat F | "+prog+" "+o)
		}
	}
	for _, prog := range []string{"head", "tail"} {
		add(prog, longSpellings("--bytes", "5")...)
		add(prog, "-c 5", "-c5", "-qc 5", "-vc5", "-zc 5", "-n 1 -c 5")
		add(prog, "-5c", "-5b", "-1b")
	}
	add("tail", "+5c", "+5b", "+5cf", "-5cf")
	add("tac", longSpellings("--separator", "1")...)
	add("tac", longSpellings("--regex", "")...)
	add("tac", longSpellings("--before", "")...)
	add("tac", "-s 1", "-s1", "-rs 1", "-bs1", "-r -s [0-4]")
	add("nl", longSpellings("--number-separator", "9")...)
	add("nl", longSpellings("--section-delimiter", "41")...)
	for _, o := range []string{"--body-numbering", "--header-numbering", "--footer-numbering"} {
		add("nl", longSpellings(o, "p^41")...)
	}
	add("nl", "-s 9", "-s9", "-w1 -s ''", "-ba -s9", "-bp^41", "-b p^41", "-hp^41", "-f p^41", "-ba -bp^41", "-d 41", "-nrz -s0")
	add("cat", append(append(append(prefixes("--show-all"), prefixes("--show-nonprinting")...), prefixes("--show-tabs")...),
		"-v", "-A", "-e", "-t", "-T", "-nv", "-bA", "-sT")...)
	add("file", append(longSpellings("--magic-file", "/dev/stdin"), "-m /dev/stdin", "-m/dev/stdin", "-bm m", "-km m")...)
	for _, p := range []string{"sha256sum", "sha1sum", "sha512sum", "sha224sum", "md5sum", "cksum", "b2sum", "sum"} {
		lines = append(lines, p+" F", "cat F | "+p, p+" -c sums", "timeout 5 "+p+" F")
	}
	for _, p := range []string{"pgrep", "pkill"} {
		for _, o := range append([]string{"-f", "-af", "-fl", "-u root -f"}, prefixes("--full")...) {
			lines = append(lines, p+" "+o+" 'password=41'")
		}
	}
	for _, o := range append([]string{"-g 41", "-g41", "-ag 41", "MESSAGE=41", "_CMDLINE=x", "-u sshd MESSAGE=x"}, longSpellings("--grep", "41")...) {
		lines = append(lines, "journalctl "+o)
	}
	for _, f := range []string{"'%q\\n'", "%q", "'%Q'", "'%sZ'", "'Z%s'", "'%s%s'", "'%s9\\n'", "'%5.4s'", "'%x'"} {
		lines = append(lines, "printf "+f+` "$(cat F)"`, "printf -- "+f+` "$(cat F)"`, "printf "+f+" $(cat F)")
	}
	lines = append(lines, `printf '%s' 9 "$(cat F)"`, `printf -- '%s' 9 "$(cat F)"`, `printf %s%s 9 $(cat F)`,
		`echo 9$(cat F)`, `echo "9$(cat F)"`, `echo "$HOME$(cat F)"`, "echo `cat F`9", `echo -n "$(cat F)x"`,
		`printf '%s\n' "9$(cat F)"`, `echo "$(cat F)$(cat F)"`, `printf %s "$(cat F)"`, `printf '%s' $(cat F)`)
	return lines
}

// TestMaskedRewritingOptionsEverySpelling: every spelling of an option
// that makes a faithful program rewrite what it prints, or choose it by
// a pattern, is a transform under masking; the same programs' plain uses
// are not.
func TestMaskedRewritingOptionsEverySpelling(t *testing.T) {
	t.Parallel()
	lines := rewritingSpellings()
	missed := 0
	for _, l := range lines {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if _, ok := OutputTransform(s); !ok {
			missed++
			t.Errorf("%q: not caught", l)
		}
	}
	t.Logf("%d of %d rewriting spellings not caught", missed, len(lines))
	if len(lines) < 300 {
		t.Fatalf("only %d spellings: the generator is too weak", len(lines))
	}
	plain := []string{"head -n 5 F", "head --lines=5 F", "head --li 5 F", "tail -n +2 F", "tail -f F", "tail --follow=name --retry F",
		"tail -5 F", "tail +5 F", "tail -5f F", "tail -q -n1 F G", "nl F", "nl -ba F", "nl -b a F", "nl --body-numbering=t F",
		"nl -w 3 F", "nl -n rz F", "nl -v 10 -i 2 F", "printf '%s\\n' \"$(cat F)\"", "printf -- '%s\\n' \"$(cat F)\"",
		"printf '%s\\n' 9 \"$(cat F)\"", "printf '%b\\n' \"$(cat F)\"",
		"echo $(cat F)", "echo \"$(cat F)\"", "echo `cat F`", "echo 9 $(cat F)", "echo \"$HOME\" $USER", "pgrep -x sshd", "pgrep -u root -x sshd",
		"journalctl -u sshd -n 50", "journalctl _SYSTEMD_UNIT=sshd.service _PID=1", "journalctl --since=today -o cat", "printf '%s|%%\\n' x",
		"file --mime-type F", "file -b --mime-type F", "file -L -i F", "file -i -f names", "cat -n F", "cat -b F", "cat -s F", "cat -E F", "cat --number F"}
	for _, l := range plain {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if what, ok := OutputTransform(s); ok {
			t.Errorf("%q: judged a transform (%s)", l, what)
		}
	}
}

// TestRewritingOptionAnyWord: rewritingOption and printGlues take any
// word without a panic.
func TestRewritingOptionAnyWord(t *testing.T) {
	t.Parallel()
	words := []string{"", "-", "--", "+", "-=", "--=", "+c", "-b", "--b", "=", "%", "%%", "%-", "\\", "$(", "`", "\"", "-s"}
	for _, p := range []string{"head", "tail", "tac", "nl", "pgrep", "journalctl", "cat"} {
		for _, a := range words {
			for _, b := range words {
				_, _ = rewritingOption(p, []string{a, b})
			}
		}
	}
	for _, a := range words {
		for _, b := range words {
			_, _ = printGlues("printf", []string{a, b})
			_, _ = printGlues("printf", []string{a, b, strings.Repeat("$(x)", 2)})
			_, _ = printGlues("echo", []string{a, b})
		}
	}
}
