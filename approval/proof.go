package approval

import (
	"errors"
	"fmt"

	"github.com/airlock-sdk/airlock/gate"
)

// ErrUnproven means a review is marked approved but its votes, checked
// again against the review's own policy, do not approve it: the store was
// changed behind the approver's back, and the approval counts for nothing.
var ErrUnproven = errors.New("approval: the votes kept with the review do not approve it")

// CheckApproved reports whether p, a review marked approved, is proven by
// its votes: replayed in order through the same checks a live vote passes
// (CheckReviewer, the reason rules, one vote per reviewer) on the review's
// own request and policy, they approve it. Stores that keep reviews outside
// the process (approval/pgapproval) call it before letting an approval be
// used, so that a row edited in place approves nothing.
func CheckApproved(p Pending) error {
	if p.State != gate.ReviewApproved {
		return fmt.Errorf("%w: %s is %s", ErrUnproven, p.ID, p.State)
	}
	replay := Pending{ID: p.ID, Request: p.Request, State: gate.ReviewPending}
	for i, v := range p.Votes {
		if replay.State != gate.ReviewPending {
			return fmt.Errorf("%w: %s has votes after the one that decided it", ErrUnproven, p.ID)
		}
		if err := replay.Vote(v.Reviewer, v.Approve, v.Reason, v.Grant, v.Time); err != nil {
			return fmt.Errorf("%w: %s: vote %d: %w", ErrUnproven, p.ID, i+1, err)
		}
	}
	if replay.State != gate.ReviewApproved || replay.BreakGlass != p.BreakGlass {
		return fmt.Errorf("%w: %s", ErrUnproven, p.ID)
	}
	return nil
}
