package gate

import (
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
)

// Rules are compiled a second time, to Go closures, when every node of the
// expression is in a small subset of CEL whose evaluation cannot fail: typed
// literals and variables (strings, bools, ints, lists of strings, lists of
// request objects), field selection on request objects, ==, !=, integer
// comparison, &&, ||, !, membership in a list, startsWith / endsWith /
// contains, lowerAscii, size of a list, and the exists / all macros. Over that
// subset the closures return exactly what the CEL interpreter returns
// (TestNativeEqualsCEL checks it on generated expressions and requests), at a
// fraction of the cost. A rule with any other node — maps, dyn values,
// timestamps, regular expressions, arithmetic, anything that can raise an
// error — is evaluated by CEL only. The closures are used only for requests
// within the cost estimate's bounds, where CEL itself would not track cost.

// nativeEnv is what closures read: the request, the session counters, and
// the values of the comprehension variables in scope.
type nativeEnv struct {
	req      *Request
	stats    SessionStats
	hasStats bool
	strs     [8]string
	objs     [8]reflect.Value
}

// nativeEnvs keeps the environments of finished decisions for the next
// ones: one is a few hundred bytes, allocated on every decision otherwise.
var nativeEnvs = sync.Pool{New: func() any { return new(nativeEnv) }}

// release clears e, so it holds on to no request, and returns it to
// nativeEnvs.
func (e *nativeEnv) release() {
	*e = nativeEnv{}
	nativeEnvs.Put(e)
}

func (e *nativeEnv) counters() SessionStats {
	if !e.hasStats {
		if e.req.Session != nil {
			e.stats = e.req.Session.stats.snapshot(e.req.Time)
		}
		e.hasStats = true
	}
	return e.stats
}

type (
	boolFn    func(*nativeEnv) bool
	stringFn  func(*nativeEnv) string
	intFn     func(*nativeEnv) int64
	strListFn func(*nativeEnv) []string
	// valueFn yields an object (a struct) or a list of objects (a slice of
	// structs), as reflect values.
	valueFn func(*nativeEnv) reflect.Value
)

// nativeObjects maps the CEL names of request objects to their Go types.
var nativeObjects = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, t := range objectTypes {
		m[celObjectName(t)] = t
	}
	return m
}()

// nativeCompiler compiles one checked expression.
type nativeCompiler struct {
	types map[int64]*types.Type
	// scope maps comprehension variables to their slot and element kind.
	scope map[string]nativeVar
	nstr  int
	nobj  int
}

type nativeVar struct {
	slot int
	obj  bool // an object (objs slot); else a string (strs slot)
}

// compileNative returns the closure of a bool expression, or nil when the
// expression leaves the subset.
func compileNative(checked *ast.AST) boolFn {
	c := &nativeCompiler{types: checked.TypeMap(), scope: map[string]nativeVar{}}
	defer func() { _ = recover() }() // an unforeseen shape: not native, never a crash
	return c.boolean(checked.Expr())
}

func (c *nativeCompiler) typeOf(e ast.Expr) *types.Type { return c.types[e.ID()] }

func (c *nativeCompiler) kindOf(e ast.Expr) types.Kind {
	if t := c.typeOf(e); t != nil {
		return t.Kind()
	}
	return types.UnknownKind
}

// isStrList and objType classify list and object expressions by their
// checked type.
func (c *nativeCompiler) isStrList(e ast.Expr) bool {
	t := c.typeOf(e)
	return t != nil && t.Kind() == types.ListKind && len(t.Parameters()) == 1 && t.Parameters()[0].Kind() == types.StringKind
}

func (c *nativeCompiler) objListType(e ast.Expr) reflect.Type {
	t := c.typeOf(e)
	if t == nil || t.Kind() != types.ListKind || len(t.Parameters()) != 1 || t.Parameters()[0].Kind() != types.StructKind {
		return nil
	}
	return nativeObjects[t.Parameters()[0].TypeName()]
}

func (c *nativeCompiler) objType(e ast.Expr) reflect.Type {
	t := c.typeOf(e)
	if t == nil || t.Kind() != types.StructKind {
		return nil
	}
	return nativeObjects[t.TypeName()]
}

