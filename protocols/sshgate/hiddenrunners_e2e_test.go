package sshgate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHiddenRunnersDenied: under testRules, which deny rm by name, rm run
// by a wrapper the first table did not know (fakeroot, setarch, linux64,
// prlimit, perf), by a program in no table (logsave), or by an option
// whose value is a command (man -P, tar -I and --checkpoint-action, ssh
// -o ProxyCommand) is seen and denied:
// the victim directory survives every line.
func TestHiddenRunnersDenied(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	archive := filepath.Join(dir, "a.tar")
	if out, err := exec.Command("tar", "cf", archive, "-C", dir, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	lines := []string{
		"fakeroot rm -rf {V}", "setarch x86_64 rm -rf {V}", "linux64 rm -rf {V}", "prlimit rm -rf {V}",
		"perf stat -x, rm -rf {V}", "perf stat rm -rf {V}", "man -P 'rm -rf {V}' ls", "tar -I 'rm -rf {V}' -tf {A}",
		"tar -tf {A} --checkpoint=1 --checkpoint-action=exec='rm -rf {V}'", "ssh -o ProxyCommand='rm -rf {V}' -o BatchMode=yes x",
		// logsave is in no table: read as a possible wrapper.
		"/usr/sbin/logsave /dev/null rm -rf {V}", "logsave -a /dev/null rm -rf {V}",
	}
	gone := 0
	for _, l := range lines {
		if err := os.MkdirAll(victim, 0o755); err != nil {
			t.Fatal(err)
		}
		line := strings.NewReplacer("{V}", victim, "{A}", archive).Replace(l)
		r := g.ssh(g.agent, nil, line)
		if _, err := os.Stat(victim); err != nil {
			gone++
			t.Errorf("%s: the victim is gone: %+v", line, r)
		}
		if r.code != ExitRefused {
			t.Errorf("%s: not refused: %+v", line, r)
		}
	}
	t.Logf("%d of %d lines removed the victim", gone, len(lines))
}
