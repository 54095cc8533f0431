package approval

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
)

// CheckReviewer reports whether reviewer may vote on r under r.Policy: never
// the requester (same Subject), never an agent or an identity without a kind
// or subject, and only members of the reviewer or break-glass groups of
// every rule holding the request that names reviewer groups. Approvers call it for every vote; it is
// exported so front ends can hide buttons a reviewer cannot use.
func CheckReviewer(r gate.ReviewRequest, reviewer gate.Identity) error {
	if strings.TrimSpace(reviewer.Subject) == "" {
		return fmt.Errorf("%w: reviewer has no subject", ErrNotReviewer)
	}
	switch reviewer.EffectiveKind() {
	case gate.KindHuman, gate.KindService:
	default:
		return fmt.Errorf("%w: identity of kind %q cannot review", ErrNotReviewer, reviewer.EffectiveKind())
	}
	if reviewer.Subject == r.Requester.Subject {
		return ErrSelfReview
	}
	if pol := r.FullPolicy(); !pol.AllowsReviewer(reviewer) {
		return fmt.Errorf("%w: %q is not in the reviewer groups of every rule holding the request (%v)", ErrNotReviewer, reviewer.Subject, reviewerGroups(pol))
	}
	return nil
}

// checkReason validates a vote's reason under the policy.
func checkReason(p gate.ReviewPolicy, reason string) error {
	if len(reason) > MaxReasonLen {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrReasonTooLong, len(reason), MaxReasonLen)
	}
	if !utf8.ValidString(reason) || strings.ContainsFunc(reason, unicode.IsControl) {
		return ErrBadReason
	}
	if p.RequireReason && strings.TrimSpace(reason) == "" {
		return ErrReasonRequired
	}
	return nil
}

// Vote applies reviewer's vote to p, a pending review, the way every
// approver does: it checks the reviewer (CheckReviewer) and the reason
// under the review's policy, appends the vote, settles the review when the
// policy is met and, for an approval every approving vote asked a grant
// of, sets p.Grant. It is for review stores outside this package (see
// approval/pgapproval); the caller persists p.
func (p *Pending) Vote(reviewer gate.Identity, approve bool, reason string, grant *gate.GrantSpec, now time.Time) error {
	if err := CheckReviewer(p.Request, reviewer); err != nil {
		return err
	}
	if err := checkReason(p.Request.Policy, reason); err != nil {
		return err
	}
	return p.vote(reviewer, approve, reason, grant, now)
}

// vote applies one reviewer's vote to p (which must be pending and checked)
// and settles the review when the policy is met.
func (p *Pending) vote(reviewer gate.Identity, approve bool, reason string, grant *gate.GrantSpec, now time.Time) error {
	for _, v := range p.Votes {
		if v.Reviewer.Subject == reviewer.Subject {
			return fmt.Errorf("%w: %q", ErrAlreadyVoted, reviewer.Subject)
		}
	}
	pol := p.Request.FullPolicy().WithDefaults()
	if grant != nil {
		if !approve {
			return fmt.Errorf("%w: only an approval can give a grant", ErrInvalidRequest)
		}
		if err := gate.CheckGrantSpec(pol, *grant); err != nil {
			return err
		}
		g := *grant
		grant = &g
	}
	v := gate.Vote{Reviewer: cloneIdentity(reviewer), Approve: approve, Reason: reason, Time: now.UTC(), Grant: grant}
	if approve && pol.BreakGlass(reviewer) {
		v.BreakGlass = true
	}
	p.Votes = append(p.Votes, v)
	switch {
	case v.BreakGlass:
		p.settle(gate.ReviewApproved, reason, now)
		p.BreakGlass = true
	case approve && p.Approvals() >= pol.Approvals:
		p.settle(gate.ReviewApproved, reason, now)
	case !approve && p.Denials() >= pol.Denials:
		p.settle(gate.ReviewDenied, reason, now)
	}
	if p.State == gate.ReviewApproved {
		p.Grant = p.newGrant(now)
	}
	return nil
}

// newGrant returns the grant an approved review gives: one only when every
// approving vote asked for a grant, bounded by all of them.
func (p *Pending) newGrant(now time.Time) *gate.Grant {
	var specs []gate.GrantSpec
	var by []gate.Identity
	for _, v := range p.Votes {
		if !v.Approve {
			continue
		}
		if v.Grant == nil {
			return nil
		}
		specs = append(specs, *v.Grant)
		by = append(by, publicIdentity(v.Reviewer))
	}
	r := p.Request
	r.Policy = r.Policy.WithDefaults()
	g, err := gate.NewGrant(r, specs, by, p.Reason, now)
	if err != nil {
		return nil // the approval stands; no grant is given
	}
	g.ReviewID = p.ID
	return g
}

func (p *Pending) settle(state gate.ReviewState, reason string, now time.Time) {
	p.State = state
	p.Reason = reason
	p.DecidedAt = now.UTC()
}

func cloneIdentity(id gate.Identity) gate.Identity {
	id.Groups = slices.Clone(id.Groups)
	if id.Claims != nil {
		c := make(map[string]any, len(id.Claims))
		for k, v := range id.Claims {
			c[k] = v
		}
		id.Claims = c
	}
	return id
}

func (p Pending) clone() Pending {
	p.Votes = slices.Clone(p.Votes)
	p.Request.Rules = slices.Clone(p.Request.Rules)
	p.Request.Requester = cloneIdentity(p.Request.Requester)
	if p.Grant != nil {
		g := cloneGrant(*p.Grant)
		p.Grant = &g
	}
	return p
}

// publicIdentity is an identity as shown outside the process: claims may
// carry tokens or personal data, so they are left out.
func publicIdentity(id gate.Identity) gate.Identity {
	id = cloneIdentity(id)
	id.Claims = nil
	return id
}

func publicVotes(vs []gate.Vote) []gate.Vote {
	out := slices.Clone(vs)
	for i := range out {
		out[i].Reviewer = publicIdentity(out[i].Reviewer)
	}
	return out
}

func cloneGrant(g gate.Grant) gate.Grant {
	g.Rules = slices.Clone(g.Rules)
	g.GrantedBy = slices.Clone(g.GrantedBy)
	if g.RevokedAt != nil {
		t := *g.RevokedAt
		g.RevokedAt = &t
	}
	return g
}

// reviewerGroups lists the reviewer groups of each part of p, for errors.
func reviewerGroups(p gate.ReviewPolicy) [][]string {
	var out [][]string
	for _, part := range p.Parts() {
		if len(part.ReviewerGroups) > 0 {
			out = append(out, part.ReviewerGroups)
		}
	}
	return out
}
