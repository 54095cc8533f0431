package sshgate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// envRunsCode are environment variables that make a program a rule allows
// as a reader, or the shell that runs it, run a command the line never
// names; {M} is a file the command creates, {D} a directory holding a
// zsh start-up file that creates it, and the line is run with the
// variable set.
var envRunsCode = []struct{ env, line string }{
	{"TAR_OPTIONS=--checkpoint=1 --checkpoint-action=exec='touch {M}'", "tar tf {D}/a.tar"},
	{"TAR_OPTIONS=--checkpoint=1 --checkpoint-action=exec='touch {M}'", "tar -tvf {D}/a.tar"},
	{"TAR_OPTIONS=--checkpoint-action=exec='touch {M}' --checkpoint=1", "tar --list -f {D}/a.tar"},
	{"BASH_XTRACEFD=7", "cat {D}/a.txt"},
	{"ZDOTDIR={D}", "cat {D}/a.txt"},
	{"GLOBIGNORE=x", "cat {D}/a.txt"},
	{"POSIXLY_CORRECT=1", "cat {D}/a.txt"},
	{"OPENSSL_CONF={D}/openssl.cnf", "cat {D}/a.txt"},
	{"SSLKEYLOGFILE={M}", "cat {D}/a.txt"},
	{"http_proxy=http://127.0.0.1:9", "cat {D}/a.txt"},
}

// TestEnvOptionsNeverForwarded: with every name allowed (EnvAllow "*")
// and an upstream that accepts every variable, a variable that makes a
// program run a command (tar's TAR_OPTIONS) or changes how the shell
// reads the line is refused and recorded; the read-only line it came
// with runs without it, and nothing the variable named runs.
func TestEnvOptionsNeverForwarded(t *testing.T) {
	t.Parallel()
	up := startSSHDWith(t, "AcceptEnv *\n")
	g := startGateway(t, up, readOnlyRules, func(c *Config) { c.EnvAllow = []string{"*"} })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "cf", filepath.Join(dir, "a.tar"), "-C", dir, "a.txt").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	ran := 0
	for i, tc := range envRunsCode {
		marker := filepath.Join(dir, "ran-"+string(rune('a'+i)))
		r := strings.NewReplacer("{M}", marker, "{D}", dir)
		env, line := r.Replace(tc.env), r.Replace(tc.line)
		name, _, _ := strings.Cut(env, "=")
		res := g.ssh(g.agent, []string{"-o", `SetEnv="` + env + `"`}, line)
		if _, err := os.Stat(marker); err == nil {
			ran++
			t.Errorf("%s %s: the command it named ran: %+v", env, line, res)
		}
		if res.code != 0 {
			t.Errorf("%s %s: the read did not run: %+v", env, line, res)
		}
		found := false
		for _, e := range g.events(gate.EventError) {
			found = found || strings.Contains(e.Error, "refused env "+name+":")
		}
		if !found {
			t.Errorf("%s: the refusal was not recorded", name)
		}
	}
	t.Logf("%d of %d variables ran a command", ran, len(envRunsCode))
	if r := g.ssh(g.agent, []string{"-o", "SetEnv=FOO=bar"}, "printenv FOO"); r.code != 0 || r.stdout != "bar\n" {
		t.Errorf("FOO under an allow-all list: %+v", r)
	}
}
