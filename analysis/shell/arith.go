package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Arithmetic evaluation in bash expands the values of the variables it
// names, recursively, as arithmetic: x='a[$(rm f)]'; echo $((x)) runs rm.
// So do the other places that take a variable name from a value (${!x},
// [[ -v ]], printf -v, test -v) and ${x@P}. The gate cannot see those
// values, so a line that evaluates them on anything but numbers is not
// read-only.

// arithmetic reports whether n evaluates arithmetic on something that is
// not a number: $((…)), ((…)), let, for ((…)), array subscripts, ${x:o:l}
// and [[ … -eq … ]] with a variable or a quoted word in them.
func arithmetic(n syntax.Node) bool {
	switch x := n.(type) {
	case *syntax.ArithmExp:
		return !numeric(x.X)
	case *syntax.ArithmCmd:
		return !numeric(x.X)
	case *syntax.LetClause:
		for _, e := range x.Exprs {
			if !numeric(e) {
				return true
			}
		}
	case *syntax.CStyleLoop:
		return !numeric(x.Init) || !numeric(x.Cond) || !numeric(x.Post)
	case *syntax.ParamExp:
		if x.Excl && x.Names == 0 && x.Index == nil {
			return true // ${!x}: x's value names a variable, a[$(cmd)] included
		}
		if x.Exp != nil && x.Exp.Op == syntax.OtherParamOps && x.Exp.Word != nil && strings.Contains(x.Exp.Word.Lit(), "P") {
			return true // ${x@P} expands the value as a prompt, $(cmd) included
		}
		if x.Index != nil && !numeric(x.Index) {
			if w, ok := x.Index.(*syntax.Word); !ok || (w.Lit() != "@" && w.Lit() != "*") {
				return true
			}
		}
		if x.Slice != nil {
			return !numeric(x.Slice.Offset) || !numeric(x.Slice.Length)
		}
	case *syntax.Assign:
		return x.Index != nil && !numeric(x.Index)
	case *syntax.UnaryTest:
		// [[ -v name ]] evaluates an array subscript in the name.
		return (x.Op == syntax.TsVarSet || x.Op == syntax.TsRefVar) && !numeric(x.X)
	case *syntax.BinaryTest:
		switch x.Op {
		case syntax.TsEql, syntax.TsNeq, syntax.TsLeq, syntax.TsGeq, syntax.TsLss, syntax.TsGtr:
			return !numeric(x.X) || !numeric(x.Y)
		}
	}
	return false
}

// numeric reports whether an arithmetic expression (or test operand) is
// made of number literals and operators only; nil is numeric.
func numeric(n syntax.Node) bool {
	if n == nil {
		return true
	}
	ok := true
	syntax.Walk(n, func(m syntax.Node) bool {
		if !ok {
			return false
		}
		switch w := m.(type) {
		case *syntax.Word:
			if !isNumber(w.Lit()) {
				ok = false
			}
			return false
		}
		return true
	})
	return ok
}

// isNumber accepts decimal, 0x hex, octal and base#digits literals.
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	if b, digits, found := strings.Cut(s, "#"); found {
		return isNumber(b) && digits != "" && strings.Trim(digits, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@_") == ""
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	return s != "" && strings.Trim(s, "0123456789abcdefABCDEF") == ""
}
