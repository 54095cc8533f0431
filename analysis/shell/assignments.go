package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// namedWriters are builtins that assign a variable named by an argument:
// read NAME, printf -v NAME, getopts OPTS NAME, mapfile NAME, wait -p NAME,
// declare -n REF=NAME (a nameref: writing REF writes NAME).
var namedWriters = map[string]bool{
	"read": true, "printf": true, "getopts": true, "mapfile": true, "readarray": true, "wait": true,
	"declare": true, "typeset": true, "local": true, "export": true, "readonly": true,
}

// variableWrites marks the script dynamic when n assigns a variable of
// dangerousEnv by a construct other than NAME=value: a for or select
// loop's variable, or ${NAME=word} and ${NAME:=word}. After such a write
// the rest of the script runs other programs, or the same ones with other
// code, than its words say.
func (a *analyzer) variableWrites(n syntax.Node) {
	switch x := n.(type) {
	case *syntax.WordIter:
		if x.Name != nil && dangerousName(x.Name.Value) {
			a.out.Dynamic = true
		}
	case *syntax.ParamExp:
		if x.Param != nil && x.Exp != nil && (x.Exp.Op == syntax.AssignUnset || x.Exp.Op == syntax.AssignUnsetOrNull) &&
			dangerousName(x.Param.Value) {
			a.out.Dynamic = true
		}
	}
}

// namedWrite marks the script dynamic when a builtin that assigns
// variables by name (namedWriters) names one of dangerousEnv: in any
// argument, after printf's -v, or on either side of a nameref's '='.
func (a *analyzer) namedWrite(prog string, args []wordValue) {
	if !namedWriters[prog] {
		return
	}
	for _, w := range args {
		t := w.text
		if prog == "printf" {
			t = strings.TrimPrefix(t, "-v")
		}
		name, target, _ := strings.Cut(t, "=")
		if dangerousName(strings.TrimSuffix(name, "+")) || dangerousName(target) || integerAttribute(prog, w.text) {
			// A dangerous variable; the integer attribute, which evaluates
			// every later value as arithmetic (a[$(cmd)] runs cmd).
			a.out.Dynamic = true
		}
	}
	for _, w := range assignedNames(prog, args) {
		if w.dynamic || subscriptEvaluated(w.text) {
			// A name only known at run time, or with a subscript that
			// bash evaluates as arithmetic.
			a.out.Dynamic = true
		}
	}
}

// assignedNames are the arguments of a namedWriters builtin that name the
// variables it assigns (NAME or NAME=value): after printf -v and wait -p,
// getopts' second argument, and the operands of the others.
func assignedNames(prog string, args []wordValue) []wordValue {
	switch prog {
	case "printf", "wait":
		flag := map[string]byte{"printf": 'v', "wait": 'p'}[prog]
		opts, _, _ := builtinGetopt(args, string(flag)+":fn")
		return opts[flag]
	case "getopts":
		if len(args) > 1 {
			return args[1:2]
		}
		return nil
	case "mapfile", "readarray":
		_, operand, _ := builtinGetopt(args, "d:u:n:O:tC:c:s:")
		return args[operand:]
	case "read":
		_, operand, _ := builtinGetopt(args, "ersa:d:i:n:N:p:t:u:")
		return args[operand:]
	}
	// declare, typeset, local, export, readonly: their options are
	// letters without values.
	var names []wordValue
	for _, w := range args {
		if !strings.HasPrefix(w.text, "-") && !strings.HasPrefix(w.text, "+") {
			names = append(names, w)
		}
	}
	return names
}
