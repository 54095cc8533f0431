package shell

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// stubs are the programs the generated scripts may run: each logs its name.
var stubs = []string{"cat", "ls", "rm", "touch", "grep", "head"}

// The generator builds scripts from commands, arguments and separators
// chosen to probe where the analyser's reading and a shell's may part:
// quotes of every kind, backslashes, CR and LF, comments, bash-only syntax
// and bytes shells treat unlike the parser.
var (
	genCommands = []string{"cat f", "rm -f g", "touch g", "ls", "grep x f", "head f"}
	genArgs     = []string{
		"f", "$'a\\'", "'\\'", "\\", "\"\\\"", "$\"a\"", "#", "# \\", "{a,b}", "!(x)", "$((1))",
		"<(ls)", "[[", "]]", "<<< x", "\r", "a\rb", "\x0b", "\x0c", "\xff", "\u00a0", "`ls`", "$(ls)",
	}
	genSeps = []string{
		" ; ", "\n", "\r\n", " \\\r\n", " \\\n", " && ", " || ", " | ", " & ", "\r", " \\\r", "\t",
	}
)

// TestShellDifferential runs random scripts in bash and dash, with a PATH
// of stubs that log their names, and fails when a shell ran a program the
// analyser neither listed nor declared unknowable (dynamic).
func TestShellDifferential(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs shells")
	}
	shells := realShells(t)
	dir := t.TempDir()
	bin := stubDir(t, dir, shells)
	r := rand.New(rand.NewPCG(7, 2026))
	for i := 0; i < 1500; i++ {
		script := generate(r)
		if r.IntN(3) == 0 {
			script = "sh -c " + singleQuote(script)
		}
		s, err := Parse(script)
		if err != nil || (s.Dynamic && !s.ReadOnly) {
			continue // refused, or its programs are declared unknowable
		}
		for name, sh := range shells {
			for _, p := range run(t, sh, bin, dir, script) {
				if !slices.Contains(s.Programs, p) {
					t.Errorf("%s ran %q for %q; analyser listed %q (read_only=%v)", name, p, script, s.Programs, s.ReadOnly)
				}
			}
		}
	}
}

// realShells finds bash and dash, skipping the test without both.
func realShells(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, n := range []string{"bash", "dash"} {
		p, err := exec.LookPath(n)
		if err != nil {
			t.Skipf("%s not installed", n)
		}
		m[n] = p
	}
	return m
}

// stubDir makes dir/bin: a logging stub per program, and sh, bash and dash
// as the real shells so nested scripts run.
func stubDir(t *testing.T, dir string, shells map[string]string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	stub := "#!" + shells["dash"] + "\necho \"${0##*/}\" >> \"$STUBLOG\"\n"
	for _, p := range stubs {
		if err := os.WriteFile(filepath.Join(bin, p), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"sh": shells["dash"], "dash": shells["dash"], "bash": shells["bash"]}
	for n, target := range links {
		if err := os.Symlink(target, filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// generate joins one to four commands, each with up to three arguments.
func generate(r *rand.Rand) string {
	var b strings.Builder
	for n := 1 + r.IntN(4); n > 0; n-- {
		b.WriteString(genCommands[r.IntN(len(genCommands))])
		for k := r.IntN(4); k > 0; k-- {
			b.WriteString(" " + genArgs[r.IntN(len(genArgs))])
		}
		if n > 1 {
			b.WriteString(genSeps[r.IntN(len(genSeps))])
		}
	}
	return b.String()
}

func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// run executes script with sh -c, in dir, and returns the stubs it ran.
func run(t *testing.T, sh, bin, dir, script string) []string {
	t.Helper()
	return runEnv(t, sh, bin, dir, script)
}

// runEnv is run with more environment variables.
func runEnv(t *testing.T, sh, bin, dir, script string, env ...string) []string {
	t.Helper()
	// A log of its own: a background job of an earlier script may still write.
	f, err := os.CreateTemp(dir, "log")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	log := f.Name()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, sh, "-c", script)
	c.Dir = dir
	c.Env = append([]string{"PATH=" + bin, "STUBLOG=" + log}, env...)
	c.WaitDelay = time.Second
	_ = c.Run() // most generated scripts are syntax errors somewhere
	b, err := os.ReadFile(log)
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}
