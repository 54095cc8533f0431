package approval

import (
	"fmt"
	"strconv"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// ConsoleReview is a review as the Console shows it, and as its JSON API
// returns it: the command is masked and the reviewer's own standing is
// worked out.
type ConsoleReview struct {
	ID       string           `json:"id"`
	State    gate.ReviewState `json:"state"`
	Protocol string           `json:"protocol"`
	Target   string           `json:"target,omitempty"`
	Command  string           `json:"command"` // masked
	// Details is the full payload, masked; Undisplayable is true when a
	// part of it cannot be shown (marked in Details).
	Details       *gate.ReviewDetails `json:"details,omitempty"`
	Undisplayable bool                `json:"undisplayable,omitempty"`
	// RequesterReason is the requester's justification (masked).
	RequesterReason string `json:"requester_reason,omitempty"`
	// GrantMinutes is the longest grant reviewers may give (0: none);
	// Shape is the shape a grant of scope shape covers (masked).
	GrantMinutes int    `json:"grant_minutes,omitempty"`
	Shape        string `json:"shape,omitempty"`
	// Grant is the grant the approval gave, if any.
	Grant     *ConsoleGrant `json:"grant,omitempty"`
	Rules     []string      `json:"rules,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	Requester gate.Identity `json:"requester"` // without claims
	CreatedAt time.Time     `json:"created_at"`
	ExpiresAt time.Time     `json:"expires_at"`
	DecidedAt time.Time     `json:"decided_at,omitzero"`
	// Approvals and Denials cast so far, and how many the policy needs.
	Approvals       int  `json:"approvals"`
	ApprovalsNeeded int  `json:"approvals_needed"`
	Denials         int  `json:"denials"`
	DenialsNeeded   int  `json:"denials_needed"`
	RequireReason   bool `json:"require_reason,omitempty"`
	// Votes cast so far.
	Votes []gate.Vote `json:"votes,omitempty"`
	// Outcome is the reason of the deciding vote (decided reviews).
	Outcome    string `json:"outcome,omitempty"`
	BreakGlass bool   `json:"break_glass,omitempty"`
	// CanReview tells whether the viewer may vote; WhyNot says why not.
	CanReview bool   `json:"can_review"`
	WhyNot    string `json:"why_not,omitempty"`
	// Unproven says why the store could not prove the review its own
	// writing (see Pending.Unproven); nobody can vote on it.
	Unproven string `json:"unproven,omitempty"`
}

func (c *Console) views(ps []Pending, who gate.Identity, now time.Time) []ConsoleReview {
	out := make([]ConsoleReview, 0, len(ps))
	for _, p := range ps {
		out = append(out, c.view(p, who, now))
	}
	return out
}

func (c *Console) view(p Pending, who gate.Identity, now time.Time) ConsoleReview {
	r := p.Request
	pol := r.Policy.WithDefaults()
	v := ConsoleReview{
		ID: p.ID, State: p.State, Protocol: r.Protocol, Target: r.Target, Command: c.mask(r.Command), Rules: r.Rules,
		Details: maskDetails(r.Details, c.MaskCommand), RequesterReason: c.mask(r.RequesterReason), Shape: c.mask(r.Shape),
		Reason: r.Reason, Requester: publicIdentity(r.Requester), CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, DecidedAt: p.DecidedAt,
		Approvals: p.Approvals(), ApprovalsNeeded: pol.Approvals, Denials: p.Denials(), DenialsNeeded: pol.Denials,
		RequireReason: pol.RequireReason, Votes: publicVotes(p.Votes), Outcome: p.Reason, BreakGlass: p.BreakGlass,
		Unproven: p.Unproven,
	}
	v.Undisplayable = v.Details != nil && v.Details.Undisplayable
	if _, ok := c.Approver.(Granter); ok && pol.MaxGrant > 0 {
		v.GrantMinutes = int(pol.MaxGrant / time.Minute)
	}
	if p.Grant != nil {
		g := c.grantView(*p.Grant, now)
		v.Grant = &g
	}
	if p.State == gate.ReviewPending {
		err := CheckReviewer(r, who)
		if p.Unproven != "" {
			err = fmt.Errorf("%w: %s", ErrUnproven, p.Unproven)
		}
		for _, vote := range p.Votes {
			if err == nil && vote.Reviewer.Subject == who.Subject {
				err = ErrAlreadyVoted
			}
		}
		v.CanReview = err == nil
		if err != nil {
			v.WhyNot = err.Error()
		}
	}
	return v
}

func (c *Console) mask(s string) string {
	if c.MaskCommand != nil && s != "" {
		return c.MaskCommand(s)
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

// Age is how long ago the review was filed, for display.
func (v ConsoleReview) Age() string { return humanDuration(time.Since(v.CreatedAt)) + " ago" }

// Left is the time left before the review expires, for display.
func (v ConsoleReview) Left() string {
	d := time.Until(v.ExpiresAt)
	if d <= 0 {
		return "expired"
	}
	return humanDuration(d) + " left"
}

// Who names the requester for display.
func (v ConsoleReview) Who() string { return displayName(v.Requester) }

func displayName(id gate.Identity) string {
	if id.Name != "" && id.Name != id.Subject {
		return fmt.Sprintf("%s (%s)", id.Name, id.Subject)
	}
	return id.Subject
}

func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}
