package gate

import (
	"fmt"
	"slices"
	"time"

	"github.com/airlock-sdk/airlock/mask"
)

// Action is what a rule, or the gate, does with a request.
type Action string

// The actions, from least to most strict.
const (
	Allow  Action = "allow"
	Review Action = "review"
	Deny   Action = "deny"
)

// strictness orders actions: deny > review > allow.
func (a Action) strictness() int {
	switch a {
	case Allow:
		return 1
	case Review:
		return 2
	case Deny:
		return 3
	}
	return 0
}

// StricterThan reports whether a is stricter than b (deny > review >
// allow).
func (a Action) StricterThan(b Action) bool { return a.strictness() > b.strictness() }

// GuardsMoreThan reports whether d, a decision on another reading of the
// request base decided (a path or a resource name spelled as a server may
// also read it), guards more than base: a rule (not the default) chose a
// stricter action, or d masks something base does not. mask names that
// mask; it is empty when the action is what is stricter.
func (d *Decision) GuardsMoreThan(base *Decision) (mask string, ok bool) {
	if d.Rule != "default" && d.Action.StricterThan(base.Action) {
		return "", true
	}
	for _, m := range d.Mask {
		if !slices.Contains(base.Mask, m) {
			return m, true
		}
	}
	return "", false
}

// Stricter returns the stricter of a and b.
func (a Action) Stricter(b Action) Action {
	if b.strictness() > a.strictness() {
		return b
	}
	return a
}

// ParseAction accepts "allow", "deny" or "review".
func ParseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case Allow, Review, Deny:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q (want allow, deny or review)", s)
}

