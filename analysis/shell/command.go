package shell

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"mvdan.cc/sh/v3/syntax"
)

// Limits of the command parser. A command line beyond them is refused: the
// gate cannot judge what it cannot read.
const (
	// MaxCommandBytes bounds an exec command line.
	MaxCommandBytes = 256 << 10
	maxDepth        = 8    // nested sh -c, eval, wrappers
	maxCommands     = 4096 // simple commands in one command line
	// maxParsed bounds the bytes parsed for one command line, the line
	// and every script nested in it (sh -c, eval, find -exec, ...) together:
	// a script re-parsed at every level of nesting costs each level again.
	maxParsed = 2 * MaxCommandBytes
)

// ErrCommand is wrapped by every error Parse returns. Its text keeps the
// "ssh:" prefix it had inside the SSH gateway, which sends it to clients
// and records it: a refusal reads the same as before the move.
var ErrCommand = errors.New("ssh: command cannot be judged")

// Parse parses a command line (an SSH exec request) with a bash parser
// into what rules see as `ssh`: every simple command it would run, through
// pipelines, lists, subshells, command substitutions, functions, and the
// string arguments of sh -c, bash -c, eval, su -c, env -S, watch and
// find -exec, parsed recursively. Wrappers (env, command, sudo, xargs, busybox, nice,
// timeout, nohup, exec, ...) report the wrapped program too. A line that
// POSIX sh, mksh or zsh reads otherwise than bash is dynamic, not read-only.
// A command line that does not parse, holds control characters (CR
// included), nests too deep or is too long is an error: deny it.
//
// The result has Kind "exec" and Command set to cmd.
func Parse(cmd string) (*gate.SSH, error) {
	if len(cmd) > MaxCommandBytes {
		return nil, fmt.Errorf("%w: command is %d bytes, more than %d", ErrCommand, len(cmd), MaxCommandBytes)
	}
	if strings.IndexByte(cmd, 0) >= 0 {
		return nil, fmt.Errorf("%w: command contains a NUL byte", ErrCommand)
	}
	if err := checkNesting(cmd); err != nil {
		return nil, err
	}
	return parseDialects(cmd)
}

// checkNesting refuses a script nested, chained or split into words
// beyond what the parser can read in bounded time and memory (nesting.go).
func checkNesting(src string) error {
	d, words := nestingDepth(src)
	if d > maxNesting {
		return fmt.Errorf("%w: nested or chained more than %d deep (brackets, $( ), ${ }, quotes, if/while/case, [[ ]], a && b, a | b, arithmetic operators): split it into several commands", ErrCommand, maxNesting)
	}
	if words > maxWords {
		return fmt.Errorf("%w: more than %d words or parts of words (quotes, escapes, expansions): split it into several commands", ErrCommand, maxWords)
	}
	return nil
}

// analyse reads cmd, and every script nested in it, in one shell dialect;
// cmd has passed checkNesting (Parse).
func analyse(cmd string, lang syntax.LangVariant) (*gate.SSH, error) {
	a := &analyzer{out: &gate.SSH{Kind: "exec", Command: cmd}, seen: map[string]bool{}, lang: lang, checked: true}
	if err := a.parse(cmd, 0); err != nil {
		return nil, err
	}
	if mentionsSocket(cmd) {
		a.out.Network = true
	}
	a.out.ReadOnly = !a.arith && lineReadOnly(a.out)
	return a.out, nil
}

type analyzer struct {
	lang  syntax.LangVariant // the dialect every script is read in
	src   string             // the script being parsed
	out   *gate.SSH
	seen  map[string]bool // programs already listed
	count int
	// inherit are the redirections of the compound commands around the
	// statement being walked ({ ls; } > f writes f from ls).
	inherit []gate.SSHRedirect
	// funcs are the functions the script defines and where they hold;
	// funcCall says the command being recorded calls one of them.
	funcs    map[string][]funcScope
	funcCall bool
	// envChange: the command being recorded has a prefix assignment
	// (GIT_EXTERNAL_DIFF=... git diff) that may make it run programs.
	envChange bool
	// checked: the next script parsed is the command line, which Parse
	// checked (checkNesting) before any dialect read it.
	checked bool
	// parsed counts the bytes of every script parsed so far (maxParsed).
	parsed int
	// arith: arithmetic is evaluated on variables, whose values bash
	// evaluates in turn (and can run commands from).
	arith bool
}

