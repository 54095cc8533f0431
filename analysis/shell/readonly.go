package shell

import (
	"regexp"
	"strings"
)

// Read-only classification of simple commands, like SQL's read_only: a
// curated table of common programs and the options that make them write,
// delete, execute other programs or reach the network. A program not in the
// table is not read-only; a program in it is read-only only when none of
// its listed options appears, in any of the forms getopt accepts: bundled
// short options (-in), attached values, long options with =value, and
// unambiguous prefixes of long options (--in-pl for --in-place).

// roSpec says when a program only reads.
type roSpec struct {
	// badShort are short option letters that write, delete or execute.
	badShort string
	// badLong are long options that do.
	badLong []string
	// maxOperands limits the non-option arguments (uniq IN OUT writes
	// OUT); -1 means any number.
	maxOperands int
	// check, when set, decides instead of the fields above.
	check func(args []string) bool
}

var readOnlyPrograms = map[string]roSpec{}

func init() {
	for _, p := range strings.Fields(`cat ls dir vdir head tail wc echo printf pwd whoami id groups uname arch nproc
		true false test [ stat file which type basename dirname realpath readlink md5sum sha1sum sha224sum
		sha256sum sha384sum sha512sum b2sum cksum sum cut tr nl od hexdump hd column fold rev tac paste join
		comm diff cmp strings printenv locale getent lsblk lscpu lsof ss netstat tty seq sleep expr jq
		df du free uptime ps pgrep pidof w who last lastlog env timeout nice nohup stdbuf ionice command
		builtin setsid chrt taskset watch grep egrep fgrep zgrep zcat bzcat xzcat sha1 numfmt expand
		unexpand fmt pr tsort factor base32 base64 basenc mountpoint findmnt lsmod lspci lsusb vmstat
		iostat mpstat pidstat sar nslookup host dig : break continue exit return wait cd`) {
		readOnlyPrograms[p] = roSpec{maxOperands: -1}
	}
	set := func(p string, s roSpec) { readOnlyPrograms[p] = s }
	// Options that write files, run other programs or change state.
	set("sort", roSpec{badShort: "o", badLong: []string{"--output", "--compress-program"}, maxOperands: -1})
	set("uniq", roSpec{maxOperands: 1})
	set("xxd", roSpec{maxOperands: 1})
	// rg --hostname-bin runs the program named (for hyperlinks).
	set("rg", roSpec{badShort: "z", badLong: []string{"--pre", "--search-zip", "--hostname-bin"}, maxOperands: -1})
	set("file", roSpec{badShort: "C", badLong: []string{"--compile"}, maxOperands: -1})
	set("time", roSpec{badShort: "oa", badLong: []string{"--output", "--append"}, maxOperands: -1})
	set("date", roSpec{badShort: "s", badLong: []string{"--set"}, check: dateReadOnly})
	set("hostname", roSpec{badShort: "Fb", badLong: []string{"--file", "--boot"}, maxOperands: 0})
	set("dmesg", roSpec{badShort: "cCDEn", badLong: []string{"--clear", "--read-clear", "--console-off", "--console-on", "--console-level"}, maxOperands: 0})
	// journalctl --cursor-file writes the last cursor to the file named;
	// --image mounts a disk image.
	set("journalctl", roSpec{badLong: []string{"--vacuum-size", "--vacuum-time", "--vacuum-files", "--rotate", "--flush", "--sync",
		"--relinquish-var", "--smart-relinquish-var", "--setup-keys", "--update-catalog", "--cursor-file", "--image"}, maxOperands: -1})
	set("top", roSpec{check: func(args []string) bool { return hasShort(args, 'b') || hasLong(args, "--batch") }})
	// Go yq: -i edits in place, -s/--split-exp writes a file per
	// document; Python yq: -i/--in-place.
	set("yq", roSpec{badShort: "is", badLong: []string{"--inplace", "--in-place", "--split-exp"}, maxOperands: -1})
	// sudo -R/--chroot runs the program found under another root; sudo -i
	// runs it through a login shell, which first runs its start-up files
	// (as bash -l is not read-only).
	set("sudo", roSpec{badShort: "eASRi", badLong: []string{"--edit", "--askpass", "--stdin", "--chroot", "--login"}, maxOperands: -1})
	// Wrappers that can also act on another process (-p PID).
	set("ionice", roSpec{badShort: "pPu", badLong: []string{"--pid", "--pgid", "--uid"}, maxOperands: -1})
	set("chrt", roSpec{badShort: "pa", badLong: []string{"--pid", "--all-tasks"}, maxOperands: -1})
	set("taskset", roSpec{badShort: "pa", badLong: []string{"--pid", "--all-tasks"}, maxOperands: -1})
	set("ss", roSpec{badShort: "KD", badLong: []string{"--kill", "--diag"}, maxOperands: -1})
	set("sar", roSpec{badShort: "o", maxOperands: -1})
	set("pidstat", roSpec{badShort: "e", maxOperands: -1}) // -e runs a program
	set("lastlog", roSpec{badShort: "CS", badLong: []string{"--clear", "--set"}, maxOperands: -1})
	// Builtins that take a variable name evaluate an array subscript in
	// it (printf -v 'a[$(cmd)]' runs cmd).
	set("printf", roSpec{badShort: "v", maxOperands: -1})
	set("wait", roSpec{badShort: "p", maxOperands: -1})
	noVarTest := func(args []string) bool {
		for _, a := range args {
			if a == "-v" || a == "-R" {
				return false
			}
		}
		return true
	}
	set("test", roSpec{check: noVarTest})
	set("[", roSpec{check: noVarTest})
	set("find", roSpec{check: findReadOnly})
	set("sed", roSpec{check: sedReadOnly})
	set("tar", roSpec{check: tarReadOnly})
	set("git", roSpec{check: gitReadOnly})
	for _, a := range []string{"awk", "gawk", "mawk", "nawk"} {
		set(a, roSpec{check: awkReadOnly})
	}
}

