// Package shell judges a shell command line without running it: what
// programs it would run, whether it only reads, whether it reaches the
// network or runs code the judge cannot see, and which files its
// redirections open. It is the analyser behind the SSH gateway
// (protocols/sshgate), usable on its own — to test rules against command
// lines, or to gate commands that reach a host some other way.
//
// [Parse] turns a command line into a [gate.SSH] of kind "exec", which
// rules see as `ssh`; [SFTP] does the same for one sftp operation. Neither
// does any I/O.
//
// # What Parse sees
//
// The line is parsed with a bash parser (mvdan.cc/sh) into every simple
// command it would run, through pipelines, lists, subshells, command
// substitutions, functions, and the string arguments of sh -c, bash -c,
// eval, su -c, env -S, watch and find -exec, parsed recursively. Quoting is
// removed as the shell would (r""m, \rm and $'\x72m' are all rm). Wrappers
// (env, command, sudo, xargs, busybox, nice, timeout, nohup, exec, ...) are
// commands themselves and the program they run is listed as its own
// command, and so is a command an option names (man -P, tar -I and
// --checkpoint-action, rsync -e, ssh -o ProxyCommand; see optionCommands).
// A program in no table is read as a possible wrapper: its first argument
// that names a known program starts a command of its own (sshpass -p x rm
// lists rm; see possibleWrapper). Flags say what cannot be listed: ssh.dynamic for a program name
// only known at run time (or a variable such as PATH or LD_PRELOAD that
// changes which program runs, assigned in any form bash has: NAME=value,
// export and declare, a for or select loop's variable, ${NAME:=value},
// read, printf -v, getopts, mapfile, wait -p, a nameref), ssh.pipes_to_shell for a shell or
// interpreter reading its commands from stdin (and any program that takes
// commands or file operations from its input: ed, vim -e, gdb, sqlite3,
// psql, dc, an sftp client, tmux, newgrp, sftp-server, git-receive-pack;
// see commandChannel), ssh.interpreter_inline for
// inline code (python -c, perl -e, awk system()). Builtins that run a
// command string given as an option value or argument (mapfile -C,
// compgen -C, jobs -x, trap) have it parsed like sh -c; where the code is
// not written out (compgen -F, a -W word list with expansions, bind -x,
// fc) or bash evaluates values as arithmetic (the integer attribute of
// declare -i and local -i, a subscripted name given to declare or read) the
// line is ssh.dynamic, and so is keyword or allexport mode (set -k, set -o
// keyword, bash -k, set -a), where NAME=value anywhere on a later command
// line becomes that command's environment (bash -c true BASH_ENV=script).
// A wrapper's options are a table of every option it takes: one the table
// does not list may take the next word as its value, so the program it
// runs is unknown and the line is ssh.dynamic; env and sudo take
// NAME=value after "--" too.
//
// The shell that runs a line is not known: the account's login shell runs
// the exec string, and /bin/sh is often dash. So every script, the nested
// ones too, is also read as POSIX sh, mksh and zsh. Where a reading differs
// from bash's (other programs, another read-only verdict) or does not
// parse ($'...', [[ ]], <(...), arrays, time as a program), the line is
// ssh.dynamic, not read-only, and lists the programs of every reading.
//
// A line that does not parse as bash, holds a NUL byte, a CR or another
// control character but TAB and LF, bytes that are not UTF-8, a non-ASCII
// character directly before a backslash or a backquote (in a GBK, Big5 or
// Shift_JIS locale bash reads that byte as part of the character, so
// `cat f 中\; rm g` runs rm), or a comment
// continued past its newline by a backslash, nests too deep or is longer
// than [MaxCommandBytes] is an error wrapping [ErrCommand]: the caller must
// refuse it, since the gate cannot judge what it cannot read. Such bytes
// are not normalised away: shells read them unlike the parser
// (backslash-CR-LF is no line continuation to bash or dash).
//
// # The effect model and read_only
//
// Besides the programs, Parse says what the line may change. Every
// redirection is in ssh.commands[].redirections with its operator,
// descriptor, target (after quote removal) and write: true for >, >>, >|,
// <>, &>, &>> and for >& or <& with a target that is not a descriptor
// (bash's echo x >& file writes the file), false for /dev/null, the
// standard streams and /dev/fd/N. A statement that is only a redirection
// (> file, X=1 > file, { > file; }) is a command with an empty program, so
// an allow-list of programs refuses it; the redirections of a group,
// subshell, loop or branch apply to every command inside it. ssh.network is
// set by /dev/tcp or /dev/udp anywhere in the line (or by a redirection
// whose target is only known at run time), and by a known network client:
// curl, wget, nc, ssh, scp, mail, DNS lookups (dig, host, nslookup,
// getent hosts: the name carries what the line read to a DNS server),
// git push, fetch and clone, package installs and publishes, cloud and
// database clients given a host (see reachesNetwork); a program the list
// does not name may reach the network too, so a rule against egress
// should allow a list of programs. ssh.runs_unseen_code is set by a shell,
// source, an interpreter, awk -f or sed -f given a script file.
//
// ssh.commands[].read_only comes from a curated table of programs and the
// options that make them write, delete, execute or reach out (find -delete
// and -fprint, sed -i, sort -o, tar x and tar -f host:archive, git commit,
// awk system(), journalctl --cursor-file, ...) in every form getopt
// accepts; awk's options are an allow-list (gawk writes files from
// -d, -p and -o alone, and reads debugger commands with -D); an unknown program is not read-only, a wrapper (env,
// timeout, nice, sudo, ...) is read-only itself and the program it runs is
// judged as its own command (so is find with -exec, -execdir, -ok and
// -okdir: find . -exec ls -l {} + only reads, find . -exec rm {} + does
// not), xargs never is. ssh.read_only holds when there
// is at least one command, every one is read-only, and nothing is dynamic,
// piped into a shell, inline, unseen or networked; for sftp it holds for
// read, list and stat. It is also false when the line evaluates a value
// the gate cannot see as code or a name (arithmetic on variables, ${!x},
// ${x@P}, printf -v, [[ -v ]]), and when a command is given environment
// other than locale, time zone or terminal size (GIT_EXTERNAL_DIFF=...
// git diff). Parse judges the line alone: a caller that runs it with a
// terminal, where a pager takes keystrokes nobody judges, must clear
// ReadOnly itself (the SSH gateway does for ssh -t).
//
// git is read-only only as plumbing (rev-parse, ls-tree, cat-file,
// rev-list, branch and tag listing, config --get, ...): its configuration,
// which an agent that may write any file can change (.git/config, a .git
// in a parent directory, ~/.gitconfig), names programs that status, log,
// diff, show, blame, grep, ls-files and describe run (core.fsmonitor,
// diff and filter drivers, textconv, gpg.program to show signatures). A
// git command outside the plumbing sets ssh.runs_unseen_code. A policy
// whose agents can write no file may allow git status and log by name.
//
// File transfer over exec (scp -t and -f, rsync --server, tar reading an
// archive from stdin) is judged by its command line alone: the names of
// the files in the protocol stream are not seen (scp -t DIR writes what
// the client names inside DIR, following symbolic links there; rsync
// --server takes its file list from the client). None of them is
// read-only; a rule that allows them trusts the client with those paths.
//
// Do not forget: rules judge the parsed command, not the string. Write them
// against ssh.programs and ssh.commands, and deny ssh.dynamic,
// ssh.pipes_to_shell and ssh.interpreter_inline unless you mean to allow
// code the gate cannot read. The robust rule for an agent that reads is
// ssh.kind == "exec" && ssh.read_only, narrowed by a list of programs.
package shell
