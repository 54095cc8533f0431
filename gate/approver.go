package gate

import (
	"context"
	"time"
)

// DefaultReviewTTL is how long a review waits for reviewers when the rule
// does not say.
const DefaultReviewTTL = 15 * time.Minute

// ReviewPolicy says who must agree before a held request goes ahead. Rules
// with action review carry one in the rule file under `review:`.
type ReviewPolicy struct {
	// Approvals needed to approve (default 1).
	Approvals int `json:"approvals,omitempty" yaml:"approvals"`
	// Denials that reject (default 1).
	Denials int `json:"denials,omitempty" yaml:"denials"`
	// ReviewerGroups may review; empty means any human or service identity.
	ReviewerGroups []string `json:"reviewer_groups,omitempty" yaml:"reviewers"`
	// BreakGlassGroups: a single approval from a member suffices, and is
	// recorded as break-glass.
	BreakGlassGroups []string `json:"break_glass_groups,omitempty" yaml:"break_glass"`
	// RequireReason refuses reviews that give no reason.
	RequireReason bool `json:"require_reason,omitempty" yaml:"require_reason"`
	// TTL is how long the review stays open (default DefaultReviewTTL).
	TTL time.Duration `json:"ttl,omitempty" yaml:"ttl"`
	// RequireDisplayable refuses, instead of holding, a request whose payload
	// cannot be shown to reviewers in full (binary, or over the display
	// bound): nobody can approve what nobody can read.
	RequireDisplayable bool `json:"require_displayable,omitempty" yaml:"require_displayable"`
	// RequireRequesterReason refuses a request that carries no reason of
	// its requester (see Request.Reason) instead of holding it.
	RequireRequesterReason bool `json:"require_requester_reason,omitempty" yaml:"require_requester_reason"`
	// MaxGrant is the longest grant a reviewer may give when approving (see
	// Grant); zero forbids grants for this rule.
	MaxGrant time.Duration `json:"max_grant,omitempty" yaml:"max_grant"`
	// RuleParts, when more than one review rule holds a request, are the
	// policies of each, as written: a reviewer must be allowed by every
	// one of them, and a vote is break-glass only when every one of them
	// makes it so (see AllowsReviewer and BreakGlass). The fields above
	// are then the strictest merge of the counts. Records keep the merged
	// policy only; a review carries the parts in ReviewRequest.PolicyParts.
	RuleParts []ReviewPolicy `json:"-" yaml:"-"`
}

// WithDefaults returns p with zero fields set to their defaults.
func (p ReviewPolicy) WithDefaults() ReviewPolicy {
	if p.Approvals <= 0 {
		p.Approvals = 1
	}
	if p.Denials <= 0 {
		p.Denials = 1
	}
	if p.TTL <= 0 {
		p.TTL = DefaultReviewTTL
	}
	return p
}

// ReviewRequest is a held request as an approver sees it.
type ReviewRequest struct {
	// Digest binds the review to identity, target, exact command, payload
	// and attributes (HTTP headers, the statements SQL runs, tool
	// arguments) and rule-set version: an approval is valid only for the
	// request that produced it.
	Digest    string   `json:"digest"`
	SessionID string   `json:"session_id"`
	Requester Identity `json:"requester"`
	Protocol  string   `json:"protocol"`
	Target    string   `json:"target,omitempty"`
	// Command is the request's command, masked for display.
	Command string       `json:"command"`
	Rules   []string     `json:"rules,omitempty"`
	Reason  string       `json:"reason,omitempty"`
	Policy  ReviewPolicy `json:"policy"`
	// RuleSetVersion that asked for the review.
	RuleSetVersion string    `json:"rule_set_version"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"expires_at"`
	// Details is the full payload of the request as reviewers must see it,
	// masked; parts that cannot be shown are marked.
	Details *ReviewDetails `json:"details,omitempty"`
	// RequesterReason is the requester's justification (masked).
	RequesterReason string `json:"requester_reason,omitempty"`
	// ReviewRules are the rules whose action review matched: the rules a
	// grant given on this review covers.
	ReviewRules []string `json:"review_rules,omitempty"`
	// ExactKey and ShapeKey identify the request, and its shape, for grants
	// (see GrantKeys); Shape is the shape as shown to reviewers (masked).
	ExactKey string `json:"exact_key,omitempty"`
	ShapeKey string `json:"shape_key,omitempty"`
	Shape    string `json:"shape,omitempty"`
	// PolicyParts are Policy.RuleParts, which Policy's JSON form leaves
	// out: the policy of each review rule when several hold the request.
	// Use FullPolicy to judge votes.
	PolicyParts []ReviewPolicy `json:"policy_parts,omitempty"`
}

