package httpgate

import (
	"slices"
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

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
