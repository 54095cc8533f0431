package shell

import (
	"strings"
)

// Bash builtins that run code given as an option's value or an argument,
// not as a command word: mapfile -C CALLBACK and compgen -C COMMAND run a
// command string, compgen -F runs a function and expands its -W word list
// (command substitutions included), jobs -x runs its arguments as a
// command, trap -- ACTION and bind -x run a string later, fc -e runs an
// editor, and the integer attribute (declare -i, local -i, ...) evaluates
// every later assignment to the variable as arithmetic, where a[$(cmd)]
// runs cmd. Their code is parsed where it is written out; where it is not
// (a function name, a value only known at run time, arithmetic on values)
// the line is dynamic.

// builtinGetopt parses args as bash's internal getopt does: clusters of
// short options, a value attached or in the next argument for the letters
// followed by ':' in spec, "--" or the first non-option ending the
// options. It returns each option letter's values (one "" per use of a
// letter without value) and the index of the first operand; unknown is
// set when a letter is not in spec or a value is missing.
func builtinGetopt(args []wordValue, spec string) (opts map[byte][]wordValue, operand int, unknown bool) {
	opts = map[byte][]wordValue{}
	i := 0
	for ; i < len(args); i++ {
		t := args[i].text
		if t == "--" {
			return opts, i + 1, unknown
		}
		if len(t) < 2 || t[0] != '-' || args[i].dynamic {
			break
		}
		for k := 1; k < len(t); k++ {
			c := t[k]
			at := strings.IndexByte(spec, c)
			if at < 0 || c == ':' {
				unknown = true
				continue
			}
			if at+1 < len(spec) && spec[at+1] == ':' {
				if k+1 < len(t) {
					opts[c] = append(opts[c], wordValue{text: t[k+1:], dynamic: args[i].dynamic})
				} else if i+1 < len(args) {
					i++
					opts[c] = append(opts[c], args[i])
				} else {
					unknown = true
				}
				break
			}
			opts[c] = append(opts[c], wordValue{})
		}
	}
	return opts, i, unknown
}

// codeBuiltin analyses a builtin of the table above; ok is false for any
// other program.
func (a *analyzer) codeBuiltin(prog string, args []wordValue, depth int) (ok bool, err error) {
	switch prog {
	case "mapfile", "readarray":
		a.namedWrite(prog, args)
		opts, _, unknown := builtinGetopt(args, "d:u:n:O:tC:c:s:")
		if unknown {
			a.out.Dynamic = true
		}
		return true, a.codeValues(opts['C'], depth)
	case "compgen", "complete":
		opts, _, unknown := builtinGetopt(args, "abcdefgjko:prsuvA:G:W:P:S:X:F:C:DEI")
		if unknown || len(opts['F']) > 0 {
			a.out.Dynamic = true // a function named by a value
		}
		for _, w := range opts['W'] {
			if w.dynamic || strings.ContainsAny(w.text, "$`") {
				a.out.Dynamic = true // the word list is expanded: $(cmd) runs
			}
		}
		return true, a.codeValues(opts['C'], depth)
	case "jobs":
		opts, operand, _ := builtinGetopt(args, "lnprsx")
		if len(opts['x']) > 0 && operand < len(args) {
			return true, a.run(args[operand:], nil, depth, true)
		}
		return true, nil
	case "trap":
		_, operand, unknown := builtinGetopt(args, "lpP")
		if unknown {
			a.out.Dynamic = true
		}
		if operand < len(args) && args[operand].text != "-" {
			return true, a.script(args[operand:operand+1], depth)
		}
		return true, nil
	case "bind", "fc":
		for _, w := range args {
			if w.dynamic || strings.HasPrefix(w.text, "-") && strings.ContainsAny(w.text, "xesf") {
				a.out.Dynamic = true // bind -x COMMAND, fc -e EDITOR and -s re-run code
			}
		}
		return true, nil
	}
	return false, nil
}

// codeValues parses the values of options that hold a command string.
func (a *analyzer) codeValues(vals []wordValue, depth int) error {
	for _, v := range vals {
		if err := a.script([]wordValue{v}, depth); err != nil {
			return err
		}
	}
	return nil
}

// integerAttribute reports whether a declare, typeset, local, export or
// readonly option argument sets the integer attribute.
func integerAttribute(prog, t string) bool {
	switch prog {
	case "declare", "typeset", "local", "export", "readonly":
		return len(t) > 1 && t[0] == '-' && t[1] != '-' && strings.IndexByte(t, 'i') > 0
	}
	return false
}

// subscriptEvaluated reports whether a name argument (NAME or NAME=value)
// of a builtin that assigns by name carries an array subscript that is not
// a number: bash evaluates it as arithmetic, so a[$(cmd)] runs cmd.
func subscriptEvaluated(t string) bool {
	name, _, _ := strings.Cut(t, "=")
	open := strings.IndexByte(name, '[')
	if open < 0 {
		return false
	}
	sub := strings.TrimSuffix(strings.TrimSuffix(name[open+1:], "+"), "]")
	return !isNumber(sub)
}

// readingOptions reports whether shell options in args (of set, or of a
// shell's command line) change how the words of later commands are read:
// with keyword (-k) every NAME=value argument anywhere in a command goes
// into its environment (ls x PATH=/tmp, bash -c cmd BASH_ENV=file), and
// with allexport (-a) every later assignment does, so the environment a
// command runs with is not what its words say; expand_aliases (shopt, or
// bash -O) renames programs. Options end at "--", "-" or the first word
// that is not one.
func readingOptions(args []wordValue) bool {
	for i := 0; i < len(args); i++ {
		t := args[i].text
		if args[i].dynamic {
			return true // may split into options
		}
		if t == "--" || t == "-" || len(t) < 2 || t[0] != '-' && t[0] != '+' {
			return false
		}
		last := t[len(t)-1]
		if t[0] == '+' {
			if last == 'o' || last == 'O' {
				i++
			}
			continue // +k turns keyword off
		}
		if strings.HasPrefix(t, "--") {
			if t == "--rcfile" || t == "--init-file" {
				i++
			}
			continue
		}
		if strings.ContainsAny(t[1:], "ka") {
			return true
		}
		if last == 'o' || last == 'O' { // -o NAME, also at the end of a cluster (-eo keyword)
			if i+1 < len(args) {
				switch args[i+1].text {
				case "keyword", "allexport", "expand_aliases":
					return true
				}
			}
			i++
			continue
		}
	}
	return false
}