// Decision is the gate's verdict on one request.
type Decision struct {
	// ID is unique per decision; output records point back to it.
	ID string `json:"id"`
	// Action is the outcome. After a review it is Allow or Deny.
	Action Action `json:"action"`
	// Rule is the rule that produced Action ("default" when none matched).
	Rule string `json:"rule"`
	// Reason is safe to show the client: the rule's reason, or why the gate refused.
	Reason string `json:"reason,omitempty"`
	// Rules names every enforced rule that matched.
	Rules []string `json:"rules,omitempty"`
	// Mask is the union of the mask directives of the matching rules.
	Mask []string `json:"mask,omitempty"`
	// Labels are the labels the matching rules give the run when the
	// request is allowed.
	Labels []string `json:"labels,omitempty"`
	// Masker masks results as Mask demands; nil when nothing is masked.
	// Protocol packages pass every result through it before the client
	// sees it.
	Masker *mask.Policy `json:"-"`
	// RuleSetVersion is the content hash of the rule set that decided.
	RuleSetVersion string `json:"rule_set_version"`
	// Audit lists the would-be outcomes of matching rules in audit mode.
	Audit []AuditOutcome `json:"audit,omitempty"`
	// Review is the review policy when Action was Review before the review.
	Review *ReviewPolicy `json:"review,omitempty"`
	// Reviewed is true when the action is the outcome of a review.
	Reviewed bool `json:"reviewed,omitempty"`
	// ApprovalID names the review, when there was one.
	ApprovalID string `json:"approval_id,omitempty"`
	// ReviewRules names the matching rules whose action is review.
	ReviewRules []string `json:"review_rules,omitempty"`
	// Grant names the grant that allowed a request the rules would have
	// held.
	Grant string `json:"grant,omitempty"`
	// Errors are internal failures that forced a deny (rule evaluation,
	// approver, recorder). They are recorded but never shown to the client.
	Errors []string `json:"errors,omitempty"`
	// FailOpen is true when the gate allowed although it could not record,
	// because the integrator chose fail-open.
	FailOpen bool `json:"fail_open,omitempty"`
	// Time is when the decision was made.
	Time time.Time `json:"time"`
	// Cached is true when the outcomes of the rules that read only the
	// request and its identity came from the rule set's decision cache
	// (rules reading the time or counters are always evaluated afresh).
	Cached bool `json:"cached,omitempty"`
	// Elapsed is how long rule evaluation took.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// AuditOutcome is what a rule in audit mode would have done.
type AuditOutcome struct {
	Rule   string   `json:"rule"`
	Action Action   `json:"action,omitempty"`
	Mask   []string `json:"mask,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// Allowed reports whether the request may be forwarded.
func (d *Decision) Allowed() bool { return d != nil && d.Action == Allow }

// clone returns a copy of d that shares nothing mutable with it, so a
// recorded decision does not change when the gate settles a review. Its
// lists of names share one allocation, each capped so that appending to
// one never writes into the next.
func (d *Decision) clone() *Decision {
	n := len(d.Rules) + len(d.Mask) + len(d.Labels) + len(d.ReviewRules) + len(d.Errors)
	var c *Decision
	var names []string
	switch {
	case n <= len(decisionWithNames{}.names):
		x := new(decisionWithNames)
		c, names = &x.d, x.names[:0:n]
	case n <= len(decisionWithMoreNames{}.names):
		x := new(decisionWithMoreNames)
		c, names = &x.d, x.names[:0:n]
	default:
		c, names = new(Decision), make([]string, 0, n)
	}
	d.copyTo(c, names)
	return c
}

// decisionEvent is what a decision event points at, in one allocation:
// the identity and a copy of the decision with its names.
type decisionEvent struct {
	id Identity
	x  decisionWithNames
}

// cloneForEvent is clone, with a copy of id, for an event that points at
// both: one allocation for the usual decision instead of two.
func (d *Decision) cloneForEvent(id Identity) (*Decision, *Identity) {
	n := len(d.Rules) + len(d.Mask) + len(d.Labels) + len(d.ReviewRules) + len(d.Errors)
	if n > len(decisionWithNames{}.names) {
		// A copy of its own: &id here would move the parameter to the
		// heap on every call, the usual one-allocation way included.
		c := new(Identity)
		*c = id
		return d.clone(), c
	}
	e := &decisionEvent{id: id}
	d.copyTo(&e.x.d, e.x.names[:0:n])
	return &e.x.d, &e.id
}

// copyTo makes c a copy of d, its lists of names in the free capacity of
// names (room for all of them).
func (d *Decision) copyTo(c *Decision, names []string) {
	*c = *d
	c.Rules, names = cloneInto(names, d.Rules)
	c.Mask, names = cloneInto(names, d.Mask)
	c.Labels, names = cloneInto(names, d.Labels)
	c.ReviewRules, names = cloneInto(names, d.ReviewRules)
	c.Errors, _ = cloneInto(names, d.Errors)
	c.Audit = append([]AuditOutcome(nil), d.Audit...)
	if d.Review != nil {
		r := *d.Review
		c.Review = &r
	}
}

// decisionWithNames is a decision and its lists of names in one allocation,
// which holds most decisions. Eight names keep it within 512 bytes, the
// largest objects the allocator serves without a header: a copy of a
// decision naming one rule costs less than with room for sixteen.
type decisionWithNames struct {
	d     Decision
	names [8]string
}

// decisionWithMoreNames is decisionWithNames for up to sixteen names (a
// rule set where many rules match each request).
type decisionWithMoreNames struct {
	d     Decision
	names [16]string
}

// cloneInto copies src to the free capacity of buf and returns the copy (nil
// when src is empty) and what is left of buf.
func cloneInto(buf, src []string) (clone, rest []string) {
	if len(src) == 0 {
		return nil, buf
	}
	n := len(buf)
	buf = append(buf, src...)
	return buf[n:len(buf):len(buf)], buf[len(buf):]
}

// reuse returns a copy of a cached decision as decided at start.
func (d *Decision) reuse(start time.Time) *Decision {
	c := d.clone()
	c.Time, c.Cached = start.UTC(), true
	c.Elapsed = time.Since(start)
	return c
}
