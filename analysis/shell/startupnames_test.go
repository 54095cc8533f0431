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

// TestOutputOptionStartup: an output option names a written file even on
// a program otherwise taken as only reading, in every spelling; reading
// the same names, and output options naming ordinary files, pass.
func TestOutputOptionStartup(t *testing.T) {
	progs := []string{"base64 -d /tmp/x", "sort /tmp/x", "base32 -d /tmp/x", "xxd -r /tmp/x", "uniq /tmp/x"}
	forms := []string{"-o %s", "-o%s", "--output %s", "--output=%s", "--outfile=%s", "-O %s"}
	targets := []string{"~/.bashrc", "$HOME/.bashrc", "/root/.ssh/authorized_keys", "~/.docker/config.json"}
	for _, p := range progs {
		for _, f := range forms {
			for _, tg := range targets {
				line := p + " " + sprintf(f, tg)
				if _, ok := startupVerdict(t, line); !ok {
					t.Errorf("%s: not refused", line)
				}
			}
			line := p + " " + sprintf(f, "/tmp/out")
			if w, ok := startupVerdict(t, line); ok {
				t.Errorf("%s: refused (%s)", line, w)
			}
		}
	}
	for _, line := range []string{"cat ~/.bashrc", "grep -o x ~/.bashrc", "sort ~/.bashrc", "base64 ~/.ssh/authorized_keys",
		"ls", "cat x", "git status", "make", "go test ./...", "tar tf x.tar", "grep -r x .", "sort -o /tmp/y /tmp/x"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}
