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

// TestInstallerStartup: installers that put programs on a later PATH are
// start-up writes; project-local builds and installs pass.
func TestInstallerStartup(t *testing.T) {
	for _, line := range []string{"npm install -g x", "npm i --global x", "npm install --location=global x", "npm link",
		"cd /srv && npm link", "pnpm add -g x", "yarn global add x", "gem install x", "gem install --user-install x",
		"gem update", "cargo install ripgrep", "cargo install --path .", "go install example.com/x@latest", "go get -u x"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: not refused", line)
		}
	}
	for _, line := range []string{"npm install", "npm ci", "npm test", "npm run build", "yarn add x", "pnpm install",
		"gem list", "cargo build", "cargo test", "go build ./...", "go test ./...", "go vet ./...", "go mod tidy"} {
		if w, ok := startupVerdict(t, line); ok {
			t.Errorf("%s: refused (%s)", line, w)
		}
	}
}

// TestGitTemplateStartup: a template directory's hooks become active.
func TestGitTemplateStartup(t *testing.T) {
	for _, line := range []string{"git init --template=/tmp/t x", "git init --template /tmp/t", "git clone --template=/tmp/t https://h/x.git /srv/y"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("%s: not refused", line)
		}
	}
	if w, ok := startupVerdict(t, "git init /srv/x"); ok {
		t.Errorf("git init /srv/x: refused (%s)", w)
	}
}
