package shell

import (
	"strings"
	"testing"
)

// commandChannelLines are programs that take commands (code, or file
// operations) from their input, or run code given in an argument, that
// the gate never reads.
var commandChannelLines = []string{
	"ed", "ed F", "red F", "ex F", "vi -es", "vim -e F", "vim -s /dev/stdin F", "nvim --headless", "view F", "nano F", "emacs -nw F",
	"dc", "gdb -q", "gdb -batch -x /dev/stdin", "lldb", "gnuplot", "R --no-save", "octave", "guile", "sbcl", "clisp", "ghci",
	"jshell", "erl", "swipl", "nu", "xonsh", "elvish", "rc", "es", "ion", "osh", "tmux", "tmux new -d", "screen -dm",
	"dtach -n s", "mosh-server new", "newgrp", "newgrp wheel", "sg wheel", "expect", "/usr/lib/openssh/sftp-server",
	"/usr/libexec/openssh/sftp-server -d /", "git-receive-pack .", "git-upload-pack .", "git-shell", "git receive-pack .",
	"git -C repo receive-pack .", "git shell", "svnserve -t", "hg serve --stdio", "hg -R repo serve --stdio", "borg serve",
	"rclone serve sftp", "rclone --config x serve webdav", "bzr serve --inet", "unison -server", "rdiff-backup --server",
	"sftp host", "telnet", "redis-cli", "mongosh", "cqlsh", "clickhouse-client", "sqlcmd",
	"psql", "psql -h db -U u app", "psql -f script.sql", "psql -c '\\! rm x'", "psql --command='select 1'", "mysql",
	"mysql -e 'system rm x'", "mysql --execute='select 1'", "mariadb -uroot", "sqlite3", "sqlite3 db", "sqlite3 db '.shell rm x'",
	"sqlite3 -cmd '.shell rm x' db", "duckdb db",
}

// TestCommandChannelsAreOpaque: every line of commandChannelLines, alone
// or behind a wrapper, is ssh.pipes_to_shell or ssh.interpreter_inline,
// and never read-only; programs that only read their input as data are
// not.
func TestCommandChannelsAreOpaque(t *testing.T) {
	t.Parallel()
	wraps := []string{"%s", "timeout 5 %s", "env LANG=C %s", "nohup %s", "nice -n 1 %s", "sudo -u x %s", "true && %s", "cd /tmp; %s"}
	missed, n := 0, 0
	for _, l := range commandChannelLines {
		for _, w := range wraps {
			line := strings.Replace(w, "%s", l, 1)
			s, err := Parse(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			n++
			if !(s.PipesToShell || s.InterpreterInline || s.Dynamic) || s.ReadOnly {
				missed++
				t.Errorf("%q: neither pipes_to_shell nor inline", line)
			}
		}
	}
	t.Logf("%d of %d command-channel lines not seen", missed, n)
	for _, l := range []string{"cat", "grep x", "sort", "wc -l", "jq .", "tail -f F", "git status", "git log", "hg log",
		"rclone ls remote:", "psql_dump", "edit F", "vimtutor-like"} {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if s.PipesToShell || s.InterpreterInline {
			t.Errorf("%q: judged a command channel", l)
		}
	}
}