func (c *nativeCompiler) boolean(e ast.Expr) boolFn {
	if c.kindOf(e) != types.BoolKind {
		return nil
	}
	switch e.Kind() {
	case ast.LiteralKind:
		b, ok := e.AsLiteral().(types.Bool)
		if !ok {
			return nil
		}
		return func(*nativeEnv) bool { return bool(b) }
	case ast.IdentKind, ast.SelectKind:
		if v := c.variable(e); v != nil {
			if v.flag == nil {
				return nil
			}
			flag := v.flag
			return func(env *nativeEnv) bool { return flag(env.req) }
		}
		get := c.field(e)
		if get == nil {
			return nil
		}
		return func(env *nativeEnv) bool { return get(env).Bool() }
	case ast.ComprehensionKind:
		return c.quantifier(e.AsComprehension())
	case ast.CallKind:
		return c.boolCall(e)
	}
	return nil
}

func (c *nativeCompiler) boolCall(e ast.Expr) boolFn {
	call := e.AsCall()
	args := call.Args()
	switch call.FunctionName() {
	case "_&&_", "_||_":
		if call.IsMemberFunction() || len(args) != 2 {
			return nil
		}
		l, r := c.boolean(args[0]), c.boolean(args[1])
		if l == nil || r == nil {
			return nil
		}
		if call.FunctionName() == "_&&_" {
			return func(env *nativeEnv) bool { return l(env) && r(env) }
		}
		return func(env *nativeEnv) bool { return l(env) || r(env) }
	case "!_":
		if len(args) != 1 {
			return nil
		}
		x := c.boolean(args[0])
		if x == nil {
			return nil
		}
		return func(env *nativeEnv) bool { return !x(env) }
	case "_==_", "_!=_":
		if len(args) != 2 {
			return nil
		}
		eq := c.equal(args[0], args[1])
		if eq == nil {
			return nil
		}
		if call.FunctionName() == "_!=_" {
			return func(env *nativeEnv) bool { return !eq(env) }
		}
		return eq
	case "_<_", "_<=_", "_>_", "_>=_":
		if len(args) != 2 {
			return nil
		}
		l, r := c.integer(args[0]), c.integer(args[1])
		if l == nil || r == nil {
			return nil
		}
		switch call.FunctionName() {
		case "_<_":
			return func(env *nativeEnv) bool { return l(env) < r(env) }
		case "_<=_":
			return func(env *nativeEnv) bool { return l(env) <= r(env) }
		case "_>_":
			return func(env *nativeEnv) bool { return l(env) > r(env) }
		default:
			return func(env *nativeEnv) bool { return l(env) >= r(env) }
		}
	case "@in":
		if len(args) != 2 || c.kindOf(args[0]) != types.StringKind {
			return nil
		}
		x := c.str(args[0])
		if x == nil {
			return nil
		}
		if args[1].Kind() == ast.ListKind {
			var set []string
			for _, el := range args[1].AsList().Elements() {
				lit, ok := el.AsLiteral().(types.String)
				if el.Kind() != ast.LiteralKind || !ok {
					return nil
				}
				set = append(set, string(lit))
			}
			return func(env *nativeEnv) bool {
				v := x(env)
				for _, s := range set {
					if s == v {
						return true
					}
				}
				return false
			}
		}
		list := c.strList(args[1])
		if list == nil {
			return nil
		}
		return func(env *nativeEnv) bool {
			v := x(env)
			for _, s := range list(env) {
				if s == v {
					return true
				}
			}
			return false
		}
	case "startsWith", "endsWith", "contains":
		if !call.IsMemberFunction() || len(args) != 1 {
			return nil
		}
		t, a := c.str(call.Target()), c.str(args[0])
		if t == nil || a == nil {
			return nil
		}
		switch call.FunctionName() {
		case "startsWith":
			return func(env *nativeEnv) bool { return strings.HasPrefix(t(env), a(env)) }
		case "endsWith":
			return func(env *nativeEnv) bool { return strings.HasSuffix(t(env), a(env)) }
		default:
			return func(env *nativeEnv) bool { return strings.Contains(t(env), a(env)) }
		}
	}
	return nil
}

