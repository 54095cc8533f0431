package coerce

import (
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// Guards reports whether d, the decision on a reading, guards more than
// base, the decision on the request as sent (gate.Decision.GuardsMoreThan).
// A reading of another type that a rule cannot evaluate ("10" under
// amount > 1000) is no reading that rule guards: when some rules failed
// to evaluate it, they are left out, and d guards more when a rule that
// matched the reading is stricter than base's action, or a mask of d is
// not base's (errors add no mask). An error not of a rule (rs.Decide also
// reports masks it cannot build) counts as guarded: fail closed.
func Guards(rs *gate.RuleSet, d, base *gate.Decision) bool {
	if len(d.Errors) == 0 {
		_, ok := d.GuardsMoreThan(base)
		return ok
	}
	return guardsDespiteErrors(rs, d, base)
}

// guardsDespiteErrors reports whether d, the decision on a reading during
// which some rules failed to evaluate, guards more than base once those
// rules are left out: a rule that matched the reading is stricter than
// base's action, or a mask of d is not base's (errors add no mask). An
// error not of a rule (rs.Decide also reports masks it cannot build)
// counts as guarded: fail closed.
func guardsDespiteErrors(rs *gate.RuleSet, d, base *gate.Decision) bool {
	erred := make(map[string]bool, len(d.Errors))
	for _, e := range d.Errors {
		rest, ok := strings.CutPrefix(e, "rule ")
		if !ok {
			return true
		}
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return true
		}
		name, _ := strconv.Unquote(q)
		erred[name] = true
	}
	for _, spec := range rs.Specs() {
		if erred[spec.Name] || spec.Name == "default" || !slices.Contains(d.Rules, spec.Name) {
			continue
		}
		if gate.Action(spec.Action).StricterThan(base.Action) {
			return true
		}
	}
	for _, m := range d.Mask {
		if !slices.Contains(base.Mask, m) {
			return true
		}
	}
	return false
}