// parse analyses one shell script (the command line, or the argument of a
// nested sh -c).
func (a *analyzer) parse(src string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested more than %d levels deep", ErrCommand, maxDepth)
	}
	if err := checkBytes(src); err != nil {
		return err
	}
	a.parsed += len(src)
	if a.parsed > maxParsed {
		return fmt.Errorf("%w: the scripts nested in the command (sh -c, eval, ...) come to more than %d bytes", ErrCommand, maxParsed)
	}
	if a.checked {
		a.checked = false // Parse checked the command line itself, once for every dialect
	} else if err := checkNesting(src); err != nil {
		return err
	}
	f, err := syntax.NewParser(syntax.Variant(a.lang), syntax.KeepComments(true)).Parse(strings.NewReader(src), "")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCommand, err)
	}
	if err := continuedComment(f); err != nil {
		return err
	}
	outer, outerFuncs := a.src, a.funcs
	a.src, a.funcs = src, definedFuncs(f)
	defer func() { a.src, a.funcs = outer, outerFuncs }()
	var werr error
	// frames mirror the walk's stack: a compound command's redirections
	// apply to every command inside it.
	type frame struct {
		inherited int // redirections pushed by this node
		before    int // commands recorded before it
		redirs    []gate.SSHRedirect
	}
	var frames []frame
	syntax.Walk(f, func(n syntax.Node) bool {
		if werr != nil {
			return false
		}
		if n == nil {
			fr := frames[len(frames)-1]
			frames = frames[:len(frames)-1]
			if fr.inherited > 0 {
				a.inherit = a.inherit[:len(a.inherit)-fr.inherited]
				if len(a.out.Commands) == fr.before {
					// { x=1; } > f runs no program, but still opens f.
					werr = a.bare(fr.redirs)
				}
			}
			return true
		}
		if arithmetic(n) {
			a.arith = true
		}
		a.variableWrites(n)
		fr := frame{}
		if x, ok := n.(*syntax.Stmt); ok {
			switch cmd := x.Cmd.(type) {
			case *syntax.CallExpr:
				a.assigns(cmd.Assigns)
				if len(cmd.Args) > 0 {
					argv := make([]wordValue, len(cmd.Args))
					for i, w := range cmd.Args {
						argv[i] = literal(a.src, w)
					}
					a.funcCall = !argv[0].dynamic && !argv[0].glob && isDefinedFunc(a.funcs, argv[0].text, x.Pos().Offset())
					a.envChange = false
					for _, as := range cmd.Assigns {
						if as.Name == nil || !safeEnv(as.Name.Value) {
							a.envChange = true
						}
					}
					werr = a.command(argv, x.Redirs, depth)
				} else if len(x.Redirs) > 0 {
					werr = a.bare(a.redirections(x.Redirs))
				}
			case nil:
				if len(x.Redirs) > 0 {
					werr = a.bare(a.redirections(x.Redirs))
				}
			case *syntax.DeclClause:
				a.assigns(cmd.Args)
				werr = a.run([]wordValue{{text: cmd.Variant.Value}}, x.Redirs, depth, false)
			default:
				// Compound commands, and function definitions: defining a
				// function runs nothing, but its body is walked and
				// reported as if it ran (the strict reading), with the
				// redirections the definition carries.
				if len(x.Redirs) > 0 {
					fr.redirs = a.redirections(x.Redirs)
					fr.inherited = len(fr.redirs)
					fr.before = len(a.out.Commands)
					a.inherit = append(a.inherit, fr.redirs...)
				}
			}
		}
		if werr != nil {
			return false
		}
		frames = append(frames, fr)
		return true
	})
	return werr
}

// dangerousEnv names variables that change which program runs or inject
// code into every program.
var dangerousEnv = map[string]bool{
	"PATH": true, "LD_PRELOAD": true, "LD_LIBRARY_PATH": true, "LD_AUDIT": true,
	"BASH_ENV": true, "ENV": true, "IFS": true, "PS4": true, "PROMPT_COMMAND": true,
	"SHELLOPTS": true, "BASHOPTS": true, "BASH_LOADABLES_PATH": true, "PYTHONSTARTUP": true,
	"PYTHONPATH": true, "PERL5OPT": true, "PERL5LIB": true, "RUBYOPT": true, "NODE_OPTIONS": true,
	"GIT_SSH_COMMAND": true, "GIT_EXEC_PATH": true,
	// zsh reads $ZDOTDIR/.zshenv (else ~/.zshenv) before every script,
	// a login bash ~/.bash_profile; iconv loads GCONV_PATH's modules;
	// EXECIGNORE hides programs from bash's PATH search.
	"ZDOTDIR": true, "HOME": true, "GCONV_PATH": true, "EXECIGNORE": true,
	// bash's command hash table and alias table: BASH_CMDS[ls]=/bin/rm
	// makes ls run rm, as hash -p does.
	"BASH_CMDS": true, "BASH_ALIASES": true,
}

// dangerousName reports whether assigning name changes which program runs
// or injects code: dangerousEnv, the dynamic loader's LD_* variables, and
// BASH_FUNC_NAME%% (an exported function: a bash started with it in its
// environment defines the function NAME, which then runs instead of the
// builtin or program of that name).
func dangerousName(name string) bool {
	return dangerousEnv[name] || strings.HasPrefix(name, "LD_") || strings.HasPrefix(name, "BASH_FUNC_")
}

func (a *analyzer) assigns(as []*syntax.Assign) {
	for _, as := range as {
		if as.Name != nil && dangerousName(as.Name.Value) {
			a.out.Dynamic = true
		}
	}
}