// readOnlyProgram reports whether prog, run with args, only reads.
func readOnlyProgram(prog string, args []string) bool {
	spec, ok := readOnlyPrograms[prog]
	if !ok {
		return false
	}
	if spec.check != nil {
		return spec.check(args) && !hasAnyOption(args, spec.badShort, spec.badLong)
	}
	if hasAnyOption(args, spec.badShort, spec.badLong) {
		return false
	}
	if spec.maxOperands >= 0 && len(operands(args)) > spec.maxOperands {
		return false
	}
	return true
}

// hasAnyOption reports whether args set any of the short letters or long
// options, before a "--".
func hasAnyOption(args []string, short string, long []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if strings.HasPrefix(a, "--") {
			name := a
			if i := strings.IndexByte(name, '='); i >= 0 {
				name = name[:i]
			}
			for _, l := range long {
				// getopt_long accepts any unambiguous prefix; an ambiguous
				// one is an error, so treating every prefix as the option is
				// safe.
				if len(name) > 2 && strings.HasPrefix(l, name) {
					return true
				}
			}
			continue
		}
		if len(a) > 1 && a[0] == '-' && short != "" && strings.ContainsAny(a[1:], short) {
			return true
		}
	}
	return false
}

func hasShort(args []string, c byte) bool {
	for _, a := range args {
		if len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.IndexByte(a[1:], c) >= 0 {
			return true
		}
	}
	return false
}

