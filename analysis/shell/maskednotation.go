package shell

import (
	"slices"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"mvdan.cc/sh/v3/syntax"
)

// A name printed cut or in another notation is a piece the masker no
// longer reads as the value it hides: find -printf '%.5f' prints the
// first five characters of every name it finds (alice, 41111), ls -q
// writes the bytes of an accented address as ? (jos??.garc??a@...) and
// ls --quoting-style=shell-escape as $'\303\251', both of which leave the
// rest of the address's local part bare. So under masking, find's and
// stat's formats with a width or a precision (a cut, or padding that
// tells a hidden name's length), ls's -q and --hide-control-chars, its
// shell-escape quoting styles (or one it cannot read), and the
// QUOTING_STYLE variable anywhere in the line are refused.

// nameNotation reports the first part of s that prints names cut or in
// another notation (see above), its line parsed (nil: it does not
// parse).
func nameNotation(s *gate.SSH, f *syntax.File) (string, bool) {
	runsLs := false
	for i := range s.Commands {
		c := &s.Commands[i]
		prog := c.Program
		if j := strings.LastIndexByte(prog, '/'); j >= 0 {
			prog = prog[j+1:]
		}
		for _, a := range c.Args {
			if strings.Contains(a, "QUOTING_STYLE") {
				return "the variable QUOTING_STYLE, which has ls write names in another notation", true
			}
		}
		switch prog {
		case "ls", "dir":
			runsLs = true
			if what, ok := lsNotation(c.Args); ok {
				return "ls " + what + ", which writes names in a notation the masker does not read", true
			}
		case "find":
			if what, ok := formatModifiers(c.Args, []string{"-printf"}, []string{"-fprintf"}, ""); ok {
				return "find " + what + ", which prints names cut or padded", true
			}
		case "stat":
			if what, ok := formatModifiers(c.Args, []string{"--format", "--printf"}, nil, "c"); ok {
				return "stat " + what + ", which prints names cut or padded", true
			}
		}
	}
	return assignsQuotingStyle(f, runsLs)
}

// assignsQuotingStyle reports an assignment to QUOTING_STYLE in line: a
// prefix of a command or a statement (whose names are literal), or, on a
// line that runs ls, a word export, local, readonly, env or printf -v
// are given that names it after quote removal or that the gate cannot
// read as written (a brace expansion, an ANSI-C string: export
// QUO{T,}ING_STYLE=x sets it too). A line that does not parse (nil)
// counts.
func assignsQuotingStyle(f *syntax.File, runsLs bool) (string, bool) {
	if f == nil {
		return "a line the gate cannot read", true
	}
	found := false
	suspect := func(w *syntax.Word) {
		if w == nil || !runsLs {
			return
		}
		var b strings.Builder
		for _, p := range w.Parts {
			switch p := p.(type) {
			case *syntax.Lit:
				b.WriteString(p.Value)
			case *syntax.SglQuoted:
				if p.Dollar {
					found = true
				}
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				for _, q := range p.Parts {
					if l, ok := q.(*syntax.Lit); ok {
						b.WriteString(l.Value)
					}
				}
			}
		}
		t := strings.ReplaceAll(b.String(), "\\", "")
		if strings.ContainsAny(t, "{") || strings.Contains(t, "QUOTING") || strings.Contains(t, "STYLE") {
			found = true
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Assign:
			if n.Name != nil && n.Name.Value == "QUOTING_STYLE" {
				found = true
			}
		case *syntax.DeclClause:
			for _, a := range n.Args {
				if a.Name != nil {
					suspect(&syntax.Word{Parts: []syntax.WordPart{a.Name}})
				}
				if a.Naked {
					suspect(a.Value)
				}
			}
		case *syntax.CallExpr:
			// env or printf, or export and its kin, anywhere in the
			// command (after sudo, timeout, nice ...).
			for k, w := range n.Args {
				prog := w.Lit()
				if j := strings.LastIndexByte(prog, '/'); j >= 0 {
					prog = prog[j+1:]
				}
				if setsVariables[prog] {
					for _, v := range n.Args[k+1:] {
						suspect(v)
					}
					break
				}
			}
		}
		return !found
	})
	if found {
		return "the variable QUOTING_STYLE, which has ls write names in another notation", true
	}
	return "", false
}

