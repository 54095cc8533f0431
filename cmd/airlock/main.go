// Command airlock is the reference command line of the Airlock SDK.
//
//	airlock demo                     a scripted agent, gated, narrated
//	airlock serve --config FILE      run the gateway (--check validates)
//	airlock rules check FILE         compile and type-check a rule file
//	airlock rules test FILE CASES    decide test cases and compare
//	airlock replay FILE              a human transcript of recorded sessions
//	airlock sessions FILE            who did what, with refusals and holds
//	airlock verify FILE --key PUB    prove a record was not edited, cut or reordered
//	airlock export FILE --format asciicast
//	airlock audit-hash --hmac-key F  the stored form of a guessed secret
//	airlock keygen --out DIR         record signing and HMAC keys
//	airlock mcp -- SERVER...         gate an MCP server spoken to over stdio
//	airlock version                  print the version
//
// Exit codes: 0 success, 1 failure (a verification that failed, a
// command that could not run), 2 bad usage.
package main

import (
	"fmt"
	"github.com/airlock-sdk/airlock/internal/gctune"
	"io"
	"maps"
	"os"
	"runtime/debug"
	"slices"
)

// version may be set at build time with -ldflags "-X main.version=...";
// otherwise it comes from the build information (module version, or the
// commit the binary was built from).
var version = ""

// command is one subcommand.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands holds every subcommand by name.
var commands = map[string]command{
	"demo":       {"run a scripted agent through the gate and narrate what happens", noStdin(cmdDemo)},
	"replay":     {"replay recorded sessions (replay FILE|postgres://... [--session ID] [--detail] [--follow] [--color auto|always|never])", noStdin(cmdReplay)},
	"verify":     {"verify a record's hash chain and signatures (verify FILE --key PUBFILE)", noStdin(cmdVerify)},
	"export":     {"export a terminal session as asciicast v2 (export FILE --format asciicast)", noStdin(cmdExport)},
	"audit-hash": {"print the stored (HMAC) form of a guessed secret, to search a record (audit-hash --hmac-key FILE [VALUE])", cmdAuditHash},
	"keygen":     {"write record signing and HMAC keys (keygen --out DIR)", noStdin(cmdKeygen)},
	"mcp":        {"gate an MCP server over stdio (mcp [flags] -- SERVER COMMAND...)", cmdMCP},
	"sessions":   {"list the sessions in a record (sessions FILE|postgres://... [--json])", noStdin(cmdSessions)},
	"rules":      {"check a rule file, or test it against cases (rules check FILE | rules test FILE CASES)", noStdin(cmdRules)},
	"serve":      {"run the gateway from a configuration file (serve --config FILE [--check])", noStdin(cmdServe)},
	"version": {"print the version", func(_ []string, _ io.Reader, stdout, _ io.Writer) int {
		fmt.Fprintln(stdout, "airlock", buildVersion())
		return 0
	}},
}

// noStdin adapts a command that does not read standard input.
func noStdin(f func(args []string, stdout, stderr io.Writer) int) func([]string, io.Reader, io.Writer, io.Writer) int {
	return func(args []string, _ io.Reader, stdout, stderr io.Writer) int { return f(args, stdout, stderr) }
}

// buildVersion is the version to print: the -ldflags one, else the module
// version of an installed build, else the VCS revision of a source build.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified, at string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		case "vcs.time":
			at = s.Value
		}
	}
	if rev == "" {
		return "devel (" + bi.GoVersion + ")"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "devel-" + rev
	if modified == "true" {
		v += "-dirty"
	}
	if at != "" {
		v += " (" + at + ")"
	}
	return v
}

func main() {
	// A gateway's load, not a library's: see internal/gctune.
	gctune.Apply()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "airlock: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: airlock <command> [flags]\n\ncommands:")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'airlock <command> --help' for a command's flags.")
}