// equal compiles == for two operands of the same primitive type.
func (c *nativeCompiler) equal(a, b ast.Expr) boolFn {
	ka, kb := c.kindOf(a), c.kindOf(b)
	if ka != kb {
		return nil
	}
	switch ka {
	case types.StringKind:
		l, r := c.str(a), c.str(b)
		if l == nil || r == nil {
			return nil
		}
		return func(env *nativeEnv) bool { return l(env) == r(env) }
	case types.BoolKind:
		l, r := c.boolean(a), c.boolean(b)
		if l == nil || r == nil {
			return nil
		}
		return func(env *nativeEnv) bool { return l(env) == r(env) }
	case types.IntKind:
		l, r := c.integer(a), c.integer(b)
		if l == nil || r == nil {
			return nil
		}
		return func(env *nativeEnv) bool { return l(env) == r(env) }
	}
	return nil
}

func (c *nativeCompiler) str(e ast.Expr) stringFn {
	if c.kindOf(e) != types.StringKind {
		return nil
	}
	switch e.Kind() {
	case ast.LiteralKind:
		s, ok := e.AsLiteral().(types.String)
		if !ok {
			return nil
		}
		return func(*nativeEnv) string { return string(s) }
	case ast.IdentKind:
		if v, ok := c.scope[e.AsIdent()]; ok && !v.obj {
			slot := v.slot
			return func(env *nativeEnv) string { return env.strs[slot] }
		}
		if v := c.variable(e); v != nil {
			if v.str == nil {
				return nil
			}
			str := v.str
			return func(env *nativeEnv) string { return str(env.req) }
		}
		return nil
	case ast.SelectKind:
		get := c.field(e)
		if get == nil {
			return nil
		}
		return func(env *nativeEnv) string { return get(env).String() }
	case ast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == "lowerAscii" && call.IsMemberFunction() && len(call.Args()) == 0 {
			t := c.str(call.Target())
			if t == nil {
				return nil
			}
			return func(env *nativeEnv) string { return lowerASCII(t(env)) }
		}
	}
	return nil
}

// lowerASCII is CEL's lowerAscii: ASCII letters lowered, and the string
// re-encoded as runes (so invalid UTF-8 becomes U+FFFD, as in CEL). The
// common case, valid UTF-8 with nothing to lower, allocates nothing.
func lowerASCII(s string) string {
	if utf8.ValidString(s) {
		upper := false
		for i := 0; i < len(s); i++ {
			if 'A' <= s[i] && s[i] <= 'Z' {
				upper = true
				break
			}
		}
		if !upper {
			return s
		}
	}
	runes := []rune(s)
	for i, r := range runes {
		if r <= unicode.MaxASCII {
			runes[i] = unicode.ToLower(r)
		}
	}
	return string(runes)
}