// setsVariables are the programs and builtins whose words may set a
// variable ls reads.
var setsVariables = setOf(`env printf export local readonly declare typeset`)

// lsRiskyStyles are the quoting styles whose escapes leave an accented
// address's pieces bare to the masker.
var lsRiskyStyles = []string{"shell-escape", "shell-escape-always"}

// lsStyles are all of GNU ls's quoting styles.
var lsStyles = []string{"literal", "locale", "shell", "shell-always", "shell-escape", "shell-escape-always", "c", "c-maybe",
	"escape", "clocale"}

// lsNotation reports an ls option that writes names in a notation the
// masker does not read (see above), read as getopt reads it.
func lsNotation(args []string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		switch {
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a, "=")
			long, ok := resolveLong(name, lsLong)
			if !ok {
				continue // ls refuses it and lists nothing
			}
			if lsLong[long] && !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			switch long {
			case "--hide-control-chars":
				return a, true
			case "--quoting-style":
				if riskyStyle(value) {
					return a + " " + value, true
				}
			}
		case len(a) > 1 && a[0] == '-':
		letters:
			for j := 1; j < len(a); j++ {
				switch c := a[j]; {
				case c == 'q':
					return a, true
				case strings.IndexByte(lsValueLetters, c) >= 0:
					if j == len(a)-1 {
						i++
					}
					break letters
				}
			}
		}
	}
	return "", false
}

// riskyStyle reports whether a quoting style value, read as ls's
// argmatch reads it (exact, or an unambiguous prefix), may be a risky
// one; one ls does not know counts.
func riskyStyle(v string) bool {
	for _, s := range lsStyles {
		if v == s {
			return strings.HasPrefix(s, "shell-escape")
		}
	}
	known := false
	for _, s := range lsStyles {
		if v != "" && strings.HasPrefix(s, v) {
			known = true
			if slices.Contains(lsRiskyStyles, s) {
				return true
			}
		}
	}
	return !known
}

// formatModifiers reports a format option of a program whose format has
// a directive with flags, a width or a precision (%.5f, %-30n, %5p).
// long are the long options that take the format (as --opt=F or --opt
// F, or an unambiguous prefix of three characters or more; find's
// single-dash ones are given whole), fileFirst the options whose format
// follows a file name (find -fprintf FILE FORMAT), and short the option
// letters that take it.
func formatModifiers(args []string, long, fileFirst []string, short string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var format string
		found := false
		switch {
		case slices.Contains(fileFirst, a):
			if i+2 < len(args) {
				format, found = args[i+2], true
				i += 2
			}
		case strings.HasPrefix(a, "--") || slices.Contains(long, a):
			name, value, hasValue := strings.Cut(a, "=")
			if !slices.Contains(long, name) && !longPrefixOf(name, long) {
				continue
			}
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			format, found = value, true
		case short != "" && len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				if strings.IndexByte(short, a[j]) < 0 {
					continue
				}
				format, found = a[j+1:], true
				if format == "" && i+1 < len(args) {
					i++
					format = args[i]
				}
				break
			}
		}
		if found && hasModifiers(format) {
			return a + " " + format, true
		}
	}
	return "", false
}

// hasModifiers reports whether a printf-like format has a directive with
// flags, a width or a precision.
func hasModifiers(format string) bool {
	for i := 0; i+1 < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if format[i+1] == '%' {
			i++
			continue
		}
		if strings.IndexByte("-+ #0123456789.*'", format[i+1]) >= 0 {
			return true
		}
	}
	return false
}
