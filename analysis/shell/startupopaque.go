package shell

import (
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// OpaqueCode reports why s runs code the analysis cannot read as
// commands: inline interpreter code (python -c, node -e, a program on
// stdin), a script file (git's hooks aside), something piped into a shell, eval
// text only known at run time, or a socat address that runs a
// program (EXEC:, SYSTEM:). Such code can build a start-up file's name
// from pieces (chr(46), a reversed or decoded string, os.path.expanduser)
// that no reading of the line recovers (WritesStartup only sees the
// names such code spells out), so a gate protecting start-up files
// refuses it unless told opaque code is allowed.
func OpaqueCode(s *gate.SSH) (string, bool) {
	if s == nil || s.Kind == "sftp" {
		return "", false
	}
	switch {
	case s.InterpreterInline:
		return "inline interpreter code (may build a start-up file's name)", true
	case s.PipesToShell:
		return "input piped into a shell (may write a start-up file)", true
	}
	for _, c := range s.Commands {
		// git's own unseen code (hooks) is judged by the git rules.
		if s.RunsUnseenCode && runsScripts(c) {
			return "a script the gate does not see (may write a start-up file)", true
		}
		if c.Program == "eval" && strings.ContainsAny(strings.Join(c.Args, " "), "$`") {
			return "eval of text only known at run time", true
		}
	}
	for _, c := range s.Commands {
		if c.Program != "socat" {
			continue
		}
		for _, a := range c.Args {
			addr := strings.ToUpper(strings.TrimLeft(a, "'\""))
			if strings.HasPrefix(addr, "EXEC:") || strings.HasPrefix(addr, "SYSTEM:") ||
				strings.Contains(addr, "!!EXEC:") || strings.Contains(addr, "!!SYSTEM:") {
				return "socat runs a program (" + a + ")", true
			}
		}
	}
	return "", false
}

// runsScripts reports whether c runs code from a file or its input: a
// shell not given -c (whose code the analysis reads), an interpreter,
// source or ., sed (its e and w commands) or awk.
func runsScripts(c gate.SSHCommand) bool {
	prog := c.Program
	fam := family(prog)
	if shells[fam] {
		return !slices.ContainsFunc(c.Args, func(a string) bool {
			return strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "c")
		})
	}
	_, interp := interpreters[fam]
	return interp || prog == "source" || prog == "." || prog == "sed" || prog == "gsed" ||
		strings.HasSuffix(prog, "awk")
}
