package sshgate

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// programDenyRules allow exec except named destructive programs and code
// the gate cannot list: a policy that trusts ssh.programs to hold every
// program a line runs.
const programDenyRules = execAllowed + `
  - name: no-destructive
    when: ssh.kind == "exec" && ssh.programs.exists(p, p in ["rm", "shred", "unlink", "truncate"])
    action: deny
  - name: no-opaque
    when: >
      ssh.kind == "exec" && (ssh.dynamic || ssh.pipes_to_shell || ssh.interpreter_inline || ssh.runs_unseen_code ||
      ssh.network)
    action: deny
`

// codeBuiltinCases run rm through bash builtins that take code in an
// option value or evaluate a subscript; V is the victim directory.
var codeBuiltinCases = []string{
	"mapfile -C 'rm -f V/f' -c 1 a < V/f",
	"bash -c 'readarray -tC \"rm -f V/f\" -c1 a < V/d/x'",
	"compgen -C 'rm -f V/f' x",
	"compgen -W '$(rm -f V/f)' x",
	"jobs -x rm -f V/f",
	"trap -- 'rm -f V/f' EXIT",
	"declare -i y; y='a[$(rm -f V/f)]'",
	"bash -c 'f() { local -i z=\"a[\\$(rm -f V/f)]\"; }; f'",
	"declare 'd[$(rm -f V/f)]=1'",
	"read 'a[$(rm -f V/f)]' < V/d/x",
	// Keyword mode: NAME=value anywhere on a later command line is
	// environment (here BASH_ENV, a script bash runs first).
	"set -k; bash -c true BASH_ENV=V/script.sh",
	"set -eo keyword; bash -c true BASH_ENV=V/script.sh",
	"bash -k -c 'bash -c true BASH_ENV=V/script.sh'",
	// env -- NAME=value rm: the program after the assignments runs.
	"env -- X=1 rm -f V/f",
	// A wrapper option whose value is the next argument: the value is not
	// the program.
	"setpriv --pdeathsig TERM rm -f V/f",
	// An exported function in the environment of a child bash.
	"env 'BASH_FUNC_true%%=() { rm -f V/f; }' bash -c true",
	// A start-up file named on the command line.
	"bash --rcfile V/script.sh -i -c true",
}

// TestCodeBuiltinsThroughSSHD: under a policy that denies rm by name and
// code it cannot list, bash builtins that run a command string (mapfile
// -C, compgen -C and -W, jobs -x, trap --) or evaluate a subscript
// (integer variables, names given to declare and read), and keyword mode
// (set -k) passing a script in BASH_ENV, cannot change the upstream host
// of a real sshd; the same lines through an allow-all gateway do.
func TestCodeBuiltinsThroughSSHD(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	probe := newEffectProbe(t)
	expand := func(c, v string) string { return strings.ReplaceAll(c, "V/", v+"/") }
	g := startGateway(t, up, programDenyRules)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, c := range codeBuiltinCases {
		v := probe.victim(fmt.Sprint("builtin-", i))
		cmd := expand(c, v)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := g.ssh(g.agent, nil, cmd)
			if r.code != ExitRefused {
				t.Errorf("not refused: %q: %+v", cmd, r)
			}
			if d := probe.damaged(v); d != "" {
				t.Errorf("%q changed the upstream host: %s", cmd, d)
			}
		}()
	}
	wg.Wait()
	// Control: the lines do remove the file when allowed. Each is
	// followed by true, so that its last command is not exec'd by the
	// bash sshd started: Debian's bash, run by sshd (SSH_CLIENT set, shell
	// level 1), reads ~/.bashrc instead of BASH_ENV, so keyword mode's
	// BASH_ENV would do nothing as the line's last command in a home
	// without a .bashrc that starts more shells.
	all := startGateway(t, up, allowAllRules)
	for i, c := range codeBuiltinCases {
		v := probe.victim(fmt.Sprint("builtin-control-", i))
		r := all.ssh(all.agent, nil, expand(c, v)+"; true")
		if probe.damaged(v) == "" {
			t.Errorf("control: %q left no trace: %+v", expand(c, v), r)
		}
	}
	// Reading and ordinary builtins still pass.
	v := probe.victim("builtin-read")
	for _, c := range []string{"mapfile -t a < V/f; echo \"$a\"", "trap 'echo bye' EXIT; cat V/f", "declare x=1; echo $x"} {
		if r := g.ssh(g.agent, nil, expand(c, v)); r.code != 0 {
			t.Errorf("refused: %q: %+v", c, r)
		}
	}
}
