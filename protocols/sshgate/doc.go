// Package sshgate is an SSH gateway that gates what an agent runs on a host.
//
// A [Proxy] terminates SSH on both sides with golang.org/x/crypto/ssh: it
// authenticates the client (a public key or a certificate signed by a
// trusted CA, mapped to a gate.Identity), logs in to the upstream host with
// a key only the gateway holds, and checks the upstream's host key. Every
// unit of intent the client asks for is a gate.Request with a gate.SSH:
//
//   - exec: the command line is parsed by [ParseCommand] into every simple
//     command it would run (through pipelines, lists, subshells, command
//     substitutions, sh -c strings and wrappers such as env, sudo and xargs),
//     with flags for dynamic program names, input piped into a shell and
//     inline interpreter code. A command that does not parse is refused.
//   - shell: an interactive shell, with or without a terminal, as a whole.
//   - subsystem "sftp", then each sftp operation (read, write, remove,
//     rename, mkdir, rmdir, setstat, list, stat, symlink) as kind "sftp".
//   - forward: ssh -L and -W (direct-tcpip) and Unix-socket forwards.
//
// Remote forwarding (ssh -R), agent forwarding, X11 and other subsystems are
// always refused; env requests pass only for an allow-list. Output flows
// through the decision's masker and is recorded, masked, with the exit
// status: a shell's record replays as asciicast.
//
// Usage:
//
//	rules, _ := gate.LoadRules("rules.yaml")
//	g := gate.New(gate.Config{Rules: rules, Recorder: recorder})
//	keys, _ := ssh.LoadAuthorizedKeys("agents.pub", nil)
//	p := &ssh.Proxy{
//		Gate:     g,
//		HostKeys: []xssh.Signer{gatewayHostKey},
//		Auth:     keys,
//		Upstream: ssh.Upstream{Addr: "db1:22", User: "deploy", Signer: upstreamKey,
//			HostKeyCallback: hostKeyCallback}, // knownhosts.New(...) or xssh.FixedHostKey(...)
//	}
//	l, _ := net.Listen("tcp", ":2222")
//	err := p.Serve(ctx, l)
//
// # The effect model and read_only
//
// Besides the programs, an exec request says what the line may change.
// Every redirection is in ssh.commands[].redirections with its operator,
// descriptor, target (after quote removal) and write: true for >, >>, >|,
// <>, &>, &>> and for >& or <& with a target that is not a descriptor
// (bash's echo x >& file writes the file), false for /dev/null, the
// standard streams and /dev/fd/N. A statement that is only a redirection
// (> file, X=1 > file, { > file; }) is a command with an empty program, so
// an allow-list of programs refuses it; the redirections of a group,
// subshell, loop or branch apply to every command inside it. ssh.network is
// set by /dev/tcp or /dev/udp anywhere in the line (or by a redirection
// whose target is only known at run time); ssh.runs_unseen_code by a shell,
// source, an interpreter, awk -f or sed -f given a script file.
//
// ssh.commands[].read_only comes from a curated table of programs and the
// options that make them write, delete, execute or reach out (find -delete
// and -exec, sed -i, sort -o, tar x, git commit, awk system(), ...) in every
// form getopt accepts; an unknown program is not read-only, a wrapper (env,
// timeout, nice, sudo, ...) is read-only itself and the program it runs is
// judged as its own command, xargs never is. ssh.read_only holds when there
// is at least one command, every one is read-only, and nothing is dynamic,
// piped into a shell, inline, unseen or networked; for sftp it holds for
// read, list and stat. It is also false when the line evaluates a value
// the gate cannot see as code or a name (arithmetic on variables, ${!x},
// ${x@P}, printf -v, [[ -v ]]), when a command is given environment other
// than locale, time zone or terminal size (GIT_EXTERNAL_DIFF=... git diff),
// and for every exec with a terminal (ssh -t), where a pager takes
// keystrokes the gate never judges. The robust rule for an agent that reads is
// ssh.kind == "exec" && ssh.read_only, narrowed by a list of programs.
// Exit status and exit signal are recorded with the command's final output.
//
// Do not forget: rules judge the parsed command, not the string. Write them
// against ssh.programs and ssh.commands, and deny ssh.dynamic,
// ssh.pipes_to_shell and ssh.interpreter_inline unless you mean to allow
// code the gate cannot read.
package sshgate