// command records one simple command and looks inside it when it runs
// another program or a script.
func (a *analyzer) command(argv []wordValue, redirs []*syntax.Redirect, depth int) error {
	return a.run(argv, redirs, depth, false)
}

// run records a simple command; a wrapped command's words are already in
// Argv as its wrapper's arguments.
func (a *analyzer) run(argv []wordValue, redirs []*syntax.Redirect, depth int, wrapped bool) error {
	if len(argv) == 0 {
		return nil
	}
	if depth > maxDepth {
		return fmt.Errorf("%w: nested more than %d levels deep", ErrCommand, maxDepth)
	}
	a.count++
	if a.count > maxCommands {
		return fmt.Errorf("%w: more than %d commands", ErrCommand, maxCommands)
	}
	funcCall, envChange := a.funcCall && !wrapped, a.envChange && !wrapped
	a.funcCall, a.envChange = false, false
	prog := argv[0]
	c := gate.SSHCommand{Path: prog.text, Program: basename(prog.text)}
	// ./cat or /tmp/x/cat is whatever file is there, not the system's cat.
	systemPath := !strings.Contains(prog.text, "/") || systemDirs[path.Dir(path.Clean(prog.text))]
	for _, w := range argv[1:] {
		c.Args = append(c.Args, w.text)
	}
	if reachesNetwork(c.Program, c.Args) {
		a.out.Network = true
	}
	switch stdin, inline := commandChannel(c.Program, c.Args); {
	case stdin:
		a.out.PipesToShell = true
	case inline:
		a.out.InterpreterInline = true
	}
	for _, cmd := range optionCommands(c.Program, c.Args) {
		// man -P 'rm x' ls: the option's command is judged as a line.
		if err := a.script([]wordValue{{text: cmd}}, depth+1); err != nil {
			return err
		}
	}
	opensDevice := false
	for _, w := range argv {
		if mentionsSocket(w.text) {
			a.out.Network = true
		}
		opensDevice = opensDevice || stateDevice(w.text)
	}
	c.Redirections = append(a.redirections(redirs), a.inherit...)
	c.Redirects = redirectTargets(c.Redirections)
	// Calling a function the script defined is read-only itself: its
	// body's commands are listed and judged on their own.
	for _, r := range c.Redirections {
		opensDevice = opensDevice || stateDevice(r.Target)
	}
	c.ReadOnly = !prog.dynamic && !prog.glob && systemPath && !envChange && !opensDevice && redirectsReadOnly(c.Redirections) &&
		(funcCall || a.commandReadOnly(c.Program, argv[1:]))
	a.out.Commands = append(a.out.Commands, c)
	if !a.seen[c.Program] {
		a.seen[c.Program] = true
		a.out.Programs = append(a.out.Programs, c.Program)
	}
	if !wrapped {
		for _, w := range argv {
			a.out.Argv = append(a.out.Argv, w.text)
		}
	}
	if prog.dynamic || prog.glob {
		a.out.Dynamic = true
		return nil
	}
	return a.inside(c.Program, argv[1:], redirs, depth+1)
}

// basename is the program name a rule matches: the last path element, with
// interpreter version suffixes kept (python3.12 stays python3.12).
func basename(p string) string {
	if p == "" {
		return ""
	}
	b := path.Base(p)
	if b == "/" || b == "." {
		return p
	}
	return b
}

// family strips version suffixes: python3.12 -> python, perl5.36 -> perl.
func family(prog string) string {
	f := strings.TrimRight(prog, "0123456789.-")
	if f == "" {
		return prog
	}
	return f
}

var shells = map[string]bool{
	"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "ash": true,
	"rbash": true, "fish": true, "csh": true, "tcsh": true, "yash": true, "posh": true, "oksh": true,
}

// interpreters maps an interpreter family to the short options that run
// inline code; long options are listed with their dashes.
var interpreters = map[string][]string{
	"python":     {"c"},
	"pypy":       {"c"},
	"perl":       {"e", "E"},
	"ruby":       {"e"},
	"node":       {"e", "p", "--eval", "--print"},
	"nodejs":     {"e", "p", "--eval", "--print"},
	"bun":        {"e", "p", "--eval", "--print"},
	"deno":       {},
	"php":        {"r"},
	"lua":        {"e"},
	"luajit":     {"e"},
	"Rscript":    {"e"},
	"pwsh":       {"c", "-Command", "-EncodedCommand", "-e", "-ec"},
	"powershell": {"c", "-Command", "-EncodedCommand", "-e", "-ec"},
	"osascript":  {"e"},
	"tclsh":      {},
	"wish":       {},
	"expect":     {"c"},
	"jshell":     {},
	"irb":        {},
	"groovy":     {"e"},
	"scala":      {"e"},
	"julia":      {"e", "E"},
}

var awks = map[string]bool{"awk": true, "gawk": true, "mawk": true, "nawk": true}

