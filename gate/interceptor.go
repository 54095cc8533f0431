package gate

import (
	"context"
	"fmt"
)

// A Decider decides one request by the rules, before review and recording.
// *RuleSet is the Decider at the centre of every gate; an Interceptor wraps
// it.
type Decider interface {
	Decide(ctx context.Context, req *Request) *Decision
}

// DeciderFunc adapts a function to a Decider, so a closure can be one.
type DeciderFunc func(ctx context.Context, req *Request) *Decision

// Decide calls f.
func (f DeciderFunc) Decide(ctx context.Context, req *Request) *Decision { return f(ctx, req) }

// An Interceptor wraps the rules the way net/http middleware wraps a
// Handler: it may enrich the request before the rules see it (an owner from
// a CMDB, a tenant), route it, or decide it without the rules (a rate
// limit). Whatever it returns is a decision like any other: Check records
// it, counts it, meters it and, for review, holds it. A decision an
// interceptor makes on its own should name the interceptor in Rule.
//
// Interceptors run in the order of Config.Interceptors, the first outermost.
// A nil decision, or a panic, denies.
type Interceptor func(next Decider) Decider

// decide runs the request through the interceptors and the rules.
func (g *Gate) decide(ctx context.Context, rs *RuleSet, req *Request) (d *Decision) {
	if len(g.interceptors) == 0 {
		return rs.Decide(ctx, req)
	}
	defer func() {
		if p := recover(); p != nil {
			g.log.Error("interceptor panicked; denying", "panic", fmt.Sprint(p))
			d = &Decision{Action: Deny, Rule: "gate", Reason: "the request could not be judged",
				Errors: []string{fmt.Sprintf("interceptor panic: %v", p)}, RuleSetVersion: rs.Version(), Time: g.now().UTC()}
		}
	}()
	var next Decider = rs
	if rs == nil {
		next = DeciderFunc(rs.Decide) // a nil rule set denies
	}
	for i := len(g.interceptors) - 1; i >= 0; i-- {
		next = g.interceptors[i](next)
	}
	d = next.Decide(ctx, req)
	if d == nil {
		return &Decision{Action: Deny, Rule: "gate", Reason: "the request could not be judged",
			Errors: []string{"an interceptor returned no decision"}, RuleSetVersion: rs.Version(), Time: g.now().UTC()}
	}
	if _, err := ParseAction(string(d.Action)); err != nil {
		return &Decision{Action: Deny, Rule: "gate", Reason: "the request could not be judged",
			Errors: []string{"an interceptor returned " + err.Error()}, RuleSetVersion: rs.Version(), Time: g.now().UTC()}
	}
	if d.Time.IsZero() {
		d.Time = g.now().UTC()
	}
	if d.RuleSetVersion == "" {
		d.RuleSetVersion = rs.Version()
	}
	return d
}