func hasLong(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// operands are the arguments that are not options.
func operands(args []string) []string {
	var out []string
	for i, a := range args {
		if a == "--" {
			return append(out, args[i+1:]...)
		}
		if len(a) > 1 && a[0] == '-' {
			continue
		}
		out = append(out, a)
	}
	return out
}

// date MMDDhhmm sets the clock; date +FORMAT only prints.
func dateReadOnly(args []string) bool {
	for _, o := range operands(args) {
		if !strings.HasPrefix(o, "+") {
			return false
		}
	}
	return true
}

// find's actions that delete or write files. The programs -exec,
// -execdir, -ok and -okdir run are commands of the line of their own,
// each judged read-only or not (find . -exec ls -l {} + only reads;
// find . -exec rm {} + does not, through rm), so they do not count here.
var findActions = map[string]bool{"-delete": true, "-fprint": true, "-fprint0": true, "-fprintf": true, "-fls": true}

func findReadOnly(args []string) bool {
	for _, a := range args {
		if findActions[a] {
			return false
		}
	}
	return true
}

// sed is read-only without -i (in place), without script files, and when
// its scripts hold no command that writes a file (w, W, s///w) or runs one
// (e, s///e).
func sedReadOnly(args []string) bool {
	// Parsed as GNU sed's getopt does: short clusters where e, f and l
	// take the rest or the next argument, long options and their
	// unambiguous prefixes, operands anywhere (permuted) until "--".
	var scripts, ops []string
	explicit := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			ops = append(ops, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a, "=")
			if len(name) <= 2 {
				return false
			}
			switch {
			case strings.HasPrefix("--file", name) || strings.HasPrefix("--in-place", name):
				return false
			case strings.HasPrefix("--expression", name):
				explicit = true
				if !hasVal {
					if i+1 >= len(args) {
						return false
					}
					i++
					val = args[i]
				}
				scripts = append(scripts, val)
			case strings.HasPrefix("--line-length", name):
				if !hasVal {
					i++
				}
			}
		case len(a) > 1 && a[0] == '-':
		cluster:
			for k := 1; k < len(a); k++ {
				switch a[k] {
				case 'i', 'f':
					return false // in place; a script file
				case 'e', 'l':
					val := a[k+1:]
					if val == "" {
						if i+1 >= len(args) {
							return false
						}
						i++
						val = args[i]
					}
					if a[k] == 'e' {
						explicit = true
						scripts = append(scripts, val)
					}
					break cluster
				}
			}
		default:
			ops = append(ops, a)
		}
	}
	if !explicit {
		if len(ops) == 0 {
			return false
		}
		scripts = ops[:1]
	}
	for _, s := range scripts {
		if !sedScriptReadOnly(s) {
			return false
		}
	}
	return true
}

var (
	sedSimple = regexp.MustCompile(`^\s*(\d+|\$|/[^/]*/)?(\s*,\s*(\d+|\$|/[^/]*/))?\s*!?\s*[pdqQnNgGhHxlz=]?\s*$`)
)

// sedScriptReadOnly accepts scripts of simple commands (print, delete,
// quit, hold space moves) and substitutions whose flags neither write nor
// execute; anything else is not read-only.
func sedScriptReadOnly(script string) bool {
	for _, cmd := range strings.FieldsFunc(script, func(r rune) bool { return r == ';' || r == '\n' }) {
		cmd = strings.TrimSpace(cmd)
		if cmd == "" || sedSimple.MatchString(cmd) {
			continue
		}
		if !sedSubstitutionReadOnly(cmd) {
			return false
		}
	}
	return true
}

// sedSubstitutionReadOnly parses [address]s<d>re<d>repl<d>flags.
func sedSubstitutionReadOnly(cmd string) bool {
	i := strings.IndexByte(cmd, 's')
	if i < 0 || i+1 >= len(cmd) {
		return false
	}
	if addr := strings.TrimSpace(cmd[:i]); addr != "" && !regexp.MustCompile(`^(\d+|\$)(,(\d+|\$))?!?$`).MatchString(addr) {
		return false
	}
	d := cmd[i+1]
	if d == '\\' || d == '\n' {
		return false
	}
	parts, j := 0, i+2
	for ; j < len(cmd) && parts < 2; j++ {
		switch cmd[j] {
		case '\\':
			j++
		case d:
			parts++
		}
	}
	if parts < 2 {
		return false
	}
	flags := cmd[j:]
	for _, f := range flags {
		if !strings.ContainsRune("gpiIm0123456789 ", f) {
			return false // w (write a file), e (execute), or something unknown
		}
	}
	return true
}

