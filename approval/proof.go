package approval

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// ErrUnproven means a review is marked approved but its votes, checked
// again against the review's own policy, do not approve it: the store was
// changed behind the approver's back, and the approval counts for nothing.
var ErrUnproven = errors.New("approval: the votes kept with the review do not approve it")

// CheckApproved reports whether p, a review marked approved, is proven by
// its votes: replayed in order through the same checks a live vote passes
// (CheckReviewer, the reason rules, one vote per reviewer) on the review's
// own request and policy, they approve it; and the review's ExpiresAt, as
// the gate filed it, lies after now. Stores that keep reviews outside
// the process (approval/pgapproval) call it before letting an approval be
// used, so that a row edited in place approves nothing.
func CheckApproved(p Pending, now time.Time) error {
	if p.State != gate.ReviewApproved {
		return fmt.Errorf("%w: %s is %s", ErrUnproven, p.ID, p.State)
	}
	if !now.Before(p.Request.ExpiresAt) {
		return fmt.Errorf("%w: %s", ErrExpired, p.ID)
	}
	_, err := replayVotes(p)
	return err
}

// CheckGrant reports whether grant g was given by review p: p's votes,
// replayed as CheckApproved does, approve it and give a grant that is g in
// everything that bounds it (identity, protocol, target, rules, scope,
// key, uses, expiry), and p keeps g as the grant it gave. Stores that keep
// grants outside the process check every grant with it before the gate
// may use it, so that a grant written or widened in place allows nothing.
func CheckGrant(p Pending, g gate.Grant) error {
	replay, err := replayVotes(p)
	if err != nil {
		return err
	}
	if g.ReviewID != p.ID || p.Grant == nil || p.Grant.ID != g.ID || replay.Grant == nil {
		return fmt.Errorf("%w: grant %s is not the grant review %s gave", ErrUnproven, g.ID, p.ID)
	}
	for _, want := range []*gate.Grant{p.Grant, replay.Grant} {
		if !sameBounds(*want, g) {
			return fmt.Errorf("%w: grant %s is not the grant review %s gave", ErrUnproven, g.ID, p.ID)
		}
	}
	return nil
}

// sameBounds reports whether a and b allow the same requests for as long
// and as often.
func sameBounds(a, b gate.Grant) bool {
	return a.Subject == b.Subject && a.Kind == b.Kind && a.Protocol == b.Protocol && a.Target == b.Target &&
		slices.Equal(a.Rules, b.Rules) && a.Scope == b.Scope && a.Key == b.Key && a.MaxUses == b.MaxUses &&
		a.ExpiresAt.Equal(b.ExpiresAt) && a.CreatedAt.Equal(b.CreatedAt) && a.RuleSetVersion == b.RuleSetVersion
}

// replayVotes casts p's votes again, in order, on p's request and policy,
// and returns the review they make; an error when they do not approve it.
func replayVotes(p Pending) (Pending, error) {
	replay := Pending{ID: p.ID, Request: p.Request, State: gate.ReviewPending}
	for i, v := range p.Votes {
		if replay.State != gate.ReviewPending {
			return replay, fmt.Errorf("%w: %s has votes after the one that decided it", ErrUnproven, p.ID)
		}
		if err := replay.Vote(v.Reviewer, v.Approve, v.Reason, v.Grant, v.Time); err != nil {
			return replay, fmt.Errorf("%w: %s: vote %d: %w", ErrUnproven, p.ID, i+1, err)
		}
	}
	if replay.State != gate.ReviewApproved || replay.BreakGlass != p.BreakGlass {
		return replay, fmt.Errorf("%w: %s", ErrUnproven, p.ID)
	}
	return replay, nil
}
