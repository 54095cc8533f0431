package shell

import (
	"strings"
	"testing"
)

// TestNameNotationGenerated: under masking, every way of printing names
// cut, padded or escaped is caught — find's and stat's formats with
// flags, a width or a precision in each directive and option spelling,
// ls's -q in any bundle, --hide-control-chars and its prefixes, the
// shell-escape quoting styles and their prefixes, and QUOTING_STYLE set
// by any means the shell has — wherever the command sits. Plain formats
// and notations the masker reads pass.
func TestNameNotationGenerated(t *testing.T) {
	t.Parallel()
	var lines []string
	for _, dir := range []string{"%.5f", "%5.3f", "%-30f", "%05p", "%.1P", "%+h", "% f", "%#l", "%'f", "%*f"} {
		lines = append(lines, "find /d -printf '"+dir+"\\n'", "find /d -type f -printf 'x"+dir+"'", "find /d -fprintf /dev/stdout '"+dir+"'",
			"stat -c '"+dir+"' /d/a", "stat --format='"+dir+"' /d/a", "stat --printf '"+dir+"' /d/a", "stat -Lc'"+dir+"' /d/a",
			"stat --form='"+dir+"' /d/a")
	}
	for _, o := range []string{"-q", "-Uq", "-qU", "-lqa", "--hide-control-chars", "--hide-c", "--quoting-style=shell-escape",
		"--quoting-style shell-escape-always", "--quoting=shell-escape", "--quoting-style=shell-e", "--quoting-style=nonsense",
		"--quo=shell-escape-a", "-w 80 -q"} {
		lines = append(lines, "ls -U "+o+" /d", "dir -U "+o+" /d")
	}
	lines = append(lines, []string{"QUOTING_STYLE=shell-escape ls -U /d", "env QUOTING_STYLE=shell-escape ls -U /d",
		"export QUOTING_STYLE=shell-escape; ls -U /d", "export QUOTING\"_STYLE\"=shell-escape; ls -U /d",
		"export QUO{T,}ING_STYLE=shell-escape; ls -U /d", "export QUOTING$'\\x5f'STYLE=x; ls -U /d", "QUOTING_STYLE=x; export QUOTING_STYLE; ls -f /d",
		"printf -v QUOTING_STYLE x; export QUOTING_STYLE; ls -U /d", "printf -v QUOT'ING'_STYLE x; export QUOT'ING'_STYLE; ls -U",
		"env {QUOTING,X}_STYLE=x ls -U", "env -S 'QUOTING_STYLE=x ls -U'", "local QUOTING_STYLE=x"}...)
	wraps := []string{"%s", "true; %s", "sudo %s", "timeout 5 %s", "echo $(%s)", "if true; then %s; fi"}
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
				t.Errorf("%q: a cut or escaped name not caught", line)
			}
		}
	}
	t.Logf("%d of %d cut or escaped names not caught", missed, probes)
	for _, l := range []string{"find /d -printf '%f\\n'", "find /d -printf '%p %s %%\\n'", "stat -c '%n %s' /d/a", "stat --format=%n /d/a",
		"ls -U -b /d", "ls -U --quoting-style=c /d", "ls -U --quoting-style=escape /d", "ls -lU --show-control-chars /d",
		"ls -U -w 5 /d", "export LANG=C; ls -U /d", "env LC_ALL=C ls -U /d", "ls -U --hide=x /d"} {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if _, ok := nameNotation(s, parseLine(l)); ok && !strings.Contains(l, "--hide=") {
			t.Errorf("%q: judged a cut or escaped name", l)
		}
	}
}
