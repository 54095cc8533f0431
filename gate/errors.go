package gate

import (
	"errors"
	"fmt"
)

// Sentinel errors a caller branches on with errors.Is.
var (
	// ErrDenied: the request was refused (by a rule, a reviewer, or a
	// failure in the decision path).
	ErrDenied = errors.New("airlock: request denied")
	// ErrReviewPending: in refuse-then-retry mode, the request waits for a
	// review; retry the identical request after approval.
	ErrReviewPending = errors.New("airlock: request held for review")
)

// RefusedError is returned by Check for every request that must not be
// forwarded. Its message is safe to show the client (an agent's model): it
// names the rule and reason, never internal errors.
type RefusedError struct {
	// Decision is the full decision, for recording and logging.
	Decision *Decision
	// ApprovalID is set when a review is pending (refuse-then-retry mode).
	ApprovalID string
}

// Error returns the client-safe message.
func (e *RefusedError) Error() string {
	d := e.Decision
	if e.ApprovalID != "" {
		msg := fmt.Sprintf("airlock: held for review by rule %q (approval %s); retry the identical request once approved", d.Rule, e.ApprovalID)
		if d.Reason != "" {
			msg += ": " + d.Reason
		}
		return msg
	}
	msg := fmt.Sprintf("airlock: denied by rule %q", d.Rule)
	if d.Reason != "" {
		msg += ": " + d.Reason
	}
	return msg
}

// Is makes errors.Is(err, ErrDenied) and errors.Is(err, ErrReviewPending) work.
func (e *RefusedError) Is(target error) bool {
	if e.ApprovalID != "" {
		return target == ErrReviewPending
	}
	return target == ErrDenied
}

// Pending reports whether the refusal is a review still waiting.
func (e *RefusedError) Pending() bool { return e.ApprovalID != "" }
