package coerce

import (
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/parser"

	"github.com/airlock-sdk/airlock/gate"
)

// A binder coerces every field of a body to its own type at once, so a
// rule that needs two coerced values ({"to":"9","amount":"5000"} under
// to == 9 && amount > 1000) is not matched by readings that coerce one
// group of values at a time. The types a binder gives the fields are the
// application's, which the gate does not know; the rules say which they
// expect: the constants they compare a name with (to == 9, "9" in ids,
// role in ["admin"], i == 9 for i in ids). So the body is also judged with
// every value under such a name coerced, all at once, to that type.

// Types are, by the name the rules read, the types of the constants they
// compare it with: "int", "double", "string", "bool".
type Types map[string][]string

// ComparedTypes gathers the Types of the rules of rs for which reads
// reports that they read the values judged (gate.RuleInfo.Reads).
func ComparedTypes(rs *gate.RuleSet, reads func(vars []string) bool) Types {
	ct := Types{}
	if rs == nil {
		return ct
	}
	p, err := parser.NewParser(parser.Macros(parser.AllMacros...))
	if err != nil {
		return ct
	}
	for _, info := range rs.Info() {
		if !reads(info.Reads) {
			continue
		}
		a, errs := p.Parse(common.NewTextSource(info.Spec.When))
		if errs != nil && len(errs.GetErrors()) > 0 {
			continue // compiled by the gate: does not happen
		}
		// The comprehension variables, by the name of the range they
		// iterate (i for i in http.body.ids is an element of ids).
		ranges := map[string]string{}
		ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
			if e.Kind() == ast.ComprehensionKind {
				c := e.AsComprehension()
				if n, ok := comparedName(c.IterRange(), nil); ok {
					ranges[c.IterVar()] = n
				}
			}
		}))
		ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
			if e.Kind() != ast.CallKind || len(e.AsCall().Args()) != 2 {
				return
			}
			c := e.AsCall()
			l, r := c.Args()[0], c.Args()[1]
			switch c.FunctionName() {
			case "_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_":
				ct.note(l, r, ranges)
				ct.note(r, l, ranges)
			case "@in":
				if r.Kind() == ast.ListKind {
					for _, el := range r.AsList().Elements() {
						ct.note(l, el, ranges)
					}
				} else {
					ct.note(r, l, ranges)
				}
			}
		}))
	}
	return ct
}

// note records the type of the constant c for the name e reads, if e
// reads one and c is a constant.
func (ct Types) note(e, c ast.Expr, ranges map[string]string) {
	n, ok := comparedName(e, ranges)
	if !ok || c.Kind() != ast.LiteralKind {
		return
	}
	var t string
	switch c.AsLiteral().(type) {
	case types.Int, types.Uint:
		t = "int"
	case types.Double:
		t = "double"
	case types.String:
		t = "string"
	case types.Bool:
		t = "bool"
	default:
		return
	}
	for _, have := range ct[n] {
		if have == t {
			return
		}
	}
	ct[n] = append(ct[n], t)
}

// comparedName returns the name e reads: the field it selects, the string
// constant it indexes with (x["to"], x.ids[0] reads ids), or the range a
// comprehension variable iterates.
func comparedName(e ast.Expr, ranges map[string]string) (string, bool) {
	switch e.Kind() {
	case ast.SelectKind:
		return e.AsSelect().FieldName(), true
	case ast.IdentKind:
		n, ok := ranges[e.AsIdent()]
		return n, ok
	case ast.CallKind:
		c := e.AsCall()
		if c.FunctionName() != "_[_]" || len(c.Args()) != 2 {
			return "", false
		}
		if k, ok := stringConst(c.Args()[1]); ok {
			return k, true
		}
		return comparedName(c.Args()[0], ranges)
	}
	return "", false
}

// stringConst returns the value of e if it is a string constant.
func stringConst(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}