// tar is read-only when it only lists (t, --list) and runs no program.
func tarReadOnly(args []string) bool {
	if len(args) == 0 {
		return false
	}
	list := false
	for i, a := range args {
		if strings.Contains(a, ":") {
			// host:archive runs a remote shell (rsh host rmt), in an
			// operand, -fhost:x or --file=host:x alike.
			return false
		}
		if strings.HasPrefix(a, "--") {
			switch {
			case a == "--list":
				list = true
			case hasAnyOption([]string{a}, "", []string{"--create", "--extract", "--get", "--append", "--update", "--delete",
				"--catenate", "--concatenate", "--to-command", "--use-compress-program", "--info-script", "--new-volume-script",
				"--checkpoint-action", "--rsh-command", "--index-file", "--volno-file", "--to-stdout", "--remove-files"}):
				return false
			}
			continue
		}
		// The first word may be a bundle of mode letters without a dash.
		if strings.HasPrefix(a, "-") || i == 0 {
			letters := strings.TrimPrefix(a, "-")
			if strings.ContainsAny(letters, "cxruAIFO") {
				return false
			}
			if strings.ContainsRune(letters, 't') {
				list = true
			}
		}
	}
	return list
}

// gitReadOnlySub are the subcommands that only read and run no program
// git's configuration names. Git reads its configuration from the
// repository (.git/config, .gitattributes, .git/info/attributes, a .git
// directory in any parent), the home directory and the system, any of
// which an agent that may write a file can change, and that configuration
// names programs git runs: core.fsmonitor whenever the index is refreshed
// (status, diff, ls-files, grep, blame, describe --dirty), diff and filter
// drivers and textconv (diff, log -p, show, blame), gpg.program and
// gpg.ssh.program to show signatures (log, show, whatchanged with
// log.showSignature), hooks, the pager under a terminal. So status, log,
// diff, show, blame and grep are not read-only, however they are spelt;
// the plumbing below runs none of these (TestGitReadersRunNoConfiguredProgram
// runs each, in real git, in a repository configured to log every such
// program).
var gitReadOnlySub = map[string]bool{"rev-parse": true, "ls-tree": true, "cat-file": true, "rev-list": true,
	"branch": true, "tag": true, "remote": true, "config": true, "show-ref": true, "name-rev": true,
	"version": true, "for-each-ref": true, "merge-base": true, "count-objects": true, "var": true}

// gitReadOnly allows the plumbing of gitReadOnlySub without global options
// that run programs (-c core.pager=..., --exec-path), without options that
// verify or format signatures (which run gpg.program) or convert contents
// (textconv, filters), and without the subcommand options that write
// (branch -d, tag -a, config --add, ...).
func gitReadOnly(args []string) bool {
	i := 0
	for i < len(args) {
		a := args[i]
		switch {
		case a == "-C" || a == "--git-dir" || a == "--work-tree":
			i += 2
			continue
		case a == "--no-pager" || a == "-P" || a == "--no-optional-locks" || a == "--bare":
			i++
			continue
		case strings.HasPrefix(a, "--git-dir=") || strings.HasPrefix(a, "--work-tree="):
			i++
			continue
		case strings.HasPrefix(a, "-"):
			return false // -c, --exec-path, --config-env, -p (pager), ...
		}
		break
	}
	if i >= len(args) || !gitReadOnlySub[args[i]] {
		return false
	}
	for _, a := range args[i+1:] {
		// %G? %GS ... and %(signature) verify signatures; --verify,
		// --show-signature and tag -v too; --textconv and --filters run
		// drivers.
		if strings.Contains(a, "%G") || strings.Contains(a, "signature") || strings.HasPrefix(a, "--verify") ||
			strings.HasPrefix(a, "--textconv") || strings.HasPrefix(a, "--filters") || strings.HasPrefix(a, "--batch-command") {
			return false
		}
	}
	sub, rest := args[i], args[i+1:]
	if hasAnyOption(rest, "", []string{"--output", "--ext-diff", "--textconv", "--open-files-in-pager", "--exec"}) {
		return false
	}
	switch sub {
	case "branch":
		// Listing only: no operands (a name creates a branch) and no
		// option that deletes, moves, copies or sets.
		return len(operands(rest)) == 0 && !hasAnyOption(rest, "dDmMcCfut", []string{"--delete", "--move", "--copy",
			"--force", "--set-upstream-to", "--unset-upstream", "--edit-description", "--track", "--create-reflog"})
	case "remote":
		// remote show contacts the remote (running its transport).
		ops := operands(rest)
		return len(ops) == 0 || ops[0] == "get-url"
	case "tag":
		return hasAnyOption(rest, "l", []string{"--list"}) && !hasAnyOption(rest, "adfsuemv", []string{"--annotate", "--delete", "--force", "--sign", "--message", "--file", "--edit", "--verify"})
	case "config":
		return hasAnyOption(rest, "l", []string{"--list", "--get", "--get-all", "--get-regexp"}) &&
			!hasAnyOption(rest, "e", []string{"--add", "--unset", "--unset-all", "--replace-all", "--rename-section",
				"--remove-section", "--edit"})
	}
	return true
}

