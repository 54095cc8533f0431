package shell

import (
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// faithfulPrograms print what they read as it is (whole lines, names,
// counts, metadata) or run another program the command line names (which
// is judged on its own), so an output masker reads any value they print
// as it was stored. head, tail, grep, cmp and printf are faithful only
// without the options that cut bytes or convert (see outputTransform).
var faithfulPrograms = setOf(`cat tac head tail grep egrep fgrep zgrep rg ag sort uniq wc nl ls dir stat file
	find tree realpath readlink basename dirname pwd id whoami groups hostname uname date cal env printenv
	echo printf true false test [ [[ sleep cd export unset set alias type which whereis command builtin hash
	df du free uptime ps pgrep lsof ss netstat ip w who last getent locale tty clear exit kill pkill
	touch mkdir rmdir rm cp mv ln chmod chown chgrp install tee diff cmp comm join column
	sha256sum sha1sum sha512sum md5sum cksum b2sum timeout nice nohup time stdbuf ionice setsid sudo xargs
	wait jobs seq yes journalctl systemctl less more`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// OutputTransform reports what in s may print what it reads in another
// form than it was stored in (encoded, reversed, translated, compressed,
// cut into pieces, converted to numbers or letters), where an output
// masker can no longer find a value it must hide: the first such program
// or expansion, and true. Code the gate cannot read (inline interpreter
// code, input piped into a shell, a script) counts, and so does any
// program outside a short list of ones that print what they read as it
// is: the check fails closed. A shell that runs under a masking decision
// calls it, so that base64 customers.csv does not carry the cards the
// masker would have hidden in cat customers.csv.
func OutputTransform(s *gate.SSH) (string, bool) {
	if s == nil {
		return "", false
	}
	switch {
	case s.InterpreterInline:
		return "inline interpreter code", true
	case s.PipesToShell:
		return "input piped into a shell", true
	case s.RunsUnseenCode:
		return "code the gate cannot read", true
	}
	for i := range s.Commands {
		if what, ok := outputTransform(&s.Commands[i]); ok {
			return what, true
		}
	}
	return "", false
}

// outputTransform is OutputTransform for one command.
func outputTransform(c *gate.SSHCommand) (string, bool) {
	prog := c.Program
	if i := strings.LastIndexByte(prog, '/'); i >= 0 {
		prog = prog[i+1:]
	}
	if !faithfulPrograms[prog] {
		return prog, true
	}
	for i, a := range c.Args {
		if expansionTransforms(a) {
			return "the shell expansion " + a, true
		}
		switch prog {
		case "head", "tail":
			if a == "-c" || strings.HasPrefix(a, "--bytes") || strings.HasPrefix(a, "-c") ||
				len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'c') {
				return prog + " " + a + " (bytes)", true
			}
		case "grep", "egrep", "fgrep", "zgrep", "rg", "ag":
			if a == "--only-matching" || a == "-o" || len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'o') {
				return prog + " " + a + " (parts of lines)", true
			}
		case "cmp":
			if a == "-l" || a == "-b" || a == "--verbose" || a == "--print-bytes" || len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsAny(a, "lb") {
				return "cmp " + a + " (bytes)", true
			}
		case "printf":
			if i == 0 && printfConverts(a) {
				return "printf " + a, true
			}
		}
	}
	return "", false
}

// expansionTransforms reports whether word holds a shell expansion that
// computes on a value rather than passing it on: arithmetic ($(( )),
// $[ ]) and parameter expansion with an operator (${x:0:8}, ${x//1/a},
// ${x^^}, ${#x}, ${x%?}).
func expansionTransforms(word string) bool {
	if strings.Contains(word, "$((") || strings.Contains(word, "$[") {
		return true
	}
	for rest := word; ; {
		i := strings.Index(rest, "${")
		if i < 0 {
			return false
		}
		rest = rest[i+2:]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return true // unterminated: the gate cannot tell
		}
		for _, r := range rest[:end] {
			if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return true
			}
		}
		rest = rest[end+1:]
	}
}

// printfConverts reports whether a printf format converts its arguments
// (%d, %x, %o, %e, %c ...) or cuts them (%.8s) rather than printing them
// as they are (%s, %b, %q, %%), or cannot be read (built at run time).
func printfConverts(format string) bool {
	if strings.ContainsAny(format, "$`") {
		return true
	}
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0123456789*'", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			return true
		}
		switch format[j] {
		case 's', 'b', 'q', '%':
			i = j
		default:
			return true // a conversion, or a precision (%.8s prints a piece)
		}
	}
	return false
}
