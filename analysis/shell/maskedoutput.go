package shell

import (
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"mvdan.cc/sh/v3/syntax"
)

// faithfulPrograms print what they read as it is (whole lines, names,
// counts, metadata) or run another program the command line names (which
// is judged on its own), so an output masker reads any value they print
// as it was stored. head, tail, nl, printf, echo, pgrep and
// journalctl are faithful only without the options, in any spelling
// getopt takes, that cut bytes, split at a chosen separator, convert,
// escape, glue chosen text to what they print, or choose it by a pattern
// (see rewritingOption and printGlues). join, column
// and xargs are left out: they reorder fields, split words onto lines or
// drop separator characters, and a card's four groups in another order
// are no longer a card to the masker; tac is left out too: a private
// key's lines in reverse order are no longer a key to the masker, and
// are put back in order on the client. So are digests (sha256sum, md5sum,
// cksum, b2sum, sum): the digest of a file that holds a card or a social
// security number is reversed offline by trying the few billion values
// of that shape. So are the programs that select,
// order or compare by content the client chose (grep and its kin, sort,
// uniq, comm, diff, cmp, test, [): whether grep -c '^41' prints 1, or
// its exit status, tells a masked card a digit at a time.
var faithfulPrograms = setOf(`cat head tail wc nl ls dir stat file
	find tree realpath readlink basename dirname pwd id whoami groups hostname uname date cal env printenv
	echo printf true false sleep cd export unset set alias type which whereis command builtin hash
	df du free uptime ps pgrep lsof ss netstat ip w who last getent locale tty clear exit kill pkill
	touch mkdir rmdir rm cp mv ln chmod chown chgrp install tee
	timeout nice nohup time stdbuf ionice setsid sudo
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
// cut into pieces, reordered, converted to numbers or letters), or tell
// it a piece at a time (a search, a comparison, an order), where an output
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
	case s.Dynamic:
		return "a program named at run time", true
	}
	for i := range s.Commands {
		if what, ok := outputTransform(&s.Commands[i]); ok {
			return what, true
		}
	}
	// COLUMNS sets the width ps, systemctl and ls cut or pad to
	// (maskedlayout.go): a line that names it, however, is refused.
	if strings.Contains(s.Command, "COLUMNS") {
		return "COLUMNS, the width programs cut and pad what they print to", true
	}
	// The line is parsed once for the checks that walk it.
	f := parseLine(s.Command)
	if what, ok := namePatternIn(s, f); ok {
		return what, true
	}
	if what, ok := nameOrder(s, f); ok {
		return what, true
	}
	if what, ok := nameNotation(s, f); ok {
		return what, true
	}
	return comparesIn(f)
}

// comparesIn reports the shell's own comparisons in a parsed line: a case
// statement, a [[ ]] test or an arithmetic command branch on a value
// (case $(cat F) in 4*) echo y;; esac), which tells it a piece at a time
// as an exit status or a branch taken. A line that does not parse (nil)
// counts.
func comparesIn(f *syntax.File) (string, bool) {
	if f == nil {
		return "a line the gate cannot read", true
	}
	var what string
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n.(type) {
		case *syntax.CaseClause:
			what = "a case statement"
		case *syntax.TestClause:
			what = "a [[ ]] test"
		case *syntax.ArithmCmd:
			what = "an arithmetic command"
		}
		return what == ""
	})
	return what, what != ""
}

// outputTransform is OutputTransform for one command.
func outputTransform(c *gate.SSHCommand) (string, bool) {
	prog := c.Program
	if i := strings.LastIndexByte(prog, '/'); i >= 0 {
		prog = prog[i+1:]
	}
	if !faithfulPrograms[prog] {
		if prog == "" {
			return "a command whose program is not named", true
		}
		return prog, true
	}
	for _, a := range c.Args {
		if expansionTransforms(a) {
			return "the shell expansion " + a, true
		}
		// What a command substitution read, handed to a program as an
		// argument, is computed on (basename strips a suffix of it, find
		// -name and getent match it) unless the program only prints it.
		if prog != "echo" && prog != "printf" && (strings.Contains(a, "$(") || strings.ContainsRune(a, '`')) {
			return prog + " given what " + a + " reads", true
		}
	}
	if what, ok := rewritingOption(prog, c.Args); ok {
		return what, true
	}
	if what, ok := layoutLeak(prog, c.Args); ok {
		return what, true
	}
	if prog == "echo" || prog == "printf" {
		return printGlues(prog, c.Args)
	}
	return "", false
}

// environmentNames are the variables a session's environment sets, which
// hold no data a command read: their expansion passes as it is.
var environmentNames = setOf(`HOME USER LOGNAME PWD OLDPWD PATH SHELL TERM LANG HOSTNAME TMPDIR`)

// expansionTransforms reports whether word holds a shell expansion that
// computes on a value or may carry what a command read split and
// reordered: arithmetic ($(( )), $[ ]), a parameter expansion with an
// operator (${x:0:8}, ${x//1/a}, ${x^^}, ${#x}, ${x%?}), and any variable
// or positional parameter but the environment's own names (set -- $(cat
// F); echo $4 $3 $2 $1 prints a card's groups in an order that is no
// longer a card; so does a loop over $(cat F) into tac). A command
// substitution alone ($(cat F)) passes what it read in its order.
func expansionTransforms(word string) bool {
	if strings.Contains(word, "$((") || strings.Contains(word, "$[") {
		return true
	}
	for i := 0; i < len(word); i++ {
		if word[i] != '$' || i+1 >= len(word) {
			continue
		}
		rest := word[i+1:]
		braced := rest[0] == '{'
		if braced {
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return true // unterminated: the gate cannot tell
			}
			if rest = rest[1:end]; rest == "" {
				return true // ${}: the shell refuses it; so does the gate
			}
		}
		n := 0
		for n < len(rest) && isNameRune(rest[n]) {
			n++
		}
		switch {
		case braced && n < len(rest):
			return true // an operator after the name
		case n == 0 && strings.IndexByte("@*#?-$!0123456789", rest[0]) >= 0:
			return true // a positional or special parameter
		case n > 0 && !environmentNames[rest[:n]]:
			return true
		}
	}
	return false
}

// isNameRune reports whether c belongs to a shell variable's name.
func isNameRune(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// printfConverts reports whether a printf format converts its arguments
// (%d, %x, %o, %e, %c ...), escapes them (%q writes 4111\ 1111), cuts
// them (%.8s) rather than printing them as they are (%s, %b, %%), or
// cannot be read (built at run time).
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
		case 's', 'b', '%':
			i = j
		default:
			return true // a conversion, or a precision (%.8s prints a piece)
		}
	}
	return false
}

// printfPads reports whether a printf format pads a value to a width
// (%-40s, %*b): the spaces tell the length of what the masker replaced.
func printfPads(format string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0123456789*'.", format[j]) >= 0 {
			j++
		}
		if j > i+1 && j < len(format) && format[j] != '%' {
			return true
		}
		i = j
	}
	return false
}
