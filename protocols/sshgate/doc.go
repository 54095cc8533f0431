// Package sshgate is an SSH gateway that gates what an agent runs on a host.
//
// A [Proxy] (built with [New]) terminates SSH on both sides with golang.org/x/crypto/ssh: it
// authenticates the client (a public key or a certificate signed by a
// trusted CA, mapped to a gate.Identity), logs in to the upstream host with
// a key only the gateway holds, and checks the upstream's host key. Every
// unit of intent the client asks for is a gate.Request with a gate.SSH:
//
//   - exec: the command line is parsed by [shell.Parse] into every simple
//     command it would run (through pipelines, lists, subshells, command
//     substitutions, sh -c strings and wrappers such as env, sudo and xargs),
//     with flags for dynamic program names, input piped into a shell and
//     inline interpreter code, the redirections and whether the line only
//     reads.
//   - shell: an interactive shell, with or without a terminal, as a whole.
//   - subsystem "sftp", then each sftp operation (read, write, remove,
//     rename, mkdir, rmdir, setstat, list, stat, symlink) as kind "sftp",
//     built by [shell.SFTP], on the path the host resolves: symbolic links
//     in it are resolved on the host first (the last one only where the
//     operation follows it), a symlink's relative target is judged
//     resolved against the link's directory, and the operation is done on
//     the resolved path. The recorded command shows the path the client
//     asked for when it differs.
//   - forward: ssh -L and -W (direct-tcpip) and Unix-socket forwards. The
//     host is judged, and forwarded, in one spelling: an IPv4 address in
//     any form the host's resolver reads (127.1, 2130706433, 0x7f.0.0.1,
//     ::ffff:127.0.0.1) as its dotted quad, 0.0.0.0 and :: as the
//     loopback they connect to, a name lower-cased without its final dot;
//     anything else is refused. A socket path is cleaned. Names are
//     resolved by the host, after judgment: rules that keep agents away
//     from addresses should allow names, not deny addresses.
//
// Remote forwarding (ssh -R), agent forwarding, X11 and other subsystems are
// always refused; env requests pass only for an allow-list (Config.EnvAllow),
// never for names that change what a judged command does (LD_*, BASH_ENV,
// ZDOTDIR, PATH, IFS, pagers, GIT_*, TAR_OPTIONS and other options
// programs read from the environment, proxies, credentials, interpreters'
// options: see neverForwarded), and
// for LANG and LC_* only with C, POSIX or a UTF-8 locale: in GBK, Big5 or
// Shift_JIS the host's bash would read a command line unlike the gate's
// parser. Each refused env request is recorded. A command line
// that does not parse is refused before the rules through gate.Conn.Refuse:
// a deny decision named "ssh/parse", counted in session.denied.
//
// A write to a start-up file is refused before the rules too, as a deny
// decision named "ssh/startup": a file whose content a later session runs
// as code the gate never sees (~/.bashrc, which Debian's bash sources even
// for the commands sshd runs, the other shell rc and profile files,
// ~/.ssh/rc, environment, authorized_keys and config, git config and
// hooks, fish and systemd user files, files in drop-in directories such as
// ~/.bashrc.d, ~/bin and ~/.local/bin, editor, tmux, npm and tool files
// that name commands or choose where code is fetched from: .envrc,
// pip.conf, .condarc, ~/.m2, ~/.gradle, desktop entries, installers'
// PATH directories (~/.cargo/bin, pyenv shims), coding agents' and
// editors' settings that start programs (.claude hooks, .mcp.json,
// ~/.vscode-server), and the
// system's: /etc/profile.d, /etc/bash.bashrc, cron and systemd
// directories, /etc/ld.so.preload, sudoers, sshd_config, and a program
// written into /usr/local/bin, /usr/bin or /bin; see shell.StartupPath
// and shell.WritesStartup).
// Every sftp operation that changes a path is judged on the resolved
// path, and again as ~/... when it lies under the server's start
// directory (the account's login directory, whatever its absolute
// spelling); an exec line on what it spells: a writing redirection, the
// arguments of a program that is not read-only, git config, an argument
// only known at run time that may end in a start-up path, an output
// option (-o F, --output=F) naming one on any program, a program that
// schedules code (crontab, at, batch), a package tool that plants
// start-up files (pip install, npm config set, pip config set, conda
// config, kubectl config set-credentials, aws configure, gh alias set,
// direnv allow, code --install-extension) or installs programs onto
// a later PATH (npm install -g, npm link, gem install, cargo install, go
// install), a name a program derives
// from its words (a backup's NAME+SUFFIX, a decompressed NAME, a split
// piece PREFIX+suffix, a file copied from another host), and a write of
// names chosen by data (an archive extracted, a patch applied, git
// updating a work tree, scp -t and rsync --server receiving, a tree copied
// with its contents merged, a download the server names) into a directory
// that may hold a start-up path: home, its ancestors, a start-up
// directory, /etc, or one only known at run time, and a second name for
// such a directory (ln -s . d in home, ln -s /proc/self/cwd d, cp -rs ~
// d, mount --bind ~, an sftp symlink to it). A login or interactive
// shell (bash -l, su -, sudo -i) runs its start-up files unseen: the
// directory of what follows it is unknown.
// A word is judged under every name the kernel may resolve it to: .. after
// a directory (which may be a link) leaves what follows it under an unknown
// directory, /var/run is /run and /bin /usr/bin, /dev/fd/N and
// /proc/self/fd/N are the files the line opened (exec 3<~; cp x
// /dev/fd/3/bin/ls; an unknown descriptor is any file), an expansion
// other than $HOME (${HOME%/}, $(eval echo ~), $X after X=~) may be the
// home directory or /, and ~NAME is a home. Since the login directory may
// be any absolute path, a bin directory (or a file in it) written by an
// absolute path counts unless it lies inside a known home (~/proj/bin) or
// a system tree: cp x /srv/app/bin/tool and go build -o /tmp/x/bin/app are
// refused. A program named by a path (./cat, ~/x/cat) is not the system's
// program of that name: its arguments may be written. The account tools
// (useradd, usermod, chsh, chfn, passwd, vipw, ...) write the account
// files a later login reads; caches a later program runs from (pip, uv,
// npm, yarn, pnpm, cargo, Go, gradle, pre-commit, rustup toolchains,
// pyenv and nvm versions, ~/.local/lib) and Python byte code (.pyc,
// __pycache__) are start-up paths.
// The home is whatever the upstream account's is: the first line of a
// connection that writes makes the gateway ask the upstream once, with a
// fixed command, for $HOME and the starting directory (Upstream.Home
// skips the question), and every path into that home, by any spelling,
// is judged as a path under ~. When the answer does not come, the home
// is unknown and any bin directory whose parent may be it is refused.
// The question is in the session's record like any command run upstream:
// a request event (the fixed command, with the gateway's reason and no
// decision) recorded before it runs, then its answer (an output event
// with the exit status) or an error event saying why none came.
// Config.AllowStartupWrites leaves these writes to the rules. Not seen:
// data-chosen names written into an ordinary directory that is a git work
// tree (its .git/hooks), a symbolic link already on the host other than
// the standard ones that an exec line writes through with no .. after
// it, and what an interactive shell is later told to do.
//
// Each client connection is one gate session (a gate.Conn). The results of
// commands and file reads leave through the gate: stdout and stderr through
// its output writers (masked by the decision, recorded before they are
// forwarded, bounded by Config.RecordLimit), the exit status through
// Conn.Finish with the findings of both streams, and sftp reads as stream
// "file"; the names and attributes of an sftp listing, a stat's attributes
// and a link's target as streams "listing", "stat" and "link" (a reply the
// decision's masker would change is refused: names cannot be served
// masked). Every SSH request is a request event (requests.go), and the
// number the client sends is bounded per connection by Config.MaxRequests
// (default DefaultMaxRequests; the upstream's apart, by the same number,
// a channel's exit not counted): the request past it ends the connection,
// with an error event saying so, so a client repeating env, window-change
// or keepalive requests cannot grow the record without limit. A shell's
// record replays as asciicast. When the gate cannot
// record output, the client's connection ends at once: nothing unrecorded
// reaches it. A port forward is judged when it opens and then carries
// bytes as they are, unrecorded, until either side or the session ends.
//
// Clients authenticate through Config.Authenticator, a gate.Authenticator
// given a gate.Credential with the user name, the client's address and the
// key (or certificate) in SSH wire format. [AuthorizedKeys] and
// [CertAuthority] are ready ones; gate.FirstOf composes them.
//
// Usage:
//
//	rules, _ := gate.LoadRules("rules.yaml")
//	g := gate.New(gate.Config{Rules: rules, Recorder: recorder})
//	keys, _ := sshgate.LoadAuthorizedKeys("agents.pub", nil)
//	p, err := sshgate.New(sshgate.Config{
//		Gate:          g,
//		HostKeys:      []xssh.Signer{gatewayHostKey},
//		Authenticator: gate.FirstOf(keys, &sshgate.CertAuthority{Keys: caKeys}),
//		Upstream: sshgate.Upstream{Addr: "db1:22", User: "deploy", Signer: upstreamKey,
//			HostKeyCallback: hostKeyCallback}, // knownhosts.New(...) or xssh.FixedHostKey(...)
//	})
//	defer p.Close()
//	l, _ := net.Listen("tcp", ":2222")
//	err = p.Serve(ctx, l)
//
// # The effect model and read_only
//
// What an exec request may change (its redirections, sockets, code the
// gate cannot see) and whether it only reads (ssh.read_only) are judged by
// package [shell] (analysis/shell), whose documentation gives the model.
// The gateway adds one thing the line alone cannot tell: an exec with a
// terminal (ssh -t) is never read-only, since a pager takes keystrokes the
// gate never judges; under a decision that masks results it is refused
// (ssh/masked-transform), as an interactive shell is: less -S scrolled
// sideways draws a card cut. For sftp, read_only holds for read, list and stat. The robust rule
// for an agent that reads is ssh.kind == "exec" && ssh.read_only, narrowed
// by a list of programs. Exit status and exit signal are recorded with the
// command's final output.
//
// Do not forget: rules judge the parsed command, not the string. Write them
// against ssh.programs and ssh.commands, and deny ssh.dynamic,
// ssh.pipes_to_shell and ssh.interpreter_inline unless you mean to allow
// code the gate cannot read.
package sshgate
