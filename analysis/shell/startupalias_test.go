package shell

import (
	"strings"
	"testing"
)

// TestLinksToHomeDirectories: a second name for the home directory (or
// an ancestor, or a directory on the way to a start-up path) made by a
// link or a bind mount lets a later command write ~/bin/ls or
// ~/.local/share/systemd/user/x.service as d/bin/ls; each spelling of
// the link's target, relative ones resolved as ln resolves them, is a
// start-up write. Links to ordinary directories pass.
func TestLinksToHomeDirectories(t *testing.T) {
	targets := []string{"~", "~/", "$HOME", ".", "./", "~+", "~-", "/proc/self/cwd", "/proc/$$/cwd", "/proc/1/task/1/cwd",
		"/proc/self/root", "/proc/self/root/root", "..", "../..", "/root", "/home/agent", "/", "~/.local/share", "~/.gradle"}
	makers := []string{"ln -s {T} d", "ln -sf {T} d", "ln -sfn {T} d2", "ln -rs {T} d", "ln --symbolic {T} d",
		"ln -s -T {T} d", "ln -s {T} -t /tmp", "cp -rs {T} d", "cp -as {T} d", "cp -rl {T} d", "mount --bind {T} /mnt",
		"mount -o bind,ro {T} /mnt", "bindfs {T} /mnt"}
	for _, m := range makers {
		for _, tg := range targets {
			line := strings.ReplaceAll(m, "{T}", tg)
			if _, ok := startupVerdict(t, line); !ok {
				t.Errorf("not refused: %s", line)
			}
		}
	}
	for _, line := range []string{"ln -s /srv/app/releases/3 /srv/app/current", "cd /tmp && ln -s . d", "ln -s . /tmp/d",
		"cd /srv && ln -s ~+ cur", "ln -s ../lib/x.so proj/y.so", "cp -r /srv/a /srv/b", "mount -t tmpfs none /mnt",
		"ln -s /tmp/a /tmp/b", "cp -rs /srv/a /srv/b"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}

// TestProcDirectoriesAsWhatTheyName: /proc/PID/cwd is the working
// directory and /proc/PID/root is /, so writes through them are judged
// as the paths they reach.
func TestProcDirectoriesAsWhatTheyName(t *testing.T) {
	for _, p := range []string{"/proc/self/cwd/bin/ls", "/proc/self/cwd/.local/bin/x", "/proc/1/cwd/bin/ls",
		"/proc/self/root/root/bin/ls", "/proc/self/task/7/cwd/bin/x", "/proc/thread-self/root/home/u/bin/x",
		"/proc/self/root/root/.local/share/systemd/user/x.service", "/proc/$$/cwd/bin/ls"} {
		for _, w := range []string{"echo x > %s", "cp /tmp/x %s", "tee %s"} {
			line := sprintf(w, p)
			if _, ok := startupVerdict(t, line); !ok {
				t.Errorf("not refused: %s", line)
			}
		}
	}
	for _, line := range []string{"echo x > /proc/self/fd/1", "cat /proc/self/cwd/bin/ls", "echo x > /proc/self/cwd/notes",
		"echo 1 > /proc/sys/vm/drop_caches"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}

// TestSocatAddressPaths: socat's file addresses name the path they open
// after the keyword, in any case, relative ones included (judged against
// the working directory, home at first), on either side of a dual
// address and as a bare operand with a slash.
func TestSocatAddressPaths(t *testing.T) {
	for _, p := range []string{".bashrc", ".config/pip/pip.conf", "bin/ls", "./.ssh/authorized_keys", ".local/share/systemd/user/x.service"} {
		for _, a := range []string{"OPEN:%s,creat,trunc", "open:%s", "CREATE:%s", "GOPEN:%s,append", "FILE:%s", "STDIN!!OPEN:%s",
			"PIPE:%s", "UNIX-LISTEN:%s,unlink-early"} {
			line := "socat -u STDIN " + sprintf(a, p)
			if _, ok := startupVerdict(t, line); !ok {
				t.Errorf("not refused: %s", line)
			}
			line = "cd ~ && socat -U " + sprintf(a, p) + " FILE:/tmp/x"
			if _, ok := startupVerdict(t, line); !ok {
				t.Errorf("not refused: %s", line)
			}
		}
	}
	for _, line := range []string{"socat -u STDIN ./.bashrc", "socat - ./.ssh/rc,append"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("not refused: %s", line)
		}
	}
	for _, line := range []string{"socat -u STDIN OPEN:notes.txt,creat", "socat TCP:db:5432 STDOUT", "socat - TCP-LISTEN:8080,fork",
		"cd /srv && socat -u STDIN OPEN:bin/ls,creat"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}

// TestGlobsInAnyFileDirectories: a pattern whose directory takes any file
// as a start-up file (~/.gradle/init.d, ~/bin, systemd --user units,
// installers' bin directories) is a start-up write whatever it matches,
// and so is the literal name an unmatched pattern leaves; reading them
// and patterns in ordinary directories pass.
func TestGlobsInAnyFileDirectories(t *testing.T) {
	dirs := []string{"~/.gradle/init.d", "~/bin", "~/.local/share/systemd/user", "~/.bun/bin", "~/.config/systemd/user",
		"~/.vim/plugin", "~/.bashrc.d", "/root/.cargo/bin", "$HOME/.local/bin", "~/.config/nvim/lua"}
	pats := []string{"*", "*.gradle", "x?", "[ab]*"}
	for _, d := range dirs {
		for _, p := range pats {
			for _, w := range []string{"echo x > %s", "tee %s < /tmp/x", "cp /tmp/x %s"} {
				line := sprintf(w, d+"/"+p)
				if _, ok := startupVerdict(t, line); !ok {
					t.Errorf("not refused: %s", line)
				}
			}
		}
	}
	for _, line := range []string{"cd ~/bin && echo x > *", "cd ~/.local/share/systemd/user && tee x* < /tmp/x"} {
		if _, ok := startupVerdict(t, line); !ok {
			t.Errorf("not refused: %s", line)
		}
	}
	for _, line := range []string{"cat ~/bin/*", "ls ~/.gradle/init.d/*", "echo x > /tmp/out/*",
		"tee /srv/logs/x? < /tmp/x", "echo x > ~/proj/build/*"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}
