package shell

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// gitConfiguredPrograms are configuration keys that name programs git
// runs; the test's repository sets each to a logging script.
var gitConfiguredPrograms = []string{
	"core.fsmonitor", "diff.external", "diff.x.command", "diff.x.textconv", "filter.x.clean", "filter.x.smudge",
	"filter.x.process", "core.pager", "pager.log", "pager.status", "core.sshCommand", "credential.helper", "gpg.program",
	"gpg.ssh.program", "core.askPass", "core.editor", "sequence.editor", "merge.x.driver", "core.alternateRefsCommand",
	"uploadpack.packObjectsHook",
}

// gitInvocations are the git commands the test runs: reading subcommands
// and their options, spelt as an agent would.
var gitInvocations = []string{
	"status", "status --short", "log", "log --oneline", "log -p", "log --stat", "log --format=%H", "log --show-signature",
	"log --no-show-signature", "whatchanged", "shortlog HEAD", "show", "show HEAD:a", "show --textconv HEAD:a",
	"diff", "diff HEAD", "diff --cached", "diff --stat", "blame a", "grep hi", "grep --textconv hi", "ls-files",
	"ls-files -m", "describe --always", "describe --always --dirty", "rev-parse HEAD", "rev-parse --show-toplevel",
	"ls-tree HEAD", "ls-tree -r HEAD", "cat-file -p HEAD", "cat-file -p HEAD:a", "cat-file --textconv HEAD:a",
	"cat-file --filters HEAD:a", "rev-list HEAD", "rev-list --format=%G? HEAD", "rev-list --format=%H HEAD",
	"branch", "branch -v", "tag -l", "tag -l -v", "tag -l --format=%(signature)", "remote", "remote -v",
	"config --get user.name", "config --list", "show-ref", "name-rev HEAD", "version", "for-each-ref",
	"for-each-ref --format=%(signature)", "merge-base HEAD HEAD", "count-objects", "var GIT_AUTHOR_IDENT",
	"--no-pager log", "-P status", "-C . status", "-C . rev-parse HEAD",
}

// gitRepo makes a repository whose configuration names a logging script
// for every program git can be told to run, with a commit signed with an
// SSH key (so showing signatures runs gpg.ssh.program), attributes that
// give every file the driver x, and a changed work tree.
func gitRepo(t *testing.T) (repo, logFile string, env []string) {
	t.Helper()
	gatetest.NeedTool(t, "git")
	keygen := gatetest.NeedTool(t, "ssh-keygen")
	dir := t.TempDir()
	repo, logFile = filepath.Join(dir, "repo"), filepath.Join(dir, "log")
	home := filepath.Join(dir, "home")
	env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0"}
	must := func(name string, args ...string) {
		t.Helper()
		c := exec.Command(name, args...)
		c.Dir, c.Env = repo, env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	for _, d := range []string{repo, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	key := filepath.Join(dir, "sign")
	must(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "allowed"), []byte("a@b "+string(pub)), 0o644); err != nil {
		t.Fatal(err)
	}
	must("git", "init", "-q", ".")
	if err := os.WriteFile(filepath.Join(repo, "a"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must("git", "add", "a")
	must("git", "-c", "gpg.format=ssh", "-c", "user.signingkey="+key, "-c", "user.email=a@b", "-c", "user.name=a",
		"commit", "-q", "-S", "-m", "signed")
	must("git", "-c", "user.email=a@b", "-c", "user.name=a", "tag", "-m", "v", "-a", "v1")
	logger := filepath.Join(dir, "logger")
	script := "#!/bin/sh\necho \"$0 $*\" >> " + logFile + "\ncat\n"
	if err := os.WriteFile(logger, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, k := range gitConfiguredPrograms {
		must("git", "config", k, logger)
	}
	for k, v := range map[string]string{"gpg.format": "ssh", "gpg.ssh.allowedSignersFile": filepath.Join(dir, "allowed"),
		"log.showSignature": "true", "core.hooksPath": filepath.Join(dir, "hooks")} {
		must("git", "config", k, v)
	}
	hooks := filepath.Join(dir, "hooks")
	if err := os.MkdirAll(hooks, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"post-index-change", "reference-transaction", "fsmonitor-watchman", "post-checkout"} {
		if err := os.Symlink(logger, filepath.Join(hooks, h)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{".gitattributes": "* diff=x filter=x merge=x\n", "a": "changed\n"} {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo, logFile, env
}

// TestGitReadersRunNoConfiguredProgram runs every git invocation in real
// git, without a terminal, in a repository configured to log every program
// git can be told to run: a command the analyser calls read-only must run
// none of them. The invocations that do run one (status, log, diff...)
// show that the probe is live.
func TestGitReadersRunNoConfiguredProgram(t *testing.T) {
	repo, logFile, env := gitRepo(t)
	live, readOnly := 0, 0
	for _, inv := range gitInvocations {
		_ = os.Remove(logFile)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c := exec.CommandContext(ctx, "git", strings.Fields(inv)...)
		c.Dir, c.Env = repo, env
		_ = c.Run() // some fail (a filter that only logs), which does not matter
		cancel()
		ran, _ := os.ReadFile(logFile)
		if len(ran) > 0 {
			live++
		}
		words := strings.Fields(inv)
		for i, w := range words {
			words[i] = singleQuote(w)
		}
		s, err := Parse("git " + strings.Join(words, " "))
		if err != nil {
			t.Fatalf("git %s: %v", inv, err)
		}
		if s.ReadOnly {
			readOnly++
			if len(ran) > 0 {
				t.Errorf("git %s is read-only to the analyser, and ran %q", inv, ran)
			}
		} else if !s.RunsUnseenCode && len(ran) > 0 {
			t.Errorf("git %s ran %q; the analyser did not say it runs unseen code", inv, ran)
		}
	}
	if live < 10 || readOnly < 10 {
		t.Fatalf("%d invocations ran a configured program, %d are read-only: the test proves little", live, readOnly)
	}
}
