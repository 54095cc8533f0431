package shell

import (
	"strings"
	"testing"
)

// round4Names are the start-up files added in round four, relative to
// the home directory: each is read by a program that it can make run a
// program or fetch code (see startupNames, toolFiles, configDirs,
// configFiles and nestedDirs for the reasons).
var round4Names = []string{
	".envrc", ".direnvrc", ".config/direnv/direnvrc", ".local/share/direnv/allow/0123abcd",
	".config/pip/pip.conf", ".pip/pip.conf", ".condarc", ".conda/condarc", ".conda/condarc.d/x.yml", ".config/conda/condarc",
	".local/share/applications/x.desktop", ".config/autostart/x.desktop", ".config/systemd/user/x.service",
	".local/share/systemd/user/x.timer", ".config/environment.d/x.conf", ".Xresources", ".Xdefaults", ".xserverrc",
	".xbindkeysrc", ".emacs.el", ".config/emacs/init.el", ".gdbearlyinit", ".config/gdb/gdbinit", ".lessfilter",
	".config/lesskey", ".mavenrc", ".m2/settings.xml", ".m2/toolchains.xml", ".m2/repository/org/x/1/x-1.jar",
	".gradle/init.d/x.gradle", ".gradle/init.gradle", ".gradle/gradle.properties", ".bundle/config", ".gemrc",
	".pryrc", ".ghci", ".config/ghc/ghci.conf", ".sbtrc", ".sbt/1.0/plugins/x.sbt", ".nanorc", ".config/nano/nanorc",
	".muttrc", ".mutt/muttrc", ".config/mutt/muttrc", ".npm-init.js", ".bunfig.toml", ".ansible.cfg",
	".ansible/plugins/callback/x.py", ".jupyter/jupyter_server_config.py", ".config/git/ignore", ".config/git/hooks/pre-commit",
	".config/vim/vimrc", ".config/wget/wgetrc", ".config/i3/config", ".config/sway/config", ".config/kitty/kitty.conf",
	".config/powershell/Microsoft.PowerShell_profile.ps1", ".config/nix/nix.conf", ".config/gh/config.yml",
	".config/uv/uv.toml", ".config/containers/containers.conf", ".config/user-dirs.dirs", ".config/starship.toml",
	".aws/credentials", ".aws/cli/alias", ".cargo/bin/ls", ".local/share/nvim/site/plugin/x.lua",
	".local/share/helm/plugins/x/plugin.yaml",
	// Installers' PATH directories and sourced scripts; coding agents'
	// and editors' settings that name commands.
	".bun/bin/x", ".deno/bin/x", ".yarn/bin/x", ".pyenv/shims/python", ".rbenv/shims/ruby", ".volta/bin/node",
	".nix-profile/bin/x", ".npm-global/bin/x", "go/bin/x", ".docker/cli-plugins/docker-x", ".terraform.d/plugins/x",
	".sdkman/bin/sdkman-init.sh", ".rvm/scripts/rvm", ".cargo/env", ".nvm/nvm.sh", ".deno/env", ".ghcup/env",
	".asdf/asdf.sh", ".claude/settings.json", "proj/.claude/settings.local.json", ".claude/hooks/x.sh",
	".codex/config.toml", ".gemini/settings.json", ".cursor/mcp.json", "proj/.vscode/tasks.json", "proj/.mcp.json",
	".vscode-server/extensions/x/extension.js", ".vscode-server/data/Machine/settings.json",
	".cursor-server/extensions/x/a.js", ".config/Code/User/settings.json", ".config/Claude/claude_desktop_config.json",
	// Directories that hold them: moving or linking a directory onto one
	// plants every file inside.
	".kube", ".aws", ".m2", ".gradle", ".gradle/init.d", ".local/share", ".local/share/systemd", ".local/share/applications",
	".config/pip", ".cargo/bin", ".pip", ".bun", ".pyenv", ".pyenv/shims", ".docker/cli-plugins", ".vscode-server", ".claude",
}

// round4Ordinary are siblings of round4Names that run nothing.
var round4Ordinary = []string{
	".pip/notes.txt", ".aws/credentials-old", ".m2/notes.txt", ".gradle/daemon/x.log", ".Xmodmap", ".pythonrc",
	"notes/settings.xml", "srv/config", "share/x", "proj/.gradle/notes", ".pyenv/notes.txt",
	".claude/notes.md", "proj/.vscode/settings.json", "go/src/x/main.go", ".bun/install/notes.txt",
}

// homeSpellings spell the home directory {H} in a command line; the
// line runs in it.
var homeSpellings = []string{"~/", "$HOME/", "${HOME}/", `"$HOME"/`, "/root/", "/home/agent/", "./", "x/../", "~/.config/../", "~//", "$HOME/./"}

