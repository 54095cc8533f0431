package shell

import "strings"

// A program that takes its commands from its input turns the client's
// channel into a command line the gate never reads: ed's !rm, sqlite3's
// .shell, psql's \!, gdb's shell, dc's !, an sftp client's !, a
// REPL, a shell the table of shells does not name (nu, xonsh), a session
// it starts (tmux, screen, newgrp, sg, mosh-server), or a file-protocol
// server whose requests write any file (sftp-server, git-receive-pack,
// svnserve, hg serve --stdio). Such a line is ssh.pipes_to_shell, as a
// shell reading stdin is; one whose code is written out as an argument
// (psql -c, sqlite3 DB SQL) is ssh.interpreter_inline. ftp, lftp, tftp
// and smbclient are read by transferDests, which follows their scripts.

// commandChannels read commands, code or file operations from their
// input whatever their arguments.
var commandChannels = setOf(`ed red ex vi vim nvim view vimdiff rvim gvim evim nano pico emacs jed joe mcedit
	dc gdb lldb gnuplot R octave maxima gp guile sbcl clisp csi racket scheme chez ecl ghci jshell erl iex
	ocaml utop swipl gforth nu xonsh elvish rc es ion osh ysh oil murex
	tmux screen dtach abduco mosh-server newgrp sg expect capsh
	sftp-server git-receive-pack git-upload-pack git-shell git-upload-archive svnserve borg bzr darcs unison
	rdiff-backup telnet sftp redis-cli mongo mongosh cqlsh clickhouse-client sqlcmd`)

// commandChannelSubs are the subcommands that serve a protocol on the
// input (git receive-pack, hg serve --stdio, rclone serve).
var commandChannelSubs = map[string]map[string]bool{
	"git":    setOf(`receive-pack upload-pack upload-archive shell`),
	"hg":     setOf(`serve`),
	"rclone": setOf(`serve rcd`),
	"restic": setOf(`serve`),
}

// sqlShells are database shells: commands on the input, or inline in an
// option (-c, -e, --command, --execute, -cmd) or, for sqlite3, as an
// operand after the database.
var sqlShells = setOf(`psql mysql mariadb sqlite3 sqlite duckdb`)

// commandChannel reports whether prog, with args, takes commands from its
// input (stdin) or runs commands written out in its arguments (inline).
func commandChannel(prog string, args []string) (stdin, inline bool) {
	switch {
	case commandChannels[prog]:
		return true, false
	case sqlShells[prog]:
		return sqlShell(prog, args)
	}
	subs, ok := commandChannelSubs[prog]
	if !ok {
		return false, false
	}
	if prog == "git" {
		i := gitSubIndex(args)
		return i < len(args) && subs[args[i]], false
	}
	return anyArg(operands(args), func(a string) bool { return subs[a] }), false
}

// sqlShell is commandChannel for a database shell: inline when code is
// given in its arguments, stdin otherwise (a script file named with -f
// is read as stdin would be: code the gate cannot see).
func sqlShell(prog string, args []string) (stdin, inline bool) {
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		switch {
		case name == "-c" || name == "-e" || name == "-cmd" || name == "--command" || name == "--execute",
			len(a) > 2 && a[0] == '-' && a[1] != '-' && (a[1] == 'c' || a[1] == 'e'):
			inline = true
		}
	}
	if (prog == "sqlite3" || prog == "sqlite" || prog == "duckdb") && len(operands(args)) > 1 {
		inline = true
	}
	return !inline, inline
}