// awk is read-only when its program runs nothing (system, pipes, getline
// from a command) and writes nothing (print > file), and every option is
// one that only reads. The options are an allow-list, not a list of the
// bad ones: gawk writes files from options alone (-d/--dump-variables,
// -p/--profile, -o/--pretty-print write awkvars.out or the file named),
// reads debugger commands that run code (-D), loads programs and
// extensions (-f, -i, -l, -E) and takes any long option by -W name
// (-W dump-variables=f, mawk's -W exec), and a long option may be spelt by
// any unambiguous prefix. Options stop at the program text, as in gawk
// and mawk.
func awkReadOnly(args []string) bool {
	for _, a := range args {
		// Every argument is checked, not only the first program: gawk
		// takes several -e programs, and operands may be assignments.
		if strings.ContainsAny(a, "|>@") || strings.Contains(a, "system") || strings.Contains(a, "getline") {
			return false
		}
	}
	program, operands := false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if operands {
			continue // files and var=value assignments
		}
		switch {
		case a == "--":
			if i+1 >= len(args) {
				return false
			}
			i++
			program, operands = true, true
		case strings.HasPrefix(a, "--"):
			name, _, hasVal := strings.Cut(a, "=")
			switch {
			case awkSafeLong[name] && (!hasVal || name == "--lint"):
			case name == "--field-separator" || name == "--assign" || name == "--source":
				if !hasVal {
					i++
				}
				if name == "--source" {
					program = true
				}
			default:
				return false // writes, loads, debugs, or an abbreviation
			}
		case len(a) > 1 && a[0] == '-':
		cluster:
			for k := 1; k < len(a); k++ {
				switch c := a[k]; {
				case strings.IndexByte("bcChkMnNOPrsStVI", c) >= 0:
				case c == 'L':
					break cluster // lint, with an optional attached value
				case c == 'F' || c == 'v' || c == 'e':
					if k+1 == len(a) {
						i++
					}
					if c == 'e' {
						program = true
					}
					break cluster
				default:
					return false
				}
			}
		default:
			// The program text, or with -e the first file: options end.
			program, operands = true, true
		}
	}
	return program
}

// awkSafeLong are gawk's long options that neither write, load, debug nor
// run anything; those that take a value are handled by awkReadOnly.
var awkSafeLong = map[string]bool{"--characters-as-bytes": true, "--traditional": true, "--copyright": true,
	"--help": true, "--csv": true, "--bignum": true, "--non-decimal-data": true, "--use-lc-numeric": true,
	"--optimize": true, "--posix": true, "--re-interval": true, "--no-optimize": true, "--sandbox": true,
	"--lint-old": true, "--version": true, "--trace": true, "--lint": true}
