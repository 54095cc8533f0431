package shell

import (
	"strings"

	"github.com/airlock-sdk/airlock/gate"
	"mvdan.cc/sh/v3/syntax"
)

// ownChain reports whether the commands of s are exactly the line's own
// top-level && chain, in order: one statement whose commands are simple
// commands joined by && alone (no ||, ;, |, &, !, subshell, compound
// command or newline), none of which runs a nested command (bash -c,
// eval, a wrapper, a command substitution: each would add commands to
// the list). Then every command of the list runs only after the ones
// before it succeeded, in the shell itself, so a cd anywhere in it moves
// the commands after it. Anything else, or a line that does not parse,
// is not a chain.
func ownChain(s *gate.SSH) bool {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(s.Command), "")
	if err != nil || len(f.Stmts) != 1 {
		return false
	}
	n := 0
	var leaves func(st *syntax.Stmt) bool
	leaves = func(st *syntax.Stmt) bool {
		if st.Negated || st.Background || st.Coprocess {
			return false
		}
		switch x := st.Cmd.(type) {
		case *syntax.BinaryCmd:
			return x.Op == syntax.AndStmt && leaves(x.X) && leaves(x.Y)
		case *syntax.CallExpr:
			if len(x.Args) == 0 {
				return false
			}
			n++
			return true
		}
		return false
	}
	return leaves(f.Stmts[0]) && n == len(s.Commands)
}