// wrapper describes a program that runs another program given in its
// arguments: valueOpts take a value (attached, or the next argument);
// flags are the short option letters that take none and longFlags the
// long options that take none (or only an attached =value); positional
// counts the arguments before the wrapped program (timeout's duration).
// An option that is in none of these lists makes the wrapped program
// unknowable: it may take a value, and the program would be the word after
// it (chrt -T 1000 -d 0 rm, unshare -S 0 rm), so the line is dynamic.
type wrapper struct {
	valueOpts  []string
	flags      string
	longFlags  []string
	positional int
	assigns    bool // NAME=VALUE arguments may precede the program (env, sudo)
	shellFlags []string
}

// optionUnknown is the width of an option the wrapper does not list.
const optionUnknown = -1

// width says how many arguments t takes up when it is an option of w (2
// for one whose value is the next argument) or a NAME=VALUE assignment w
// accepts (1); 0 when it is neither, and the program's own arguments start
// at t; optionUnknown for an option w does not list.
func (w wrapper) width(t string) int {
	switch {
	case strings.HasPrefix(t, "--") && len(t) > 2:
		name, _, attached := strings.Cut(t, "=")
		switch {
		case contains(w.valueOpts, name) && !attached:
			return 2
		case contains(w.valueOpts, name) || contains(w.longFlags, name):
			return 1
		}
		return optionUnknown
	case strings.HasPrefix(t, "-") && len(t) > 1:
		for k := 1; k < len(t); k++ {
			if contains(w.valueOpts, "-"+t[k:k+1]) {
				if k+1 < len(t) {
					return 1 // the value is attached
				}
				return 2
			}
			if strings.IndexByte(w.flags, t[k]) < 0 {
				return optionUnknown
			}
		}
		return 1
	case w.assigns && isWrapperAssign(t):
		return 1
	}
	return 0
}

// isWrapperAssign reports whether t is a NAME=VALUE argument of a wrapper
// that takes them (env, sudo), before or after "--".
func isWrapperAssign(t string) bool {
	return strings.Contains(t, "=") && !strings.HasPrefix(t, "=")
}

