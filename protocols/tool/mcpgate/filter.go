package mcpgate

import (
	"context"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"

	"github.com/airlock-sdk/airlock/gate"
)

// Discovery filtering.
//
// A listed tool (resource, prompt) is hidden from an identity only when the
// rules deny every possible call to it, whatever its arguments. The gateway
// proves that with one probe per item: the request a call would make, with
// empty arguments, evaluated by RuleSet.Decide (pure: nothing is recorded,
// no counter moves, no review is filed). The probe's outcome generalises to
// every call only through rules whose `when` reads nothing that changes from
// one call of the same item to the next. Such a rule is "invariant": every
// variable it names is fixed for the session and the item (identity.*,
// session.id/protocol/target/client_addr, request.protocol, tool.kind,
// tool.name, tool.uri, and the sql/ssh/http variables, always empty for MCP).
// tool.args, request.command, request.time and the session counters make a
// rule variant; so does anything the analysis cannot resolve (a parse
// failure, a bare identifier).
//
// The item is hidden when, for the probe decision d:
//
//  1. an enforced invariant rule with action deny is among d.Rules (it will
//     match every call, and deny is the strictest action); or
//  2. the rule set's default is deny, and every enforced rule with action
//     allow or review is invariant and absent from d.Rules (none of them can
//     match any call, so no call can end better than deny).
//
// Both conditions imply that Gate.Check denies every call to the item under
// the same rule set, so a hidden item is never callable; the gateway checks
// that again on each call.

// variantVars are the variables whose value differs between two calls of
// the same item in the same session. For resources, request.command and
// tool.args are fixed by the URI, so they are invariant there.
var variantVars = map[string]bool{
	"tool.args":                    true,
	"request.command":              true,
	"request.time":                 true,
	"session.requests":             true,
	"session.denied":               true,
	"session.requests_last_minute": true,
}

// invariantVars are the variables a probe fixes. Anything not listed here or
// in variantVars is treated as variant (fail safe: never hide).
var invariantVars = map[string]bool{
	"identity.subject": true, "identity.name": true, "identity.groups": true,
	"identity.claims": true, "identity.kind": true,
	"session.id": true, "session.protocol": true, "session.target": true, "session.client_addr": true,
	"request.protocol": true,
	"tool.kind":        true, "tool.name": true, "tool.uri": true,
}

// invariantRoots are namespaces whose variables are always empty for MCP
// requests, hence invariant.
var invariantRoots = map[string]bool{"sql": true, "ssh": true, "http": true}

// ruleFacts is what the filter needs to know about one rule.
type ruleFacts struct {
	name   string
	action gate.Action
	audit  bool
	// invariant[kind] reports whether the rule reads only invariant
	// variables for requests of that tool kind.
	invariantCall     bool
	invariantResource bool
}

// ruleIndex is the filter's view of one rule set, built once per rule set.
type ruleIndex struct {
	rs    *gate.RuleSet
	rules map[string]ruleFacts
	list  []ruleFacts
}

var (
	parseEnvOnce sync.Once
	parseEnv     *cel.Env
)

func newRuleIndex(rs *gate.RuleSet) *ruleIndex {
	idx := &ruleIndex{rs: rs, rules: map[string]ruleFacts{}}
	if rs == nil {
		return idx
	}
	for _, spec := range rs.Specs() {
		f := ruleFacts{name: spec.Name, action: gate.Action(spec.Action), audit: spec.Mode == "audit"}
		vars, ok := referencedVars(spec.When)
		if ok {
			f.invariantCall, f.invariantResource = true, true
			for _, v := range vars {
				switch {
				case invariantVars[v]:
				case v == "tool.args" || v == "request.command":
					f.invariantCall = false
				default:
					f.invariantCall, f.invariantResource = false, false
				}
			}
		}
		idx.rules[spec.Name] = f
		idx.list = append(idx.list, f)
	}
	return idx
}

// hidden applies the criterion to the probe decision d for an item of the
// given kind.
func (idx *ruleIndex) hidden(kind string, d *gate.Decision) bool {
	if idx.rs == nil {
		// No rule set: every request is denied, the list is refused anyway.
		return true
	}
	inv := func(f ruleFacts) bool {
		if kind == kindResource {
			return f.invariantResource
		}
		return f.invariantCall
	}
	for _, name := range d.Rules {
		f, ok := idx.rules[name]
		if ok && !f.audit && f.action == gate.Deny && inv(f) {
			return true
		}
	}
	if idx.rs.Default() != gate.Deny {
		return false
	}
	for _, f := range idx.list {
		if f.audit || (f.action != gate.Allow && f.action != gate.Review) {
			continue
		}
		if !inv(f) || slices.Contains(d.Rules, f.name) {
			return false
		}
	}
	return true
}

