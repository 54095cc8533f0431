// Package sshgate is an SSH gateway that gates what an agent runs on a host.
//
// A [Proxy] terminates SSH on both sides with golang.org/x/crypto/ssh: it
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
//     reads. A command that does not parse is refused before the rules.
//   - shell: an interactive shell, with or without a terminal, as a whole.
//   - subsystem "sftp", then each sftp operation (read, write, remove,
//     rename, mkdir, rmdir, setstat, list, stat, symlink) as kind "sftp",
//     built by [shell.SFTP].
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
//	keys, _ := sshgate.LoadAuthorizedKeys("agents.pub", nil)
//	p := &sshgate.Proxy{
//		Gate:     g,
//		HostKeys: []xssh.Signer{gatewayHostKey},
//		Auth:     keys,
//		Upstream: sshgate.Upstream{Addr: "db1:22", User: "deploy", Signer: upstreamKey,
//			HostKeyCallback: hostKeyCallback}, // knownhosts.New(...) or xssh.FixedHostKey(...)
//	}
//	l, _ := net.Listen("tcp", ":2222")
//	err := p.Serve(ctx, l)
//
// # The effect model and read_only
//
// What an exec request may change (its redirections, sockets, code the
// gate cannot see) and whether it only reads (ssh.read_only) are judged by
// package [shell] (analysis/shell), whose documentation gives the model.
// The gateway adds one thing the line alone cannot tell: an exec with a
// terminal (ssh -t) is never read-only, since a pager takes keystrokes the
// gate never judges. For sftp, read_only holds for read, list and stat. The robust rule
// for an agent that reads is ssh.kind == "exec" && ssh.read_only, narrowed
// by a list of programs. Exit status and exit signal are recorded with the
// command's final output.
//
// Do not forget: rules judge the parsed command, not the string. Write them
// against ssh.programs and ssh.commands, and deny ssh.dynamic,
// ssh.pipes_to_shell and ssh.interpreter_inline unless you mean to allow
// code the gate cannot read.
package sshgate