func (c *nativeCompiler) integer(e ast.Expr) intFn {
	if c.kindOf(e) != types.IntKind {
		return nil
	}
	switch e.Kind() {
	case ast.LiteralKind:
		i, ok := e.AsLiteral().(types.Int)
		if !ok {
			return nil
		}
		return func(*nativeEnv) int64 { return int64(i) }
	case ast.IdentKind:
		v := c.variable(e)
		switch {
		case v == nil:
			return nil
		case v.counter != nil:
			counter := v.counter
			return func(env *nativeEnv) int64 { return counter(env.counters()) }
		case v.num != nil:
			num := v.num
			return func(env *nativeEnv) int64 { return num(env.req) }
		}
		return nil
	case ast.SelectKind:
		get := c.field(e)
		if get == nil {
			return nil
		}
		return func(env *nativeEnv) int64 { return get(env).Int() }
	case ast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != "size" || len(call.Args())+btoi(call.IsMemberFunction()) != 1 {
			return nil
		}
		arg := call.Target()
		if !call.IsMemberFunction() {
			arg = call.Args()[0]
		}
		if c.isStrList(arg) {
			l := c.strList(arg)
			if l == nil {
				return nil
			}
			return func(env *nativeEnv) int64 { return int64(len(l(env))) }
		}
		if c.objListType(arg) != nil {
			l := c.field(arg)
			if l == nil {
				return nil
			}
			return func(env *nativeEnv) int64 { return int64(l(env).Len()) }
		}
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *nativeCompiler) strList(e ast.Expr) strListFn {
	if !c.isStrList(e) {
		return nil
	}
	if v := c.variable(e); v != nil {
		if v.strs == nil {
			return nil
		}
		strs := v.strs
		return func(env *nativeEnv) []string { return strs(env.req) }
	}
	get := c.field(e)
	if get == nil {
		return nil
	}
	return func(env *nativeEnv) []string {
		v := get(env)
		if !v.CanAddr() {
			return nil // the zero value of an absent attribute
		}
		// Through a pointer, so reading the slice allocates nothing.
		return *(v.Addr().Interface().(*[]string))
	}
}

// quantifier compiles the exists and all macros over a list of strings or
// of objects.
func (c *nativeCompiler) quantifier(comp ast.ComprehensionExpr) boolFn {
	if comp.HasIterVar2() {
		return nil
	}
	accu := comp.AccuVar()
	init := comp.AccuInit()
	step, result := comp.LoopStep(), comp.Result()
	if init.Kind() != ast.LiteralKind || result.Kind() != ast.IdentKind || result.AsIdent() != accu || step.Kind() != ast.CallKind {
		return nil
	}
	start, ok := init.AsLiteral().(types.Bool)
	if !ok {
		return nil
	}
	sc := step.AsCall()
	if len(sc.Args()) != 2 || sc.Args()[0].Kind() != ast.IdentKind || sc.Args()[0].AsIdent() != accu {
		return nil
	}
	var exists bool
	switch {
	case sc.FunctionName() == "_||_" && !bool(start):
		exists = true
	case sc.FunctionName() == "_&&_" && bool(start):
		exists = false
	default:
		return nil
	}
	iterVar := comp.IterVar()
	if _, shadow := c.scope[iterVar]; shadow || variableNamed(iterVar) != nil {
		return nil
	}
	rng := comp.IterRange()
	if c.isStrList(rng) {
		list := c.strList(rng)
		if list == nil || c.nstr >= len(nativeEnv{}.strs) {
			return nil
		}
		slot := c.nstr
		c.nstr++
		c.scope[iterVar] = nativeVar{slot: slot}
		pred := c.boolean(sc.Args()[1])
		delete(c.scope, iterVar)
		if pred == nil {
			return nil
		}
		return func(env *nativeEnv) bool {
			for _, s := range list(env) {
				env.strs[slot] = s
				if pred(env) == exists {
					return exists
				}
			}
			return !exists
		}
	}
	if c.objListType(rng) == nil {
		return nil
	}
	list := c.field(rng)
	if list == nil || c.nobj >= len(nativeEnv{}.objs) {
		return nil
	}
	slot := c.nobj
	c.nobj++
	c.scope[iterVar] = nativeVar{slot: slot, obj: true}
	pred := c.boolean(sc.Args()[1])
	delete(c.scope, iterVar)
	if pred == nil {
		return nil
	}
	return func(env *nativeEnv) bool {
		l := list(env)
		for i := 0; i < l.Len(); i++ {
			env.objs[slot] = l.Index(i)
			if pred(env) == exists {
				return exists
			}
		}
		return !exists
	}
}

// field compiles a read of a request attribute as a reflect value: a flat
// protocol variable (sql.statements, ssh.dynamic), a comprehension variable
// holding an object, or a field selected from an object.
func (c *nativeCompiler) field(e ast.Expr) valueFn {
	switch e.Kind() {
	case ast.IdentKind:
		name := e.AsIdent()
		if v, ok := c.scope[name]; ok {
			if !v.obj {
				return nil
			}
			slot := v.slot
			return func(env *nativeEnv) reflect.Value { return env.objs[slot] }
		}
		if v := variableNamed(name); v != nil && v.objects != nil {
			objects := v.objects
			return func(env *nativeEnv) reflect.Value { return objects(env.req) }
		}
		return nil
	case ast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			return nil
		}
		t := c.objType(sel.Operand())
		if t == nil {
			return nil
		}
		idx, ok := celFieldIndex(t, sel.FieldName())
		if !ok {
			return nil
		}
		operand := c.field(sel.Operand())
		if operand == nil {
			return nil
		}
		return func(env *nativeEnv) reflect.Value { return operand(env).Field(idx) }
	}
	return nil
}

// variable returns the vocabulary variable e names, or nil when e is not an
// identifier or names a comprehension variable.
func (c *nativeCompiler) variable(e ast.Expr) *variable {
	if e.Kind() != ast.IdentKind {
		return nil
	}
	if _, local := c.scope[e.AsIdent()]; local {
		return nil
	}
	return variableNamed(e.AsIdent())
}
