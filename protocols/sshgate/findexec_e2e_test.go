package sshgate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindExecThroughRealSSHD: through the gateway and a real sshd,
// find's -exec runs what the gate judged. Under rules that allow only
// read-only commands, find -exec with a reading command is served (it
// was refused: find -exec never counted as read-only) and one that
// deletes is refused, the file kept. Under a deny-list of programs, a
// command hidden after a "+" that does not end find's command (env -u +
// rm ... \;, which GNU find runs as env unsetting "+" and running rm) is
// refused and the file kept; before, the gate read the command as "env
// -u", missed rm, and the file was gone (and 3 of 3 reading find -exec
// lines were refused under the read-only rules).
func TestFindExecThroughRealSSHD(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	dir := t.TempDir()
	for _, f := range []string{"a.log", "b.log", "victim"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("line\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	victim := filepath.Join(dir, "victim")
	ro := startGateway(t, up, readOnlyRules)
	for _, cmd := range []string{"find " + dir + " -name '*.log' -exec wc -l {} +", "find " + dir + " -type f -exec ls -l {} \\;",
		"find " + dir + " -maxdepth 1 -type f -execdir cat {} +"} {
		if r := ro.ssh(ro.agent, []string{"-T"}, cmd); r.code != 0 || !strings.Contains(r.stdout, "log") && !strings.Contains(r.stdout, "line") {
			t.Errorf("%s: a read-only find -exec not served: %+v", cmd, r)
		}
	}
	for _, cmd := range []string{"find " + dir + " -name victim -exec rm {} +", "find " + dir + " -name victim -exec env -u + rm -f " + victim + " \\;"} {
		if r := ro.ssh(ro.agent, []string{"-T"}, cmd); r.code != ExitRefused {
			t.Errorf("%s: not refused under read-only rules: %+v", cmd, r)
		}
	}
	// Start-up file protection apart (it refuses any write it cannot
	// place), so the deny-list alone judges.
	dl := startGateway(t, up, programDenyRules, func(c *Config) { c.AllowStartupWrites = true })
	cmd := "find " + dir + " -name victim -exec env -u + rm -f " + victim + " \\;"
	if r := dl.ssh(dl.agent, []string{"-T"}, cmd); r.code != ExitRefused {
		t.Errorf("%s: rm hidden after a + not refused: %+v", cmd, r)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("the file find's hidden rm names is gone: %v", err)
	}
}
