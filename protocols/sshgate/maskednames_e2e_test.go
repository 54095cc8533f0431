package sshgate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMaskedNamesNoPatternOracle: under a decision that masks e-mail
// addresses, a directory holds a file named by one. For each way of
// matching names against a pattern (globs, find's name tests, ls -I and
// --hide, du --exclude), the command is run through the gateway and a
// real sshd twice, with a pattern the hidden name matches and one it does
// not: what the client gets (stdout, stderr and exit status, the pattern
// itself put aside) must be the same, or the name is told a character at
// a time.
func TestMaskedNamesNoPatternOracle(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	dir := filepath.Join(t.TempDir(), "mask-names")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alice.smith@example.com"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "readme"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	templates := []string{
		"ls -d {D}/{P}*", "echo {D}/{P}*", "ls {D}/{P}* >/dev/null 2>&1; echo $?", "stat -c %s {D}/{P}*", "cat {D}/{P}*", "wc -l {D}/{P}*",
		"ls -d {D}/{P}[a-z]*", "ls -d {D}/{P}?????*", "for f in {D}/{P}*; do echo $f; done", "cd {D}/{P}* 2>&1; pwd",
		"find {D} -name '{P}*'", "find {D} -iname '{P}*'", "find {D} -path '*/{P}*'", "find {D} -regex '.*/{P}.*'",
		"ls -I '{P}*' {D}", "ls --ignore='{P}*' {D}", "ls --hide='{P}*' {D}", "ls -1I'{P}*' {D}", "du -a --exclude='{P}*' {D}",
		"ls {D} | cat; ls -d {D}/{P}* 2>/dev/null | wc -l", "head -n1 {D}/{P}*", "file {D}/{P}*",
	}
	const hit, miss = "ali", "zqx"
	probes, leaks := 0, 0
	answer := func(line, pattern string) string {
		r := g.ssh(g.agent, []string{"-T"}, line)
		norm := func(s string) string { return strings.ReplaceAll(s, pattern, "{P}") }
		return norm(r.stdout) + "\x00" + norm(r.stderr) + "\x00" + string(rune('0'+r.code%64))
	}
	results := make([][2]string, len(templates))
	eachConcurrently(len(templates), 4, func(i int) {
		tpl := strings.ReplaceAll(templates[i], "{D}", dir)
		results[i] = [2]string{answer(strings.ReplaceAll(tpl, "{P}", hit), hit), answer(strings.ReplaceAll(tpl, "{P}", miss), miss)}
	})
	for i, r := range results {
		probes++
		if r[0] != r[1] {
			leaks++
			t.Errorf("%s: the answer tells whether the masked name matches:\n hit  %q\n miss %q", templates[i], r[0], r[1])
		}
		if strings.Contains(r[0], "alice.smith@example.com") {
			t.Errorf("%s: the masked name reached the client", templates[i])
		}
	}
	t.Logf("%d of %d name patterns answered differently for a masked name", leaks, probes)
}
