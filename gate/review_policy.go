package gate

import "slices"

// Parts returns the policies a vote must satisfy, each of them: RuleParts
// when several review rules hold the request, or p alone.
func (p ReviewPolicy) Parts() []ReviewPolicy {
	if len(p.RuleParts) > 0 {
		return p.RuleParts
	}
	p.RuleParts = nil
	return []ReviewPolicy{p}
}

// AllowsReviewer reports whether id may review under every part of p: a
// part that names reviewer groups admits only their members and those of
// its break-glass groups. It does not judge the identity's kind or
// whether it is the requester's (see approval.CheckReviewer).
func (p ReviewPolicy) AllowsReviewer(id Identity) bool {
	for _, part := range p.Parts() {
		if len(part.ReviewerGroups) > 0 && !memberOfAny(id, part.ReviewerGroups) && !memberOfAny(id, part.BreakGlassGroups) {
			return false
		}
	}
	return true
}

// BreakGlass reports whether an approving vote of id decides alone: id is
// in a break-glass group of every part of p. A rule without break-glass
// groups holding the same request leaves no one to break the glass.
func (p ReviewPolicy) BreakGlass(id Identity) bool {
	for _, part := range p.Parts() {
		if !memberOfAny(id, part.BreakGlassGroups) {
			return false
		}
	}
	return true
}

// withRule returns the parts of p followed by the policy of one more
// review rule holding the same request.
func (p ReviewPolicy) withRule(next ReviewPolicy) []ReviewPolicy {
	return append(slices.Clone(p.Parts()), next.Parts()...)
}

// commonGroups returns the groups named in both a and b.
func commonGroups(a, b []string) []string {
	var out []string
	for _, g := range a {
		if slices.Contains(b, g) && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

func memberOfAny(id Identity, groups []string) bool {
	for _, g := range groups {
		if g != "" && id.InGroup(g) {
			return true
		}
	}
	return false
}