var wrappers = map[string]wrapper{
	"env": {valueOpts: []string{"-u", "--unset", "-C", "--chdir"}, assigns: true, flags: "i0v",
		longFlags: []string{"--ignore-environment", "--null", "--debug", "--list-signal-handling", "--block-signal",
			"--default-signal", "--ignore-signal"}},
	"command": {flags: "pvV"},
	"builtin": {},
	"exec":    {valueOpts: []string{"-a"}, flags: "cl"},
	"nice":    {valueOpts: []string{"-n", "--adjustment"}, flags: "0123456789"},
	"nohup":   {},
	"setsid":  {flags: "cfw", longFlags: []string{"--ctty", "--fork", "--wait"}},
	"time": {valueOpts: []string{"-o", "-f", "--output", "--format"}, flags: "apqv",
		longFlags: []string{"--append", "--portability", "--quiet", "--verbose"}},
	"timeout": {valueOpts: []string{"-s", "--signal", "-k", "--kill-after"}, positional: 1, flags: "v",
		longFlags: []string{"--preserve-status", "--foreground", "--verbose"}},
	"sudo": {valueOpts: []string{"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-T", "-U", "-R", "-a", "-c", "--user", "--group",
		"--host", "--prompt", "--close-from", "--chdir", "--role", "--type", "--command-timeout", "--other-user", "--chroot"},
		flags: "AbBEeHiKklnNPSsVv", longFlags: []string{"--askpass", "--background", "--bell", "--preserve-env", "--edit",
			"--set-home", "--login", "--remove-timestamp", "--reset-timestamp", "--list", "--non-interactive", "--no-update",
			"--preserve-groups", "--stdin", "--shell", "--validate"},
		assigns: true, shellFlags: []string{"s", "i", "--shell", "--login"}},
	"doas":   {valueOpts: []string{"-u", "-C", "-a"}, flags: "ns", shellFlags: []string{"s"}},
	"pkexec": {valueOpts: []string{"--user"}, longFlags: []string{"--disable-internal-agent", "--keep-cwd"}},
	"xargs": {valueOpts: []string{"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter", "--eof", "--max-lines",
		"--max-args", "--max-procs", "--max-chars", "--process-slot-var"}, flags: "0oprtxeil",
		longFlags: []string{"--null", "--open-tty", "--interactive", "--no-run-if-empty", "--show-limits", "--verbose", "--exit", "--replace"}},
	"busybox": {},
	"toybox":  {},
	"stdbuf":  {valueOpts: []string{"-i", "-o", "-e", "--input", "--output", "--error"}},
	"ionice": {valueOpts: []string{"-c", "-n", "-p", "-P", "-u", "--class", "--classdata", "--pid", "--pgid", "--uid"}, flags: "t",
		longFlags: []string{"--ignore"}},
	"chrt": {valueOpts: []string{"-T", "-P", "-D", "--sched-runtime", "--sched-period", "--sched-deadline"}, positional: 1,
		flags: "bdfiorRamvp", longFlags: []string{"--batch", "--deadline", "--fifo", "--idle", "--other", "--rr", "--reset-on-fork",
			"--all-tasks", "--max", "--pid", "--verbose"}},
	"taskset": {positional: 1, flags: "apc", longFlags: []string{"--all-tasks", "--pid", "--cpu-list"}},
	"chroot":  {valueOpts: []string{"--userspec", "--groups"}, positional: 1, longFlags: []string{"--skip-chdir"}},
	"unshare": {valueOpts: []string{"-R", "-w", "-S", "-G", "--root", "--wd", "--setuid", "--setgid", "--propagation", "--setgroups",
		"--map-user", "--map-group", "--map-users", "--map-groups", "--monotonic", "--boottime"}, flags: "muinpUCTfrcl",
		longFlags: []string{"--mount", "--uts", "--ipc", "--net", "--pid", "--user", "--cgroup", "--time", "--fork", "--map-root-user",
			"--map-current-user", "--map-auto", "--kill-child", "--mount-proc", "--load-interp"}},
	"nsenter": {valueOpts: []string{"-t", "--target", "-S", "--setuid", "-G", "--setgid"}, flags: "muinpUCTrwFZa",
		longFlags: []string{"--mount", "--uts", "--ipc", "--net", "--pid", "--user", "--cgroup", "--time", "--root", "--wd",
			"--no-fork", "--follow-context", "--all", "--preserve-credentials"}},
	"flock": {valueOpts: []string{"-w", "--wait", "--timeout", "-E", "--conflict-exit-code"}, positional: 1, flags: "suxnoF",
		longFlags: []string{"--shared", "--exclusive", "--unlock", "--nonblock", "--close", "--no-fork", "--verbose"}},
	"strace": {valueOpts: []string{"-o", "-e", "-p", "-s", "-u", "-E", "-a", "-b", "-O", "-S", "-P", "-I", "-X", "-U"},
		flags: "fFcCdDhiqrtTvVxyYzZkwn"},
	"ltrace": {valueOpts: []string{"-o", "-e", "-p", "-s", "-u", "-a", "-n", "-l", "-x", "-A", "-D", "-F", "-w"}, flags: "bcCfhiLrStTV"},
	"systemd-run": {valueOpts: []string{"-u", "-p", "-E", "-M", "-H", "--unit", "--property", "--uid", "--gid", "--setenv",
		"--machine", "--host", "--description", "--slice", "--working-directory"}},
	"setpriv": {valueOpts: []string{"--reuid", "--regid", "--ruid", "--rgid", "--euid", "--egid", "--groups", "--inh-caps",
		"--ambient-caps", "--bounding-set", "--securebits", "--pdeathsig", "--selinux-label", "--apparmor-profile",
		"--landlock-access", "--landlock-rule"}, flags: "d",
		longFlags: []string{"--nnp", "--no-new-privs", "--keep-groups", "--clear-groups", "--init-groups", "--reset-env", "--dump"}},
	"unbuffer": {flags: "p"},
	"runuser": {valueOpts: []string{"-u", "--user", "-g", "--group", "-G", "--supp-group", "-s", "--shell", "-w", "--whitelist-environment"},
		flags: "lmpP", longFlags: []string{"--login", "--preserve-environment", "--pty"}},
	"firejail":    {},
	"proxychains": {valueOpts: []string{"-f"}, flags: "q"},
	"torsocks":    {valueOpts: []string{"-u", "-p", "-a", "-P"}, flags: "diq"},
	"catchsegv":   {},
	"valgrind":    {},
	"watch": {valueOpts: []string{"-n", "--interval", "-q", "--equexit"}, flags: "bcdegptwx",
		longFlags: []string{"--beep", "--color", "--differences", "--errexit", "--chgexit", "--precise", "--no-title", "--no-wrap", "--exec"}},
}