// FullPolicy returns Policy with its RuleParts, from PolicyParts when the
// review was read back from JSON.
func (r ReviewRequest) FullPolicy() ReviewPolicy {
	p := r.Policy
	if len(p.RuleParts) == 0 && len(r.PolicyParts) > 0 {
		p.RuleParts = r.PolicyParts
	}
	return p
}

// ReviewState is where a review stands.
type ReviewState string

// The states of a review.
const (
	ReviewNone      ReviewState = ""          // no review known
	ReviewPending   ReviewState = "pending"   // waiting for reviewers
	ReviewApproved  ReviewState = "approved"  // approved, not yet used
	ReviewDenied    ReviewState = "denied"    // rejected by reviewers
	ReviewExpired   ReviewState = "expired"   // TTL passed
	ReviewWithdrawn ReviewState = "withdrawn" // the requester gave up
	ReviewConsumed  ReviewState = "consumed"  // approved and used once
)

// Vote is one reviewer's say on a review.
type Vote struct {
	Reviewer Identity  `json:"reviewer"`
	Approve  bool      `json:"approve"`
	Reason   string    `json:"reason,omitempty"`
	Time     time.Time `json:"time"`
	// BreakGlass is true when the vote decided alone as break-glass.
	BreakGlass bool `json:"break_glass,omitempty"`
	// Grant, on an approving vote, asks for a grant besides the approval.
	Grant *GrantSpec `json:"grant,omitempty"`
}

// Verdict is the state of a review as an approver reports it.
type Verdict struct {
	ID     string      `json:"id"`
	State  ReviewState `json:"state"`
	Votes  []Vote      `json:"votes,omitempty"`
	Reason string      `json:"reason,omitempty"`
	// BreakGlass is true when a break-glass vote decided.
	BreakGlass bool `json:"break_glass,omitempty"`
	// Grant is the grant the approval gave, if any.
	Grant *Grant `json:"grant,omitempty"`
}

// Approver holds requests for human review. Implementations live in the
// approval package; the gate drives them in one of two modes:
//
//   - hold: Submit, then Await until a verdict (Withdraw when the client
//     gives up);
//   - refuse-then-retry: Redeem the request's digest; if nothing is approved
//     yet, Submit and refuse with the review's id, and the identical request
//     later succeeds exactly once.
//
// Every method must be safe for concurrent use.
type Approver interface {
	// Submit files a review and returns its id. If a pending review with
	// the same digest exists, Submit returns its id instead of a new one.
	Submit(ctx context.Context, r ReviewRequest) (id string, err error)
	// Await blocks until the review is decided or expires, or ctx ends
	// (then it returns ctx.Err()). An approval it returns is consumed.
	Await(ctx context.Context, id string) (Verdict, error)
	// Withdraw abandons a pending review.
	Withdraw(ctx context.Context, id string) error
	// Redeem returns the newest review for digest. An approved one is
	// consumed by this call and returned as ReviewApproved; a denied one is
	// returned once and then forgotten. No review gives State ReviewNone.
	Redeem(ctx context.Context, digest string) (Verdict, error)
}