// round4Writers write the file {P}; each is a route the judge knows.
var round4Writers = []string{
	"echo x > {P}", "echo x >> {P}", "echo x >| {P}", "echo x &> {P}", "echo x | tee {P}", "echo x | tee -a {P}",
	"cp /tmp/x {P}", "mv /tmp/x {P}", "install -D /tmp/x {P}", "sed -i s/a/b/ {P}", "dd if=/tmp/x of={P}",
	"ln -sf /tmp/x {P}", "ln /tmp/x {P}", "truncate -s 0 {P}", "rsync /tmp/x {P}", "bash -c 'cp /tmp/x {P}'",
	"socat -u STDIN OPEN:{P},creat,append", "cat /tmp/x > {P}", "base64 -d /tmp/x -o {P}", "curl -o {P} http://h/x",
}

// TestRound4StartupNamesEveryRoute: every new start-up file, in every
// spelling of the home directory, through every writing route of an
// exec line and every changing sftp operation, is a start-up write; the
// siblings that run nothing pass.
func TestRound4StartupNamesEveryRoute(t *testing.T) {
	t.Parallel()
	var missed, total int
	for _, n := range round4Names {
		for _, h := range homeSpellings {
			for _, w := range round4Writers {
				line := strings.ReplaceAll(w, "{P}", h+n)
				total++
				if _, ok := startupVerdict(t, line); !ok {
					missed++
					t.Errorf("not refused: %s", line)
				}
			}
		}
		for _, op := range []string{"write", "setstat", "remove", "mkdir", "rmdir"} {
			if w, ok := WritesStartup(SFTP(op, "/root/"+n, "")); !ok {
				t.Errorf("sftp %s /root/%s not refused (%s)", op, n, w)
			}
		}
		for _, op := range []string{"rename", "symlink", "link"} {
			if _, ok := WritesStartup(SFTP(op, "/home/agent/"+n, "/tmp/x")); !ok {
				t.Errorf("sftp %s /home/agent/%s not refused", op, n)
			}
		}
		if _, ok := WritesStartup(SFTP("rename", "/tmp/x", "/root/"+n)); !ok {
			t.Errorf("sftp rename onto /root/%s not refused", n)
		}
	}
	if missed > 0 {
		t.Logf("%d of %d writes not refused", missed, total)
	}
	for _, n := range round4Ordinary {
		for _, w := range round4Writers[:8] {
			line := strings.ReplaceAll(w, "{P}", "~/"+n)
			if why, ok := startupVerdict(t, line); ok {
				t.Errorf("ordinary write refused: %s (%s)", line, why)
			}
		}
		if why, ok := WritesStartup(SFTP("write", "/root/"+n, "")); ok {
			t.Errorf("ordinary sftp write /root/%s refused (%s)", n, why)
		}
	}
}

// TestKnownDirsAfterAnExpansion: a word whose directory is only known at
// run time but whose known components after it spell a drop-in or
// any-file start-up directory is a start-up write: "$D"/.vim/plugin/x.vim
// is in one whatever $D is. An ordinary known tail still passes.
func TestKnownDirsAfterAnExpansion(t *testing.T) {
	tails := []string{"/.vim/plugin/a.vim", "/.bashrc.d/a", "/.config/systemd/user/a.service", "/.config/nvim/lua/x.lua",
		"/.local/share/systemd/user/x.service", "/.gradle/init.d/x.gradle", "/.local/bin/ls", "/.emacs.d/init.el",
		"/.config/git/x", "/.m2/repository/x.jar", "/.sbt/1.0/global.sbt"}
	for _, tail := range tails {
		for _, pre := range []string{"$H", `"$H"`, "${H}", "$(pwd)", "`pwd`", "${H:-/root}", "$1"} {
			line := "echo x > " + pre + tail
			if _, ok := startupVerdict(t, line); !ok {
				t.Errorf("not refused: %s", line)
			}
			line = "cp /tmp/x " + pre + tail
			if _, ok := startupVerdict(t, line); !ok {
				t.Errorf("not refused: %s", line)
			}
		}
	}
	for _, line := range []string{"echo x > $H/notes/a.txt", "cat /tmp/x > $H/build/out.bin", "echo x > $H/.cache/a", "echo x > \"$D\"/x.vim"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}

// TestSFTPSymlinkToAHomeDirectory: an sftp symlink whose resolved target
// is a directory that may hold start-up paths (the home directory, an
// ancestor, a directory on the way to a start-up path) is refused: a
// later write through the link (l/bin/ls, l/systemd/user/x.service)
// would not spell the start-up path. Links to ordinary directories and
// files pass.
func TestSFTPSymlinkToAHomeDirectory(t *testing.T) {
	for _, target := range []string{"/", "/root", "/home", "/home/agent", "/root/.local/share", "/home/agent/.local/share/nvim",
		"/root/.gradle", "/root/.aws", "/etc"} {
		if _, ok := WritesStartup(SFTP("symlink", "/tmp/l", target)); !ok {
			t.Errorf("sftp symlink /tmp/l -> %s not refused", target)
		}
	}
	for _, target := range []string{"/srv/app", "/tmp", "/home/agent/proj", "/root/notes.txt", "/var/log"} {
		if why, ok := WritesStartup(SFTP("symlink", "/tmp/l", target)); ok {
			t.Errorf("sftp symlink /tmp/l -> %s refused (%s)", target, why)
		}
	}
}