// inside looks at what a program runs: the wrapped program of a wrapper,
// the script of a shell, the inline code of an interpreter.
func (a *analyzer) inside(prog string, args []wordValue, redirs []*syntax.Redirect, depth int) error {
	fam := family(prog)
	switch {
	case prog == "eval":
		return a.script(args, depth)
	case prog == "source" || prog == ".":
		if len(args) == 0 || args[0].dynamic || args[0].glob {
			a.out.Dynamic = true
		}
		a.out.RunsUnseenCode = true
		return nil
	case prog == "alias":
		for _, w := range args {
			if strings.Contains(w.text, "=") {
				a.out.Dynamic = true // with expand_aliases an alias renames a program
			}
		}
		return nil
	case prog == "git":
		a.git(args)
		return nil
	case prog == "set":
		if readingOptions(args) {
			a.out.Dynamic = true
		}
		return nil
	case prog == "shopt":
		for _, w := range args {
			if w.dynamic || w.text == "expand_aliases" {
				a.out.Dynamic = true // aliases rename programs
			}
		}
		return nil
	case prog == "mapfile" || prog == "readarray" || prog == "compgen" || prog == "complete" || prog == "jobs" ||
		prog == "trap" || prog == "bind" || prog == "fc":
		_, err := a.codeBuiltin(prog, args, depth)
		return err
	case namedWriters[prog]:
		a.namedWrite(prog, args)
		return nil
	case prog == "hash" || prog == "enable":
		for _, w := range args {
			if strings.HasPrefix(w.text, "-") && strings.ContainsAny(w.text, "pf") {
				a.out.Dynamic = true // hash -p binds a name to another binary; enable -f loads code
			}
		}
		return nil
	case shells[prog] || shells[fam]:
		return a.shell(args, redirs, depth)
	case prog == "su" || prog == "runuser" && !runuserCommandMode(args):
		if suLogin(texts(args)) {
			a.out.RunsUnseenCode = true // a login shell's start-up files
		}
		return a.su(args, depth)
	case prog == "login":
		a.out.RunsUnseenCode = true // a login shell's start-up files
		return nil
	case prog == "script":
		if !hasValueOption(args, 'c', "cEIOBTm", []string{"--command"}) {
			a.out.RunsUnseenCode = true // an interactive $SHELL
		}
		return a.optionScript(args, []string{"-c", "--command"}, depth, true)
	case prog == "find":
		return a.find(args, depth)
	case awks[prog]:
		a.awk(args)
		return nil
	case prog == "sed":
		if hasValueOption(args, 'f', "elf", []string{"--file"}) || sedRunsCode(texts(args)) {
			a.out.RunsUnseenCode = true // the script is in a file, or may run commands (sedcode.go)
		}
		return nil
	}
	if flags, ok := interpreters[fam]; ok {
		a.interpreter(fam, flags, args)
		return nil
	}
	if templateWrappers[prog] {
		a.out.Dynamic = true // commands composed at run time
		return nil
	}
	w, ok := wrappers[prog]
	if !ok {
		if knownName(prog) {
			return nil
		}
		return a.possibleWrapper(args, depth)
	}
	return a.wrapped(prog, w, args, redirs, depth)
}

// wrapped finds the program a wrapper runs and analyses it.
func (a *analyzer) wrapped(prog string, w wrapper, args []wordValue, redirs []*syntax.Redirect, depth int) error {
	i := 0
	shellFlag := false
	for i < len(args) {
		t := args[i].text
		if args[i].dynamic {
			a.out.Dynamic = true
			return nil
		}
		if t == "--" {
			i++
			// env -- NAME=value prog: assignments still follow "--".
			for ; w.assigns && i < len(args) && isWrapperAssign(args[i].text); i++ {
				if args[i].dynamic || dangerousName(args[i].text[:strings.IndexByte(args[i].text, '=')]) {
					a.out.Dynamic = true
				}
			}
			break
		}
		if prog == "env" && (t == "-S" || t == "--split-string" || strings.HasPrefix(t, "-S") || strings.HasPrefix(t, "--split-string=")) {
			// env -S splits a string into a command line.
			var s string
			switch {
			case t == "-S" || t == "--split-string":
				if i+1 >= len(args) {
					return nil
				}
				s = args[i+1].text
				i += 2
			case strings.HasPrefix(t, "--split-string="):
				s = strings.TrimPrefix(t, "--split-string=")
				i++
			default:
				s = strings.TrimPrefix(t, "-S")
				i++
			}
			return a.parse(s+" "+quoteArgs(args[i:]), depth)
		}
		if prog == "flock" && (t == "-c" || t == "--command") {
			return a.script(args[i+1:], depth)
		}
		if prog == "busybox" || prog == "toybox" {
			if strings.HasPrefix(t, "-") {
				return nil // --list, --install: no applet runs
			}
			break
		}
		n := w.width(t)
		if n == optionUnknown {
			// Where the program starts depends on an option the gate
			// does not know.
			a.out.Dynamic = true
			return nil
		}
		if n == 0 {
			break
		}
		if strings.HasPrefix(t, "-") {
			shellFlag = shellFlag || hasFlag(t, w.shellFlags)
			next := ""
			if i+1 < len(args) {
				next = args[i+1].text
			}
			if wrapperLogin(prog, t, next) {
				a.out.RunsUnseenCode = true // a login shell's start-up files
			}
		} else if dangerousName(t[:strings.IndexByte(t, '=')]) {
			a.out.Dynamic = true
		}
		i += n
	}
	i += w.positional
	// An option value or positional argument only known at run time may
	// split into more words, the program among them (nice -n $N ls with
	// N="5 rm x").
	for _, w := range args[:min(i, len(args))] {
		if w.dynamic {
			a.out.Dynamic = true
			return nil
		}
	}
	if i >= len(args) {
		switch {
		case shellFlag || shellWithoutProgram[prog]:
			a.out.PipesToShell = true // a login shell reading commands from stdin
		case prog == "xargs":
			return a.command([]wordValue{{text: "echo"}}, nil, depth)
		}
		return nil
	}
	rest := args[i:]
	if prog == "flock" && (rest[0].text == "-c" || rest[0].text == "--command") {
		return a.script(rest[1:], depth)
	}
	if scriptWrappers[prog] {
		return a.script(rest, depth)
	}
	if strings.HasPrefix(rest[0].text, "-") {
		// An option after a positional word (setarch x86_64 -R prog,
		// runcon -t x prog): where the program starts is not known.
		a.out.Dynamic = true
		return nil
	}
	if shellFlag && (prog == "sudo" || prog == "doas") {
		// sudo -s cmd runs the command through the user's shell.
		return a.script(rest, depth)
	}
	if prog == "xargs" {
		// Arguments come from stdin: a shell or interpreter under xargs runs
		// code the gate never sees.
		p := basename(rest[0].text)
		if shells[p] || shells[family(p)] || interpreters[family(p)] != nil {
			a.out.Dynamic = true
		}
		return a.run(rest, nil, depth, true)
	}
	return a.run(rest, redirs, depth, true)
}

