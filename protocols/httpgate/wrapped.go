package httpgate

import (
	"slices"

	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/parser"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// Rails wraps the top-level keys of a JSON body under the controller's
// resource name when the body does not send that name (ParamsWrapper, on
// by default for JSON): {"role":"admin"} posted to a UsersController is
// also read as user[role]. A rule on http.body.user.role sees no user in
// it. So a JSON object body that sends, at its top, a name the rules read
// only below another name (role below user), without sending that other
// name, is refused: the rules cannot tell whether the upstream wraps it.

// wrappedNames are, by the name of an object the rules read at the top of
// the body (user), the names they read directly below it (role) and
// nowhere at the top.
type wrappedNames map[string][]string

// collectWrapped gathers the wrappedNames of rs from the constant paths
// its rules read below http.body: selections (http.body.user.role, has()
// tests included), indexes with string constants (http.body["user"]
// ["role"]) and "in" tests ("role" in http.body.user).
func collectWrapped(rs *gate.RuleSet) wrappedNames {
	w, _ := collectWrappedBelow(rs)
	return w
}

// collectWrappedBelow is collectWrapped that also returns, by the name of
// an object the rules read at the top of the body, every name they read
// directly below it (at the top too or not).
func collectWrappedBelow(rs *gate.RuleSet) (wrappedNames, map[string][]string) {
	w := wrappedNames{}
	below := map[string][]string{}
	if rs == nil {
		return w, below
	}
	p, err := parser.NewParser(parser.Macros(parser.AllMacros...))
	if err != nil {
		return w, below
	}
	top := map[string]bool{}
	note := func(path []string) {
		switch {
		case len(path) == 1:
			top[jsontext.FoldKey(path[0])] = true
		case len(path) >= 2:
			below[path[0]] = append(below[path[0]], path[1])
		}
	}
	for _, info := range rs.Info() {
		if readsAt(info.Reads)&locBody == 0 {
			continue
		}
		a, errs := p.Parse(common.NewTextSource(info.Spec.When))
		if errs != nil && len(errs.GetErrors()) > 0 {
			continue // compiled by the gate: does not happen
		}
		ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
			if path, ok := bodyPath(e); ok {
				note(path)
			}
			if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == "@in" {
				args := e.AsCall().Args()
				if path, ok := bodyPath(args[1]); ok {
					if k, ok := stringConst(args[0]); ok {
						note(append(path, k))
					}
				}
			}
		}))
	}
	for parent, names := range below {
		for _, n := range names {
			if !top[jsontext.FoldKey(n)] && !slices.Contains(w[parent], n) {
				w[parent] = append(w[parent], n)
			}
		}
	}
	return w, below
}

// bodyPath returns the constant keys e selects below http.body, if e is
// http.body or a chain of selections and constant indexes below it.
func bodyPath(e ast.Expr) ([]string, bool) {
	switch e.Kind() {
	case ast.SelectKind:
		s := e.AsSelect()
		op := s.Operand()
		if op.Kind() == ast.IdentKind && op.AsIdent() == "http" {
			return nil, s.FieldName() == "body"
		}
		path, ok := bodyPath(op)
		return append(path, s.FieldName()), ok
	case ast.CallKind:
		c := e.AsCall()
		if c.FunctionName() != "_[_]" || len(c.Args()) != 2 {
			return nil, false
		}
		k, ok := stringConst(c.Args()[1])
		if !ok {
			return nil, false
		}
		path, ok := bodyPath(c.Args()[0])
		return append(path, k), ok
	}
	return nil, false
}

// stringConst returns the value of e if it is a string constant.
func stringConst(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// checkWrapped refuses a JSON object body that sends at its top a name
// the rules read only below another (see wrappedNames) without sending
// that other name.
func checkWrapped(body any, w wrappedNames) *refusal {
	m, ok := body.(map[string]any)
	if !ok || len(w) == 0 {
		return nil
	}
	sent := make(map[string]string, len(m))
	for k := range m {
		sent[jsontext.FoldKey(k)] = k
	}
	for parent, names := range w {
		if _, ok := sent[jsontext.FoldKey(parent)]; ok {
			continue
		}
		for _, n := range names {
			if k, ok := sent[jsontext.FoldKey(n)]; ok {
				return refuse(400, "body", "JSON key %q is sent at the top of the body, where the rules do not read it (they read it below %q): Rails wraps a JSON body's keys under the resource's name when it is not sent", k, parent)
			}
		}
	}
	return nil
}
