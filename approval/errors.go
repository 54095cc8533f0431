package approval

import "errors"

// Sentinel errors returned by the approvers; branch on them with errors.Is.
var (
	// ErrUnknownReview: no review has that id (never filed, or long gone).
	ErrUnknownReview = errors.New("approval: unknown review")
	// ErrNotPending: the review is already decided, expired, withdrawn or
	// used, so it takes no more votes.
	ErrNotPending = errors.New("approval: review is not pending")
	// ErrExpired: the review's time ran out. It wraps ErrNotPending.
	ErrExpired = wrapNotPending("approval: review expired")
	// ErrConsumed: the approval was already used once. It wraps ErrNotPending.
	ErrConsumed = wrapNotPending("approval: approval already used")
	// ErrSelfReview: the reviewer is the requester.
	ErrSelfReview = errors.New("approval: requesters cannot review their own request")
	// ErrNotReviewer: the identity may not review this request (an agent, an
	// identity without subject or kind, or outside the reviewer groups).
	ErrNotReviewer = errors.New("approval: identity may not review this request")
	// ErrReasonRequired: the policy requires a reason and none was given.
	ErrReasonRequired = errors.New("approval: a reason is required")
	// ErrReasonTooLong: the reason exceeds MaxReasonLen bytes.
	ErrReasonTooLong = errors.New("approval: reason too long")
	// ErrBadReason: the reason holds control characters or invalid UTF-8
	// (it ends up in records, logs and the agent's error message).
	ErrBadReason = errors.New("approval: reason must be printable UTF-8 text")
	// ErrAlreadyVoted: the reviewer already voted on this review.
	ErrAlreadyVoted = errors.New("approval: reviewer already voted")
	// ErrInvalidRequest: Submit got a request it cannot bind (no digest),
	// or a vote was malformed.
	ErrInvalidRequest = errors.New("approval: invalid review request")
	// ErrUnknownGrant: no grant has that id.
	ErrUnknownGrant = errors.New("approval: unknown grant")
	// ErrNoGrants: the approver keeps no grants (it is not a Granter).
	ErrNoGrants = errors.New("approval: this approver gives no grants")
	// ErrUnavailable: the review store could not be read or written (a
	// database outage). Front ends show it as an error, never as "nothing
	// pending".
	ErrUnavailable = errors.New("approval: the review store is unavailable")
)

// MaxReasonLen bounds a reviewer's reason, in bytes.
const MaxReasonLen = 1000

type notPendingError struct{ msg string }

func (e *notPendingError) Error() string        { return e.msg }
func (e *notPendingError) Is(target error) bool { return target == ErrNotPending }

func wrapNotPending(msg string) error { return &notPendingError{msg: msg} }
