package approval

import (
	"context"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// Pending is a review as reviewers see it: the held request, the votes cast
// so far and, once decided, the outcome. Pending returns the open ones,
// History the decided ones.
type Pending struct {
	// ID is the review's id, as returned by Submit.
	ID string `json:"id"`
	// Request is the held request. Its Command is not masked; a console or
	// webhook masks it before showing it.
	Request gate.ReviewRequest `json:"request"`
	// State is where the review stands.
	State gate.ReviewState `json:"state"`
	// Votes cast so far, oldest first.
	Votes []gate.Vote `json:"votes,omitempty"`
	// Reason of the vote that decided the review (or why it ended).
	Reason string `json:"reason,omitempty"`
	// BreakGlass is true when a break-glass vote decided.
	BreakGlass bool `json:"break_glass,omitempty"`
	// DecidedAt is when the review left the pending state (zero while pending).
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// Grant is the grant the approval gave, if the approving reviewers
	// asked for one.
	Grant *gate.Grant `json:"grant,omitempty"`
	// Unproven, set by stores that seal their rows (approval/pgapproval),
	// says why the review could not be proven to be the store's own
	// writing: someone wrote or changed it behind the approver's back. Such
	// a review can be neither voted on nor used.
	Unproven string `json:"unproven,omitempty"`
}

// Verdict returns the review as the gate sees it.
func (p Pending) Verdict() gate.Verdict {
	return gate.Verdict{ID: p.ID, State: p.State, Votes: append([]gate.Vote(nil), p.Votes...), Reason: p.Reason, BreakGlass: p.BreakGlass, Grant: p.Grant}
}

// Approvals and Denials count the votes cast each way.
func (p Pending) Approvals() int { return countVotes(p.Votes, true) }

// Denials counts the votes against.
func (p Pending) Denials() int { return countVotes(p.Votes, false) }

func countVotes(vs []gate.Vote, approve bool) int {
	n := 0
	for _, v := range vs {
		if v.Approve == approve {
			n++
		}
	}
	return n
}

// Reviewable is what a reviewer front end (the Console, a chat bot, a script)
// needs from an approver: the open reviews and a way to vote on them.
// Memory, pgapproval.Approver and Webhook implement it.
type Reviewable interface {
	// Pending lists the open reviews, oldest first. An error (the store is
	// unreachable) is never an empty list: front ends show it as an error.
	Pending(ctx context.Context) ([]Pending, error)
	// Approve casts reviewer's approving vote and returns the review's
	// verdict afterwards (still pending when more approvals are needed).
	Approve(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error)
	// Deny casts reviewer's denying vote.
	Deny(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error)
}

// Historian is implemented by approvers that keep decided reviews; the
// Console shows them in its history view.
type Historian interface {
	// History lists decided reviews, newest first.
	History(ctx context.Context) ([]Pending, error)
}

// Watcher is implemented by approvers that signal changes; the Console uses
// it to push updates to browsers at once instead of polling.
type Watcher interface {
	// Changed returns a channel that is closed at the next change of any
	// review (filed, voted on, decided, ended).
	Changed() <-chan struct{}
}

// Granter is implemented by approvers that keep grants (just-in-time
// access, see gate.Grant): Memory and pgapproval.Approver, and a Webhook over either.
// The Console offers grants when its approver is one.
type Granter interface {
	gate.GrantStore
	// ApproveGrant casts reviewer's approving vote on review id and asks for
	// a grant besides. The grant is given when the review is approved and
	// every approving vote asked for one: the narrowest scope, shortest TTL
	// and fewest uses asked for, within the rule's max_grant.
	ApproveGrant(ctx context.Context, id string, reviewer gate.Identity, reason string, spec gate.GrantSpec) (gate.Verdict, error)
	// Grants lists the grants kept, active or not, newest first.
	Grants(ctx context.Context) ([]gate.Grant, error)
	// RevokeGrant ends grant id at once. Revoking an ended grant succeeds.
	RevokeGrant(ctx context.Context, id string, by gate.Identity) error
}
