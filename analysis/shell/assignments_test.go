package shell

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// assignmentForms are the ways bash assigns a variable named @N the value
// @V, each followed by a read-only command that then runs under it.
var assignmentForms = []string{
	"@N=@V; cat f", "@N=@V cat f", "export @N=@V; cat f", "declare @N=@V; cat f", "declare -x @N=@V; cat f",
	"typeset @N=@V; cat f", "readonly @N=@V; cat f", "f() { local @N=@V; cat f; }; f",
	"for @N in @V; do :; done; cat f", "for @N in @V; do cat f; done", "select @N in @V; do break; done </dev/null; cat f",
	": ${@N=@V}; cat f", ": ${@N:=@V}; cat f", "echo \"${@N:=@V}\"; cat f", "cat \"${@N:=@V}\"",
	"read @N <<< @V; cat f", "read -r @N < f; cat f", "printf -v @N @V; cat f", "printf -v@N @V; cat f",
	"getopts a @N; cat f", "mapfile @N < f; cat f", "readarray @N < f; cat f", "wait -p @N; cat f", "wait -n -p @N; cat f",
	"declare -n r=@N; r=@V; cat f", "(( @N = 1 )); cat f", "let @N=1; cat f", "eval @N=@V; cat f",
	"@N+=@V; cat f", "export @N+=@V; cat f", "coproc @N { :; }; cat f",
}

// TestAssignmentsToDangerousVariablesAreNotReadOnly runs every assignment
// form with every variable that changes which program runs or what it does:
// the line must not be read-only (the rules would let it through).
func TestAssignmentsToDangerousVariablesAreNotReadOnly(t *testing.T) {
	names := make([]string, 0, len(dangerousEnv))
	for n := range dangerousEnv {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, form := range assignmentForms {
		for _, n := range names {
			line := strings.ReplaceAll(strings.ReplaceAll(form, "@N", n), "@V", "/tmp/x")
			s, err := Parse(line)
			if err != nil {
				continue // refused: not run
			}
			if s.ReadOnly || !s.Dynamic {
				t.Errorf("%q: read_only=%v dynamic=%v", line, s.ReadOnly, s.Dynamic)
			}
		}
	}
}

// TestAssignmentFormsChangePATHInBash runs every assignment form in real
// bash with PATH set to a directory of logging stubs: where the stub cat
// ran, the form did change which program runs, and the analyser must have
// said so. It checks that the forms above are live, not imagined.
func TestAssignmentFormsChangePATHInBash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs shells")
	}
	shells := realShells(t)
	dir := t.TempDir()
	bin := stubDir(t, dir, shells)
	// f, read by the forms that read a value from it.
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte(bin+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, form := range assignmentForms {
		line := strings.ReplaceAll(strings.ReplaceAll(form, "@N", "PATH"), "@V", bin)
		ran := runEnv(t, shells["bash"], "/usr/bin:/bin", dir, line)
		if !slices.Contains(ran, "cat") {
			t.Logf("not live in bash: %q", line)
			continue
		}
		live++
		if s, err := Parse(line); err == nil && !s.Dynamic {
			t.Errorf("%q ran the stub cat in bash; analyser: dynamic=%v read_only=%v", line, s.Dynamic, s.ReadOnly)
		}
	}
	if live < 14 {
		t.Fatalf("only %d of %d forms changed PATH in bash", live, len(assignmentForms))
	}
	t.Logf("%d of %d forms changed PATH in bash", live, len(assignmentForms))
}
