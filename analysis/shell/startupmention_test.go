package shell

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// mentionNames are the start-up names of startup.go's lists, as code
// would spell them relative to the home directory.
func mentionNames() []string {
	var out []string
	for n := range startupNames {
		out = append(out, n)
	}
	for d, files := range toolFiles {
		for f := range files {
			out = append(out, d+"/"+f)
		}
	}
	for h := range gitHooks {
		out = append(out, ".git/hooks/"+h)
	}
	for d, files := range configDirs {
		for _, f := range files {
			switch {
			case f == "*":
				f = "x.conf"
			case f[0] == '.':
				f = "x" + f
			}
			out = append(out, ".config/"+d+"/"+f)
		}
	}
	for f := range configFiles {
		out = append(out, ".config/"+f)
	}
	for d, files := range nestedDirs {
		f := files[0]
		switch {
		case f == "*":
			f = "x.conf"
		case f[0] == '.':
			f = "x" + f
		}
		out = append(out, d+"/"+f)
	}
	out = append(out, ".git/config", "y.git/config", ".config/systemd/user/x.service", "site-packages/x.pth",
		"site-packages/sitecustomize.py", ".local/bin/ls", ".local/share/systemd/user/x.service",
		".bashrc.d/x.sh", ".vim/plugin/x.vim", ".emacs.d/init.el")
	sort.Strings(out)
	return out
}

// quotingStyles spell name n in a shell word of inline code, at two
// levels (the shell's quoting and the language's literals), split at k.
var quotingStyles = []struct {
	name string
	line func(n string, k int) string
}{
	{"single-outer double-literal", func(n string, k int) string { return `python3 -c 'open("` + n + `","w")'` }},
	{"escaped double quotes", func(n string, k int) string { return `python3 -c "open(\"` + n + `\",'w')"` }},
	{"escaped quotes in unquoted word", func(n string, k int) string { return `python3 -c open\(\"` + n + `\",\"w\"\)` }},
	{"shell concatenation ''", func(n string, k int) string { return `python3 -c 'open("` + n[:k] + `''` + n[k:] + `","w")'` }},
	{"shell concatenation \"\"", func(n string, k int) string { return `python3 -c "open('` + n[:k] + `""` + n[k:] + `','w')"` }},
	{"mixed literal quotes", func(n string, k int) string { return `python3 -c "open('` + n[:k] + `'\"` + n[k:] + `\",'w')"` }},
	{"literal juxtaposition", func(n string, k int) string { return `python3 -c 'open("` + n[:k] + `" "` + n[k:] + `","w")'` }},
	{"literal +", func(n string, k int) string { return `python3 -c 'open("` + n[:k] + `"+"` + n[k:] + `","w")'` }},
	{"perl .", func(n string, k int) string { return `perl -e 'open(F, ">", "` + n[:k] + `"."` + n[k:] + `")'` }},
	{"$'' hex", func(n string, k int) string {
		return `python3 -c $'open(\'` + n[:k] + fmt.Sprintf(`\x%02x`, n[k]) + n[k+1:] + `\',"w")'`
	}},
	{"$'' octal", func(n string, k int) string {
		return `python3 -c $'open(\'` + n[:k] + fmt.Sprintf(`\%03o`, n[k]) + n[k+1:] + `\',"w")'`
	}},
	{"language hex escape", func(n string, k int) string {
		return `python3 -c 'open("` + n[:k] + fmt.Sprintf(`\x%02x`, n[k]) + n[k+1:] + `","w")'`
	}},
	{"language octal escape", func(n string, k int) string {
		return `python3 -c 'open("` + n[:k] + fmt.Sprintf(`\%03o`, n[k]) + n[k+1:] + `","w")'`
	}},
	{"language unicode escape", func(n string, k int) string {
		return `python3 -c 'open("` + n[:k] + fmt.Sprintf(`\u%04x`, n[k]) + n[k+1:] + `","w")'`
	}},
	{"backslash inside unquoted word", func(n string, k int) string {
		return `python3 -c open\(\'` + n[:k] + `\` + n[k:] + `\',\'w\'\)`
	}},
	{"here-document", func(n string, k int) string {
		return "python3 <<'EOF'\nopen('" + n[:k] + "' '" + n[k:] + "', 'w')\nEOF"
	}},
	{"expansion inside the name", func(n string, k int) string {
		if k == 0 {
			k = 1
		}
		return `python3 -c "open('` + n[:k] + `$x','w')"`
	}},
}

// TestMentionedStartupNamesAnyQuoting: every start-up name × every
// quoting style × every split point is seen in inline code.
func TestMentionedStartupNamesAnyQuoting(t *testing.T) {
	t.Parallel()
	passed, total := 0, 0
	for _, n := range mentionNames() {
		for _, st := range quotingStyles {
			for _, k := range []int{0, 1, len(n) / 2, len(n) - 1} {
				if st.name == "expansion inside the name" && (n[0] != '.' || strings.Contains(n[:max(k, 2)], "/") || k < 2) {
					continue // the known head must start a top-level dot name
				}
				line := st.line(n, k)
				total++
				if _, ok := startupVerdict(t, line); !ok {
					passed++
					if passed <= 20 {
						t.Errorf("%s (%s): passed", line, st.name)
					}
				}
			}
		}
	}
	if passed > 0 {
		t.Errorf("%d of %d lines passed", passed, total)
	}
	t.Logf("%d lines judged", total)
}

// TestInlineCodeOrdinaryLines: inline code that names no start-up file
// still passes.
func TestInlineCodeOrdinaryLines(t *testing.T) {
	for _, line := range []string{
		`python3 -c 'print("hello")'`, `python3 -c "import sys; print(sys.argv)" a b`,
		`python3 -c 'open("/tmp/x","w").write("a" "b")'`, `perl -e 'print "a" . "b"'`,
		`python3 -c 'print("\x41\n")'`, `python3 -c 'open(sys.argv[1], "w")' /tmp/x`,
		`python3 - <<'EOF'` + "\nprint('done')\nEOF", `node -e 'console.log(1+2)'`,
	} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}
