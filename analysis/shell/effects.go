package shell

import (
	"fmt"
	"path"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"mvdan.cc/sh/v3/syntax"
)

// The effect model: what a command line may change, beyond the programs it
// names. Every redirection is listed with its operator; a statement that is
// only a redirection (> file) is a command without a program; /dev/tcp and
// /dev/udp anywhere mean a socket; and a line is read-only only when every
// command in it is.

// redirections converts a statement's redirections, in the current script.
func (a *analyzer) redirections(redirs []*syntax.Redirect) []gate.SSHRedirect {
	var out []gate.SSHRedirect
	for _, r := range redirs {
		v := literal(a.src, r.Word)
		rd := gate.SSHRedirect{Op: r.Op.String(), Target: v.text}
		if r.N != nil {
			rd.FD = r.N.Value
		}
		if mentionsSocket(v.text) || v.glob || (v.dynamic && mayBeSocket(a.src, r.Word)) {
			// bash opens a socket for /dev/tcp/host/port; a target only
			// known at run time (or a pattern) may be one.
			a.out.Network = true
		}
		switch r.Op {
		case syntax.RdrIn, syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
			// Reads: nothing is created or truncated.
		case syntax.DplIn, syntax.DplOut:
			// >&2, <&0, >&- duplicate or close a descriptor; bash's
			// >& word and <& word with any other word open a file.
			rd.Write = v.dynamic || v.glob || !isDescriptor(v.text)
			if rd.Write && !v.dynamic && !v.glob && harmlessDevice(v.text) {
				rd.Write = false
			}
		default:
			// >, >>, >|, <>, &>, &>> and the zsh clobber forms.
			rd.Write = v.dynamic || v.glob || !harmlessDevice(v.text)
		}
		out = append(out, rd)
	}
	return out
}

