package shell

import (
	"slices"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// bashReadOnly is the verdict of the bash reading alone.
func bashReadOnly(t *testing.T, cmd string) bool {
	t.Helper()
	s, err := analyse(cmd, syntax.LangBash)
	if err != nil {
		t.Fatalf("%q: %v", cmd, err)
	}
	return s.ReadOnly
}

// dialectsAgree says every dialect parses cmd to the bash reading.
func dialectsAgree(cmd string) bool {
	b, err := analyse(cmd, syntax.LangBash)
	if err != nil {
		return false
	}
	for _, lang := range dialects {
		o, err := analyse(cmd, lang)
		if err != nil || !agree(b, o) {
			return false
		}
	}
	return true
}

// TestDialectDifferentials: a line that bash reads as read-only but another
// shell reads differently is dynamic, not read-only, and lists what any
// reading runs.
func TestDialectDifferentials(t *testing.T) {
	for _, c := range []struct {
		cmd  string
		want []string // programs that must be listed
	}{
		{`sh -c "cat \$'a\\' ; rm -f f ; cat '\\'"`, []string{"sh", "cat", "rm"}},
		{`dash -c "cat \$'a\\' ; rm -f f ; cat '\\'"`, []string{"dash", "cat", "rm"}},
		{`cat $'a\' ; rm -f f ; cat '\'`, []string{"cat", "rm"}},
		{`env sh -c "cat \$'a\\' ; rm -f f ; cat '\\'"`, []string{"env", "sh", "rm"}},
		{"echo ${a[@]} ${#a[*]}", []string{"echo"}},
		{"[[ 1 -eq 1 ]] && ls", []string{"ls", "[["}},
		{"[ -f x ] && echo ${!a*} ${x@Q}", []string{"echo"}},
		{"cat <(ls)", []string{"cat", "ls"}},
		{"cat <<< x", []string{"cat"}},
		{"function f { ls; }; f", []string{"ls"}},
		{"ls !(x)", []string{"ls"}},
	} {
		s, err := Parse(c.cmd)
		if err != nil {
			continue // refused: as safe as a dynamic verdict
		}
		if s.ReadOnly || !s.Dynamic {
			t.Errorf("%q: read_only=%v dynamic=%v, want not read-only and dynamic", c.cmd, s.ReadOnly, s.Dynamic)
		}
		for _, p := range c.want {
			if !slices.Contains(s.Programs, p) {
				t.Errorf("%q: programs %q lack %q", c.cmd, s.Programs, p)
			}
		}
	}
}

// TestDialectsAgreeKeepsVerdict: lines every dialect reads alike keep
// their read-only verdict and program list.
func TestDialectsAgreeKeepsVerdict(t *testing.T) {
	for _, cmd := range []string{"ls -la /tmp", "grep -rn x . | head -5", "sh -c 'ls; cat f'", "cat 'a\\' ; ls", `cat $"a" ; ls`, "echo {a,b}"} {
		s, err := Parse(cmd)
		if err != nil || !s.ReadOnly || s.Dynamic {
			t.Errorf("%q: %v %+v, want read-only", cmd, err, s)
		}
	}
}

// TestControlBytesRefused: CR, other control characters and non-UTF-8
// bytes are refused wherever they appear, the nested scripts too.
func TestControlBytesRefused(t *testing.T) {
	for _, cmd := range []string{
		"cat f \\\r\nrm -f f", "cat f # \\\r\ntouch g", "cat f\rrm f", "ls\x0b; rm f", "ls\x1b", "ls\x7f",
		"ls \xff", "sh -c 'cat f \\\r\nrm f'", "ls\x0c", "cat f\r\n",
		"cat f # \\\ntouch g", "{ cat f # x\\\ntouch g\n}", // a comment ends at the newline
	} {
		if s, err := Parse(cmd); err == nil {
			t.Errorf("%q: accepted as %q read_only=%v, want refused", cmd, s.Programs, s.ReadOnly)
		}
	}
	for _, cmd := range []string{"ls\t-l", "ls\nls", "cat 'é'"} {
		if _, err := Parse(cmd); err != nil {
			t.Errorf("%q: %v", cmd, err)
		}
	}
	if !strings.Contains(checkBytes("a\rb").Error(), "0x0d") {
		t.Errorf("error names no byte: %v", checkBytes("a\rb"))
	}
}