// referencedVars returns the declared variables an expression reads
// ("tool.args", "identity.groups"), and false when it cannot tell.
func referencedVars(expr string) ([]string, bool) {
	parseEnvOnce.Do(func() { parseEnv, _ = cel.NewEnv() })
	if parseEnv == nil {
		return nil, false
	}
	parsed, iss := parseEnv.Parse(expr)
	if iss != nil && iss.Err() != nil {
		return nil, false
	}
	w := &varWalker{locals: map[string]bool{}, ok: true}
	root := parsed.NativeRep().Expr()
	w.collectLocals(root)
	for l := range w.locals {
		if isRoot(l) {
			return nil, false // a local shadowing a namespace: do not guess
		}
	}
	w.walk(root)
	if !w.ok {
		return nil, false
	}
	return w.vars, true
}

func isRoot(name string) bool {
	switch name {
	case "identity", "session", "request", "tool", "sql", "ssh", "http":
		return true
	}
	return false
}

type varWalker struct {
	locals map[string]bool
	vars   []string
	ok     bool
}

func (w *varWalker) collectLocals(e ast.Expr) {
	visitAll(e, func(x ast.Expr) {
		if x.Kind() == ast.ComprehensionKind {
			c := x.AsComprehension()
			w.locals[c.IterVar()] = true
			if c.HasIterVar2() {
				w.locals[c.IterVar2()] = true
			}
			w.locals[c.AccuVar()] = true
		}
	})
}

// dotted returns "a.b.c" for a chain of selections rooted at an identifier.
func dotted(e ast.Expr) (string, bool) {
	switch e.Kind() {
	case ast.IdentKind:
		return e.AsIdent(), true
	case ast.SelectKind:
		s := e.AsSelect()
		p, ok := dotted(s.Operand())
		if !ok {
			return "", false
		}
		return p + "." + s.FieldName(), true
	}
	return "", false
}

func (w *varWalker) reference(path string) {
	parts := strings.Split(path, ".")
	if w.locals[parts[0]] {
		return
	}
	if len(parts) < 2 {
		w.ok = false // a bare identifier that is no local: unknown
		return
	}
	if invariantRoots[parts[0]] {
		return
	}
	name := parts[0] + "." + parts[1]
	if !invariantVars[name] && !variantVars[name] {
		w.ok = false
		return
	}
	if !slices.Contains(w.vars, name) {
		w.vars = append(w.vars, name)
	}
}

func (w *varWalker) walk(e ast.Expr) {
	switch e.Kind() {
	case ast.IdentKind:
		w.reference(e.AsIdent())
	case ast.SelectKind:
		if p, ok := dotted(e); ok {
			w.reference(p)
			return
		}
		w.walk(e.AsSelect().Operand())
	case ast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			w.walk(c.Target())
		}
		for _, a := range c.Args() {
			w.walk(a)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			w.walk(el)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			w.walk(me.Key())
			w.walk(me.Value())
		}
	case ast.StructKind:
		for _, en := range e.AsStruct().Fields() {
			w.walk(en.AsStructField().Value())
		}
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		for _, x := range []ast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
			w.walk(x)
		}
	case ast.LiteralKind, ast.UnspecifiedExprKind:
	default:
		w.ok = false
	}
}

// visitAll calls f on every node of e.
func visitAll(e ast.Expr, f func(ast.Expr)) {
	f(e)
	switch e.Kind() {
	case ast.SelectKind:
		visitAll(e.AsSelect().Operand(), f)
	case ast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			visitAll(c.Target(), f)
		}
		for _, a := range c.Args() {
			visitAll(a, f)
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			visitAll(el, f)
		}
	case ast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			visitAll(me.Key(), f)
			visitAll(me.Value(), f)
		}
	case ast.StructKind:
		for _, en := range e.AsStruct().Fields() {
			visitAll(en.AsStructField().Value(), f)
		}
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		for _, x := range []ast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()} {
			visitAll(x, f)
		}
	}
}

// filterCache keeps the rule index of the rule set in force.
type filterCache struct {
	mu  sync.Mutex
	idx *ruleIndex
}

func (c *filterCache) get(rs *gate.RuleSet) *ruleIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idx == nil || c.idx.rs != rs {
		c.idx = newRuleIndex(rs)
	}
	return c.idx
}

// probeHidden decides whether item must be hidden from session s.
func probeHidden(ctx context.Context, idx *ruleIndex, req *gate.Request) bool {
	hidden, _ := probeDecision(ctx, idx, req)
	return hidden
}

// probeDecision decides the probe request of an item (nothing recorded) and
// reports whether the item must be hidden.
func probeDecision(ctx context.Context, idx *ruleIndex, req *gate.Request) (bool, *gate.Decision) {
	if idx.rs == nil {
		return true, nil
	}
	d := idx.rs.Decide(ctx, req)
	if ctx.Err() != nil {
		// A rule cut short by cancellation reads as an error (deny); that
		// proves nothing about the item.
		return false, d
	}
	return idx.hidden(req.Tool.Kind, d), d
}
