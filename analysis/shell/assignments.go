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
		if x.Name != nil && dangerousEnv[x.Name.Value] {
			a.out.Dynamic = true
		}
	case *syntax.ParamExp:
		if x.Param != nil && x.Exp != nil && (x.Exp.Op == syntax.AssignUnset || x.Exp.Op == syntax.AssignUnsetOrNull) &&
			dangerousEnv[x.Param.Value] {
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
		if dangerousEnv[strings.TrimSuffix(name, "+")] || dangerousEnv[target] {
			a.out.Dynamic = true
		}
	}
}
