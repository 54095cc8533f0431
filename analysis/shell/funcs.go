package shell

import "mvdan.cc/sh/v3/syntax"

// Calls of functions the script defines: the call itself only runs the
// body, whose commands are listed and judged on their own.

// funcScope is where a function definition holds: from the end of the
// definition to the end of the statement list it is in.
type funcScope struct{ from, to uint }

// definedFuncs are the functions a script surely defines before the
// statements after them run: definitions that are whole statements of a
// list (top level, a group, a subshell, a loop or branch body), not in
// the background, negated or redirected. A name defined only in a branch
// not yet taken may still be an external program, so a call counts only
// after the definition and inside its list.
func definedFuncs(f *syntax.File) map[string][]funcScope {
	var m map[string][]funcScope
	list := func(stmts []*syntax.Stmt, end uint) {
		for _, st := range stmts {
			fd, ok := st.Cmd.(*syntax.FuncDecl)
			if !ok || st.Background || st.Coprocess || st.Negated || len(st.Redirs) > 0 || fd.Name == nil {
				continue
			}
			if m == nil {
				m = map[string][]funcScope{}
			}
			m[fd.Name.Value] = append(m[fd.Name.Value], funcScope{from: st.End().Offset(), to: end})
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.File:
			list(x.Stmts, ^uint(0))
		case *syntax.Block:
			list(x.Stmts, x.End().Offset())
		case *syntax.Subshell:
			list(x.Stmts, x.End().Offset())
		case *syntax.CmdSubst:
			list(x.Stmts, x.End().Offset())
		case *syntax.ProcSubst:
			list(x.Stmts, x.End().Offset())
		case *syntax.IfClause:
			list(x.Then, x.End().Offset())
		case *syntax.WhileClause:
			list(x.Do, x.End().Offset())
		case *syntax.ForClause:
			list(x.Do, x.End().Offset())
		case *syntax.CaseItem:
			list(x.Stmts, x.End().Offset())
		}
		return true
	})
	return m
}

// isDefinedFunc reports whether a call of name at offset runs a function
// the script defined.
func isDefinedFunc(m map[string][]funcScope, name string, offset uint) bool {
	for _, sc := range m[name] {
		if sc.from <= offset && offset < sc.to {
			return true
		}
	}
	return false
}
