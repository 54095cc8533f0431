package shell

import (
	"fmt"
	"testing"
)

var sprintf = fmt.Sprintf

// TestToolConfigStartupNames: files that make a later program run
// something (docker credential helpers, terraform provider installation,
// systemd --user units under ~/.local/share) are start-up writes in
// every writer form; data-only files (.pypirc) and siblings are not.
func TestToolConfigStartupNames(t *testing.T) {
	names := []string{"~/.docker/config.json", "/root/.terraformrc", "~/.terraformrc",
		"~/.local/share/systemd/user/a.service", "/home/u/.local/share/systemd/user/default.target.wants/a.service"}
	writers := []string{"echo x > %s", "cp /tmp/x %s", "tee %s < /tmp/x", "dd if=/tmp/x of=%s", "mv /tmp/x %s"}
	for _, n := range names {
		for _, w := range writers {
			line := sprintf(w, n)
			if _, ok := startupVerdict(t, line); !ok {
				t.Errorf("%s: not refused", line)
			}
		}
	}
	for _, line := range []string{"echo x > ~/.pypirc", "echo x > ~/.docker/notes.txt", "cat ~/.docker/config.json",
		"echo x > ~/.local/share/app/data", "ls ~/.local/share/systemd"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}