// isDescriptor reports whether a duplication target names a descriptor:
// digits, "-" (close) or digits followed by "-" (move).
func isDescriptor(s string) bool {
	s = strings.TrimSuffix(s, "-")
	if s == "" {
		return true // the word was "-"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// harmlessDevice reports whether writing to p changes no file: /dev/null,
// the standard streams and open descriptors.
func harmlessDevice(p string) bool {
	c := path.Clean(p)
	switch c {
	case "/dev/null", "/dev/stdout", "/dev/stderr":
		return true
	}
	if n, ok := strings.CutPrefix(c, "/dev/fd/"); ok {
		return isDescriptor(n) && n != "" && !strings.HasSuffix(n, "-")
	}
	return false
}

var unquoter = strings.NewReplacer(`'`, "", `"`, "", `\`, "")

// mentionsSocket reports whether s names bash's /dev/tcp or /dev/udp, after
// removing quotes and escapes and collapsing // and /./ (path cleaning).
func mentionsSocket(s string) bool {
	t := unquoter.Replace(s)
	if !strings.Contains(t, "tcp") && !strings.Contains(t, "udp") {
		return false
	}
	for {
		u := strings.ReplaceAll(strings.ReplaceAll(t, "//", "/"), "/./", "/")
		if u == t {
			break
		}
		t = u
	}
	if strings.Contains(t, "/dev/tcp/") || strings.Contains(t, "/dev/udp/") {
		return true
	}
	// A /dev/tcp word may also be reached through "..": clean each field.
	for _, f := range strings.FieldsFunc(t, func(r rune) bool { return strings.ContainsRune(" \t\n=<>;|&()", r) }) {
		if strings.Contains(f, "/") && strings.Contains(f, "..") {
			c := path.Clean(f) + "/"
			if strings.Contains(c, "/dev/tcp/") || strings.Contains(c, "/dev/udp/") {
				return true
			}
		}
	}
	return false
}

// mayBeSocket reports whether a redirection target with expansions could
// be /dev/tcp/...: unless its literal beginning rules that out.
func mayBeSocket(src string, w *syntax.Word) bool {
	var b strings.Builder
parts:
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		default:
			break parts
		}
	}
	prefix := strings.NewReplacer(`\`, "", "//", "/", "/./", "/").Replace(b.String())
	if prefix == "" || strings.Contains(prefix, "..") {
		return true
	}
	for _, dev := range []string{"/dev/tcp/", "/dev/udp/"} {
		if strings.HasPrefix(dev, prefix) || strings.HasPrefix(prefix, dev) {
			return true
		}
	}
	return false
}

// redirectTargets are the files the redirections open (not here-documents
// nor descriptor duplications).
func redirectTargets(rs []gate.SSHRedirect) []string {
	var out []string
	for _, r := range rs {
		switch r.Op {
		case "<<", "<<-", "<<<":
			continue
		case "<&", ">&":
			if isDescriptor(r.Target) {
				continue
			}
		}
		out = append(out, r.Target)
	}
	return out
}

// redirectsReadOnly reports whether no redirection writes.
func redirectsReadOnly(rs []gate.SSHRedirect) bool {
	for _, r := range rs {
		if r.Write {
			return false
		}
	}
	return true
}

// bare records a statement that runs no program but has redirections
// (> file, X=1 > file, { x=1; } > file): a command with an empty program,
// so an allow-list of programs does not pass it.
func (a *analyzer) bare(redirs []gate.SSHRedirect) error {
	a.count++
	if a.count > maxCommands {
		return fmt.Errorf("%w: more than %d commands", ErrCommand, maxCommands)
	}
	rs := append(append([]gate.SSHRedirect(nil), redirs...), a.inherit...)
	c := gate.SSHCommand{Redirections: rs, Redirects: redirectTargets(rs), ReadOnly: redirectsReadOnly(rs)}
	a.out.Commands = append(a.out.Commands, c)
	if !a.seen[""] {
		a.seen[""] = true
		a.out.Programs = append(a.out.Programs, "")
	}
	return nil
}

// readOnlyShells run a -c script and nothing else when given no startup
// option (zsh and others read startup files even for -c).
var readOnlyShells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true}

// commandReadOnly reports whether prog with args only reads, by the table
// in readonly.go. Arguments only known at run time may become options
// (unquoted $x splitting into -i, a glob matching a file named -delete),
// so a program with options that write needs static arguments.
func (a *analyzer) commandReadOnly(prog string, args []wordValue) bool {
	if readOnlyShells[prog] {
		return shellReadOnly(args)
	}
	spec, ok := readOnlyPrograms[prog]
	if !ok {
		return false
	}
	texts := make([]string, len(args))
	for i, w := range args {
		texts[i] = w.text
		if (w.dynamic || w.glob) && (spec.check != nil || spec.badShort != "" || len(spec.badLong) > 0 || spec.maxOperands >= 0) {
			return false
		}
	}
	if w, ok := wrappers[prog]; ok {
		// A wrapper's options end where the wrapped program begins; the
		// wrapped program is its own entry (sudo -e edits, find -name
		// does not).
		texts = wrapperOptions(w, texts)
		for _, t := range texts {
			if name, _, ok := strings.Cut(t, "="); ok && w.assigns && !strings.HasPrefix(t, "-") && !safeEnv(name) {
				return false // env GIT_EXTERNAL_DIFF=sh git diff
			}
		}
	}
	return readOnlyProgram(prog, texts)
}

// wrapperOptions are the arguments of a wrapper before the program it runs
// (its positional arguments, such as timeout's duration, included).
func wrapperOptions(w wrapper, args []string) []string {
	i := 0
	for i < len(args) {
		t := args[i]
		if t == "--" {
			i++
			for w.assigns && i < len(args) && isWrapperAssign(args[i]) {
				i++ // env -- NAME=value: still an assignment
			}
			break
		}
		n := w.width(t)
		if n == optionUnknown {
			return args // the program cannot be told apart
		}
		if n == 0 {
			break
		}
		i += n
	}
	return args[:min(i+w.positional, len(args))]
}

// shellReadOnly: a shell is read-only itself only when it runs a static -c
// script (whose commands are listed and judged on their own) with no
// option that reads startup files or commands from elsewhere.
func shellReadOnly(args []wordValue) bool {
	cflag := false
	for i, w := range args {
		if w.dynamic || w.glob {
			return false
		}
		t := w.text
		if len(t) > 1 && t[0] == '-' && t[1] != '-' {
			if strings.Trim(t[1:], "ceuxvfn") != "" {
				return false // -i, -l, -s, -o, -O, ...
			}
			if strings.ContainsRune(t, 'c') {
				cflag = true
			}
			continue
		}
		return cflag && i < len(args)
	}
	return false
}

// lineReadOnly: at least one command, every command read-only, and nothing
// the gate cannot see or that reaches the network.
func lineReadOnly(s *gate.SSH) bool {
	if len(s.Commands) == 0 || s.Dynamic || s.PipesToShell || s.InterpreterInline || s.Network || s.RunsUnseenCode {
		return false
	}
	for _, c := range s.Commands {
		if !c.ReadOnly {
			return false
		}
	}
	return true
}

// hasValueOption reports whether args set the short option letter (in a
// cluster, where letters in valued take the rest of the cluster or the
// next argument as their value) or one of the long options (or an
// unambiguous prefix of it), before "--".
func hasValueOption(args []wordValue, letter byte, valued string, long []string) bool {
	for i := 0; i < len(args); i++ {
		t := args[i].text
		if t == "--" {
			return false
		}
		if strings.HasPrefix(t, "--") {
			name, _, _ := strings.Cut(t, "=")
			for _, l := range long {
				if len(name) > 2 && strings.HasPrefix(l, name) {
					return true
				}
			}
			continue
		}
		if len(t) < 2 || t[0] != '-' {
			continue
		}
		for j := 1; j < len(t); j++ {
			if t[j] == letter {
				return true
			}
			if strings.IndexByte(valued, t[j]) >= 0 {
				if j == len(t)-1 {
					i++ // the value is the next argument
				}
				break
			}
		}
	}
	return false
}

// safeEnv names the variables a read-only command may be given: locale,
// time zone and terminal size. Others can make a reading program run one
// (GIT_EXTERNAL_DIFF, GIT_CONFIG_*, TAR_OPTIONS, PAGER, ...).
func safeEnv(name string) bool {
	switch name {
	case "LANG", "LANGUAGE", "LC_ALL", "TZ", "COLUMNS", "LINES", "NO_COLOR", "TERM":
		return true
	}
	return strings.HasPrefix(name, "LC_") && strings.Trim(name[3:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// systemDirs hold the programs a read-only command may name by path.
var systemDirs = map[string]bool{"/bin": true, "/usr/bin": true, "/sbin": true, "/usr/sbin": true,
	"/usr/local/bin": true, "/usr/local/sbin": true}

// stateDevice reports whether merely opening or reading p changes state:
// opening a watchdog arms it (the host reboots when it is not fed), and
// reading /proc/kmsg takes the messages from their reader.
// The device is also reached by its number (/dev/char/10:130 is the
// watchdog) and by a glob (/dev/watchd*, /proc/km?g), matched here against
// the names it may expand to.
func stateDevice(p string) bool {
	if strings.ContainsAny(p, "*?[") {
		for _, name := range stateDeviceNames {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
			if ok, _ := path.Match(path.Base(p), path.Base(name)); ok && path.Base(p) != "*" {
				return true // relative, from the device's directory
			}
		}
	}
	c := path.Clean(p)
	base := path.Base(c)
	if strings.HasPrefix(c, "/dev/char/") || strings.HasPrefix(c, "/sys/dev/char/") || deviceNumber(base) {
		return true // a character device by its number
	}
	if !strings.Contains(p, "/") || !strings.Contains(p, "watchdog") && !strings.Contains(p, "kmsg") {
		return false
	}
	// Relative paths (../dev/watchdog from /proc) count by their last
	// elements.
	return strings.HasPrefix(base, "watchdog") || base == "kmsg" && path.Base(path.Dir(c)) == "proc"
}

// stateDeviceNames are the paths a glob is matched against.
var stateDeviceNames = []string{"/dev/watchdog", "/dev/watchdog0", "/dev/watchdog1", "/proc/kmsg", "/dev/char/10:130"}

// deviceNumber reports whether s is MAJOR:MINOR, as in /dev/char.
func deviceNumber(s string) bool {
	major, minor, ok := strings.Cut(s, ":")
	return ok && major != "" && minor != "" && strings.Trim(major, "0123456789") == "" && strings.Trim(minor, "0123456789") == ""
}
