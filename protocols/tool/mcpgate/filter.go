package mcpgate

import (
	"context"
	"slices"
	"strings"
	"sync"

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
// variable it reads (RuleInfo.Reads, as CEL's checker resolved them) is
// fixed for the session and the item — see invariant. tool.args,
// request.command, request.reason, request.time, the session counters and
// grants make a rule variant.
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

// What a variable depends on is the gate's vocabulary (gate.Variables);
// what the gateway adds is what it fixes per item.
var (
	// itemFixed are the request variables every call of one item shares:
	// the gateway's requests always have protocol "mcp", and the kind,
	// name and URI name the item.
	itemFixed = map[string]bool{"request.protocol": true, "tool.kind": true, "tool.name": true, "tool.uri": true}
	// resourceFixed are fixed by a resource's URI as well: a read of a
	// resource has no arguments of its own.
	resourceFixed = map[string]bool{"request.command": true, "tool.args": true}
	// ruleVariables is the gate's vocabulary by name.
	ruleVariables = func() map[string]gate.Variable {
		m := map[string]gate.Variable{}
		for _, v := range gate.Variables() {
			m[v.Name] = v
		}
		return m
	}()
)

// mcpAttribute is the namespace of the protocol attributes MCP requests
// carry; every other protocol's attributes are always empty.
const mcpAttribute = "tool."

// invariant reports whether the variable called name has the same value in
// every request the gateway makes for one item of the given kind in one
// session. A name the vocabulary does not have is variant (never hide).
func invariant(name, kind string) bool {
	v, ok := ruleVariables[name]
	switch {
	case !ok:
		return false
	case v.Scope == gate.ScopeSession:
		return true // who asks, over what connection
	case v.Attribute && !strings.HasPrefix(v.Name, mcpAttribute):
		return true // another protocol's attributes: always empty
	case v.Scope == gate.ScopeVolatile:
		return false
	case itemFixed[name]:
		return true
	case kind == kindResource && resourceFixed[name]:
		return true
	}
	return false
}

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

// factsOf classifies a rule by the variables it reads.
func factsOf(info gate.RuleInfo) ruleFacts {
	spec := info.Spec
	f := ruleFacts{name: spec.Name, action: gate.Action(spec.Action), audit: spec.Mode == "audit",
		invariantCall: true, invariantResource: true}
	for _, v := range info.Reads {
		f.invariantCall = f.invariantCall && invariant(v, kindCall)
		f.invariantResource = f.invariantResource && invariant(v, kindResource)
	}
	return f
}

// ruleIndex is the filter's view of one rule set, built once per rule set.
type ruleIndex struct {
	rs    *gate.RuleSet
	rules map[string]ruleFacts
	list  []ruleFacts
}

func newRuleIndex(rs *gate.RuleSet) *ruleIndex {
	idx := &ruleIndex{rs: rs, rules: map[string]ruleFacts{}}
	if rs == nil {
		return idx
	}
	for _, info := range rs.Info() {
		f := factsOf(info)
		idx.rules[f.name] = f
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