// shell analyses sh/bash/...: -c scripts are parsed, a shell reading its
// commands from stdin or a here-document is flagged as pipes_to_shell.
func (a *analyzer) shell(args []wordValue, redirs []*syntax.Redirect, depth int) error {
	if readingOptions(args) {
		a.out.Dynamic = true // bash -k: words of the script become environment
	}
	cflag, sflag := false, false
	i := 0
	for i < len(args) {
		t := args[i].text
		if args[i].dynamic {
			a.out.Dynamic = true
			return nil
		}
		if t == "--" || t == "-" {
			i++
			break
		}
		if shellLoginOption(t) {
			a.out.RunsUnseenCode = true // its start-up files run first
		}
		if len(t) > 1 && (t[0] == '-' || t[0] == '+') {
			switch {
			case t == "-o" || t == "+o" || t == "-O" || t == "+O" || t == "--rcfile" || t == "--init-file":
				if i+1 < len(args) && (args[i+1].dynamic || args[i+1].glob) {
					a.out.Dynamic = true // the value may split into options and a script
					return nil
				}
				if t == "--rcfile" || t == "--init-file" || t == "-o" && i+1 < len(args) && shellLoginSetting(args[i+1].text) {
					a.out.RunsUnseenCode = true // the start-up file named runs first; zsh -o login
				}
				i += 2
				continue
			case strings.HasPrefix(t, "--rcfile=") || strings.HasPrefix(t, "--init-file="):
				a.out.RunsUnseenCode = true
				i++
				continue
			case strings.HasPrefix(t, "--"):
				i++
				continue
			}
			if strings.ContainsRune(t[1:], 'c') {
				cflag = true
			}
			if strings.ContainsRune(t[1:], 's') {
				sflag = true
			}
			i++
			continue
		}
		break
	}
	if i < len(args) && cflag {
		return a.script(args[i:i+1], depth)
	}
	if i < len(args) && !sflag {
		a.out.RunsUnseenCode = true // runs a script file
		return nil
	}
	if cflag {
		return nil
	}
	// Commands come from stdin: a pipe, a here-document or the client's
	// channel. The gate cannot see them.
	a.out.PipesToShell = true
	for _, r := range redirs {
		if r.Op == syntax.Hdoc || r.Op == syntax.DashHdoc {
			if v := literal(a.src, r.Hdoc); !v.dynamic {
				if err := a.parse(v.text, depth); err != nil {
					return err
				}
			}
		}
		if r.Op == syntax.WordHdoc {
			if v := literal(a.src, r.Word); !v.dynamic {
				if err := a.parse(v.text, depth); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// runuserCommandMode reports whether runuser is given -u USER (then it runs
// the command that follows, like a wrapper); without it runuser reads its
// arguments as su does (runuser -l USER -c CMD).
func runuserCommandMode(args []wordValue) bool {
	for _, w := range args {
		if w.text == "--" {
			break
		}
		if w.text == "-u" || w.text == "--user" || strings.HasPrefix(w.text, "--user=") ||
			isShortCluster(w.text) && strings.ContainsRune(w.text[1:], 'u') {
			return true
		}
	}
	return false
}

// su -c "cmd" [user]; su without -c starts a shell on stdin.
func (a *analyzer) su(args []wordValue, depth int) error {
	return a.optionScript(args, []string{"-c", "--command", "--session-command"}, depth, true)
}

// optionScript parses the value of a -c style option; without one the
// program reads commands from stdin when stdinShell is set.
func (a *analyzer) optionScript(args []wordValue, opts []string, depth int, stdinShell bool) error {
	for i, w := range args {
		for _, o := range opts {
			switch {
			case (w.text == o || len(o) == 2 && isShortCluster(w.text) && strings.HasSuffix(w.text, o[1:])) && i+1 < len(args):
				return a.script(args[i+1:i+2], depth)
			case strings.HasPrefix(o, "--") && strings.HasPrefix(w.text, o+"="):
				return a.script([]wordValue{{text: strings.TrimPrefix(w.text, o+"="), dynamic: w.dynamic}}, depth)
			}
		}
	}
	if stdinShell {
		a.out.PipesToShell = true
	}
	return nil
}

// find -exec/-execdir/-ok/-okdir run a command for each file. The
// command ends as GNU find ends it: at ";", or for -exec and -execdir at
// a "+" right after "{}" (find . -exec sudo -u + rm -rf / \; runs sudo
// with every word up to the ";"; -ok and -okdir take no "+" at all).
func (a *analyzer) find(args []wordValue, depth int) error {
	for i := 0; i < len(args); i++ {
		switch op := args[i].text; op {
		case "-exec", "-execdir", "-ok", "-okdir":
			plus := op == "-exec" || op == "-execdir"
			j := i + 1
			for j < len(args) && args[j].text != ";" && !(plus && args[j].text == "+" && j > i+1 && args[j-1].text == "{}") {
				j++
			}
			// find puts a found name where {} is, quoted or not: the
			// words that hold it are known only at run time, as a glob's
			// (find . -exec {} \; runs every file it finds).
			cmd := slices.Clone(args[i+1 : j])
			for k := range cmd {
				if strings.Contains(cmd[k].text, "{}") {
					cmd[k].glob = true
				}
			}
			if err := a.run(cmd, nil, depth, true); err != nil {
				return err
			}
			i = j
		}
	}
	return nil
}

// awk programs can run commands with system(), pipes and getline.
func (a *analyzer) awk(args []wordValue) {
	for i := 0; i < len(args); i++ {
		t := args[i].text
		if strings.HasPrefix(t, "-f") || strings.HasPrefix(t, "--file") || strings.HasPrefix(t, "--include") ||
			strings.HasPrefix(t, "-i") || strings.HasPrefix(t, "-l") || strings.HasPrefix(t, "--load") ||
			strings.HasPrefix(t, "-E") || strings.HasPrefix(t, "--exec") {
			a.out.RunsUnseenCode = true // the program is in a file
			return
		}
		if t == "-F" || t == "-v" {
			i++
			continue
		}
		if strings.HasPrefix(t, "-") && len(t) > 1 {
			continue
		}
		if args[i].dynamic || strings.Contains(t, "system") || strings.Contains(t, "|") || strings.Contains(t, "getline") {
			a.out.InterpreterInline = true
		}
		return
	}
}

// interpreter flags inline code, and an interpreter reading its program
// from stdin.
func (a *analyzer) interpreter(fam string, flags []string, args []wordValue) {
	if fam == "deno" || fam == "bun" {
		if len(args) > 0 && args[0].text == "eval" {
			a.out.InterpreterInline = true
			return
		}
	}
	for _, w := range args {
		t := w.text
		if t == "--" {
			break
		}
		if !strings.HasPrefix(t, "-") || t == "-" {
			if t == "-" {
				a.out.PipesToShell = true
			} else {
				a.out.RunsUnseenCode = true
			}
			return // a script file (or stdin for "-")
		}
		if strings.HasPrefix(t, "--") {
			name := t
			if k := strings.IndexByte(name, '='); k >= 0 {
				name = name[:k]
			}
			if contains(flags, name) {
				a.out.InterpreterInline = true
				return
			}
			if t == "--" {
				break
			}
			continue
		}
		if contains(flags, t) || contains(flags, strings.TrimPrefix(t, "-")) {
			a.out.InterpreterInline = true
			return
		}
		for _, f := range flags {
			if len(f) == 1 && strings.Contains(t[1:], f) {
				a.out.InterpreterInline = true
				return
			}
		}
		if (fam == "python" || fam == "pypy") && strings.Contains(t, "m") {
			a.out.RunsUnseenCode = true
			return // python -m module
		}
	}
	a.out.PipesToShell = true
}

// script parses the words as one shell script (eval, sh -c, watch).
func (a *analyzer) script(words []wordValue, depth int) error {
	var parts []string
	for _, w := range words {
		if w.dynamic {
			a.out.Dynamic = true
		}
		parts = append(parts, w.text)
	}
	if a.out.Dynamic && anyDynamic(words) {
		// The script is only known at run time; what it runs cannot be listed.
		return nil
	}
	return a.parse(strings.Join(parts, " "), depth)
}

func anyDynamic(ws []wordValue) bool {
	for _, w := range ws {
		if w.dynamic {
			return true
		}
	}
	return false
}

// quoteArgs renders words back into shell source, single-quoted.
func quoteArgs(ws []wordValue) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(w.text, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

// hasFlag reports whether option t sets one of flags: single letters match
// inside a short option cluster, long options match exactly.
func hasFlag(t string, flags []string) bool {
	for _, f := range flags {
		if strings.HasPrefix(f, "--") {
			if t == f {
				return true
			}
			continue
		}
		if !strings.HasPrefix(t, "--") && strings.Contains(t[1:], f) {
			return true
		}
	}
	return false
}

// isShortCluster reports whether t is a cluster of short options (-qc).
func isShortCluster(t string) bool {
	return len(t) > 1 && t[0] == '-' && t[1] != '-'
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
