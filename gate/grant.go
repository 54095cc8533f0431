package gate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// GrantScope says which requests a grant covers.
type GrantScope string

// The scopes of a grant, from the widest to the narrowest.
const (
	// GrantAny covers every request the granted rules would hold.
	GrantAny GrantScope = "any"
	// GrantShape covers requests of the same shape (see Shape): the same
	// statement with other literal values.
	GrantShape GrantScope = "shape"
	// GrantExact covers the identical request only (same command and
	// payload), any number of times within the grant's bounds.
	GrantExact GrantScope = "exact"
)

// narrowness orders scopes: exact > shape > any.
func (s GrantScope) narrowness() int {
	switch s {
	case GrantAny:
		return 1
	case GrantShape:
		return 2
	case GrantExact:
		return 3
	}
	return 0
}

// Narrower returns the narrower of s and o.
func (s GrantScope) Narrower(o GrantScope) GrantScope {
	if o.narrowness() > s.narrowness() {
		return o
	}
	return s
}

// Valid reports whether s is a known scope.
func (s GrantScope) Valid() bool { return s.narrowness() > 0 }

// GrantSpec is what a reviewer asks for when approving with a grant: for
// how long, for how many uses, and for which requests.
type GrantSpec struct {
	// TTL is how long the grant lasts; zero means the rule's max_grant.
	TTL time.Duration `json:"ttl,omitempty"`
	// Uses bounds how many requests the grant allows; zero means no bound
	// but the TTL.
	Uses int `json:"uses,omitempty"`
	// Scope is any, shape or exact (default exact).
	Scope GrantScope `json:"scope,omitempty"`
}

// Grant is just-in-time access: requests of one identity that the granted
// rules would hold for review are allowed instead, until the grant expires,
// is used up or is revoked, or the rule set changes. A deny rule still wins: grants apply only to
// decisions whose strictest action is review. Approvers that keep grants
// implement GrantStore.
type Grant struct {
	ID string `json:"id"`
	// ReviewID is the review whose approval gave the grant.
	ReviewID string `json:"review_id"`
	// Subject and Kind of the identity the grant is for.
	Subject string       `json:"subject"`
	Kind    IdentityKind `json:"kind,omitempty"`
	// Protocol and Target the grant is limited to.
	Protocol string `json:"protocol"`
	Target   string `json:"target,omitempty"`
	// Rules are the review rules the grant covers: a request is allowed
	// only when every review rule it matches is among them.
	Rules []string   `json:"rules"`
	Scope GrantScope `json:"scope"`
	// Key is the ExactKey or ShapeKey requests must have (scopes exact and
	// shape).
	Key string `json:"key,omitempty"`
	// Display is the command or shape covered, masked, for reviewers.
	Display string `json:"display,omitempty"`
	// MaxUses bounds the uses (0: only the TTL bounds the grant); Uses
	// counts them.
	MaxUses int `json:"max_uses,omitempty"`
	Uses    int `json:"uses"`
	// GrantedBy are the reviewers whose approvals gave the grant.
	GrantedBy []Identity `json:"granted_by,omitempty"`
	// Reason of the approval.
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// RevokedAt and RevokedBy are set once the grant is revoked.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
	// RuleSetVersion the grant was given under. Another rule set ends it:
	// a rule of the same name may hold other requests than the reviewer
	// granted.
	RuleSetVersion string `json:"rule_set_version,omitempty"`
	// Unproven, set by stores that seal their rows (approval/pgapproval)
	// when they list a grant they cannot prove their own writing, says
	// why. Such a grant allows nothing: ActiveGrants never returns it.
	Unproven string `json:"unproven,omitempty"`
}

// Active reports whether the grant may still be used at now.
func (g *Grant) Active(now time.Time) bool {
	return g.RevokedAt == nil && now.Before(g.ExpiresAt) && (g.MaxUses == 0 || g.Uses < g.MaxUses)
}

// UsesLeft is how many uses remain, or -1 when only the TTL bounds it.
func (g *Grant) UsesLeft() int {
	if g.MaxUses == 0 {
		return -1
	}
	return max(0, g.MaxUses-g.Uses)
}

// Covers reports whether the grant allows req, whose decision d the rules
// would hold, at now. It does not consume a use.
func (g *Grant) Covers(req *Request, d *Decision, now time.Time) bool {
	s := req.Session
	if s == nil || !g.Active(now) || g.Subject == "" || g.Subject != s.Identity.Subject ||
		g.Kind != s.Identity.EffectiveKind() || g.Protocol != req.Protocol || g.Target != s.Target {
		return false
	}
	if len(d.ReviewRules) == 0 || g.RuleSetVersion == "" || g.RuleSetVersion != d.RuleSetVersion {
		return false
	}
	for _, r := range d.ReviewRules {
		if !slices.Contains(g.Rules, r) {
			return false
		}
	}
	exact, shape := GrantKeys(req)
	switch g.Scope {
	case GrantAny:
		return true
	case GrantShape:
		return g.Key != "" && g.Key == shape
	case GrantExact:
		return g.Key != "" && g.Key == exact
	}
	return false
}

// GrantKeys returns the keys under which a grant of scope exact or shape
// finds req: hashes of the identity, protocol, target and the exact command,
// payload and attributes (see attributeBinding), or the request's Shape
// and what runs behind it (see shapeBinding).
func GrantKeys(req *Request) (exact, shape string) {
	s := req.Session
	var subject, target string
	if s != nil {
		subject, target = s.Identity.Subject, s.Target
	}
	exact = hashParts([]byte("exact"), []byte(subject), []byte(req.Protocol), []byte(target), []byte(req.Command), req.Payload, attributeBinding(req))
	shape = hashParts([]byte("shape"), []byte(subject), []byte(req.Protocol), []byte(target), []byte(Shape(req)), shapeBinding(req))
	return exact, shape
}

// GrantStore keeps grants; approvers that support grants implement it, and
// the gate consults it for every decision the rules would hold.
type GrantStore interface {
	// ActiveGrants lists the grants of subject that may still be used.
	ActiveGrants(ctx context.Context, subject string) ([]Grant, error)
	// UseGrant takes one use of grant id. It returns false, and no error,
	// when the grant can no longer be used (expired, used up, revoked);
	// across replicas exactly one caller gets the last use.
	UseGrant(ctx context.Context, id string) (bool, error)
}

// MaxGrantsSeen bounds how many grants rules see in session.grants.
const MaxGrantsSeen = 64

// grantLookup loads the active grants of one request's identity once, for
// the rules (session.grants) and the check path alike.
type grantLookup struct {
	store   GrantStore
	subject string
	done    bool
	grants  []Grant
	err     error
}

func (l *grantLookup) get(ctx context.Context) ([]Grant, error) {
	if l == nil || l.store == nil {
		return nil, nil
	}
	if !l.done {
		l.done = true
		if l.subject == "" {
			return nil, nil
		}
		l.grants, l.err = l.store.ActiveGrants(ctx, l.subject)
		if l.err != nil {
			l.err = fmt.Errorf("grants: %w", l.err)
		}
	}
	return l.grants, l.err
}

type grantLookupKey struct{}

// grantContext is ctx carrying a request's grant lookup, as
// context.WithValue(ctx, grantLookupKey{}, lookup) would, with the lookup inside: one allocation per check
// instead of two.
type grantContext struct {
	context.Context
	lookup grantLookup
}

// grantsRead reports whether deciding under rs may read session.grants,
// which finds its lookup in the context: a rule of rs reads them, or an
// interceptor (which may decide with rules of its own) or no rule set
// takes part. Otherwise Check spares the context and looks the grants up
// only for a review.
func (g *Gate) grantsRead(rs *RuleSet) bool {
	return rs == nil || rs.readsGrants || len(g.interceptors) > 0
}

func newGrantContext(ctx context.Context, store GrantStore, subject string) *grantContext {
	return &grantContext{Context: ctx, lookup: grantLookup{store: store, subject: subject}}
}

// Value is the lookup for grantLookupKey, else the parent's value.
func (c *grantContext) Value(key any) any {
	if key == (grantLookupKey{}) {
		return &c.lookup
	}
	return c.Context.Value(key)
}

func grantLookupFrom(ctx context.Context) *grantLookup {
	l, _ := ctx.Value(grantLookupKey{}).(*grantLookup)
	return l
}

// applyGrant turns a decision the rules would hold into an allow when an
// active grant covers the request, taking one of its uses. It reports
// whether a grant applied. A grant store that fails leaves the decision to
// the review: failing to find a grant never allows anything.
func (g *Gate) applyGrant(ctx context.Context, req *Request, d *Decision, l *grantLookup) bool {
	if d.Action != Review || l == nil || l.store == nil || d.Review == nil || d.Review.MaxGrant <= 0 {
		return false
	}
	grants, err := l.get(ctx)
	if err != nil {
		d.Errors = append(d.Errors, err.Error())
		return false
	}
	now := g.now()
	for i := range grants {
		gr := &grants[i]
		if !gr.Covers(req, d, now) {
			continue
		}
		ok, err := l.store.UseGrant(ctx, gr.ID)
		if err != nil {
			d.Errors = append(d.Errors, fmt.Sprintf("grants: use %s: %v", gr.ID, err))
			return false
		}
		if !ok {
			continue // used up or revoked meanwhile: try the next one
		}
		d.Action, d.Grant = Allow, gr.ID
		d.Reason = fmt.Sprintf("allowed by grant %s", gr.ID)
		d.Review = nil
		return true
	}
	return false
}

// ErrGrantNotAllowed: a reviewer asked for a grant the review's policy does
// not allow (no max_grant, or beyond it).
var ErrGrantNotAllowed = errors.New("airlock: grant not allowed by the review policy")

// NewGrant builds the grant that approving r with the given specs gives:
// the narrowest scope, the shortest TTL and the fewest uses that any of
// them asks for, within r.Policy.MaxGrant.
func NewGrant(r ReviewRequest, specs []GrantSpec, by []Identity, reason string, now time.Time) (*Grant, error) {
	if len(specs) == 0 {
		return nil, errors.New("airlock: no grant asked for")
	}
	limit := r.Policy.MaxGrant
	if limit <= 0 {
		return nil, fmt.Errorf("%w: the rule gives no max_grant", ErrGrantNotAllowed)
	}
	ttl, uses, scope := limit, 0, GrantAny
	for _, s := range specs {
		if err := CheckGrantSpec(r.Policy, s); err != nil {
			return nil, err
		}
		if s.TTL > 0 {
			ttl = min(ttl, s.TTL)
		}
		if s.Uses > 0 && (uses == 0 || s.Uses < uses) {
			uses = s.Uses
		}
		sc := s.Scope
		if sc == "" {
			sc = GrantExact
		}
		scope = scope.Narrower(sc)
	}
	gr := &Grant{
		ID: NewID(), Subject: r.Requester.Subject, Kind: r.Requester.EffectiveKind(),
		Protocol: r.Protocol, Target: r.Target, Rules: slices.Clone(r.ReviewRules), Scope: scope,
		MaxUses: uses, GrantedBy: by, Reason: reason, CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(ttl),
		RuleSetVersion: r.RuleSetVersion,
	}
	switch scope {
	case GrantExact:
		gr.Key, gr.Display = r.ExactKey, r.Command
	case GrantShape:
		gr.Key, gr.Display = r.ShapeKey, r.Shape
	default:
		gr.Display = "any request held by " + fmt.Sprint(gr.Rules)
	}
	if gr.Subject == "" || len(gr.Rules) == 0 || scope != GrantAny && gr.Key == "" {
		return nil, fmt.Errorf("%w: the review does not say what to grant", ErrGrantNotAllowed)
	}
	return gr, nil
}

// CheckGrantSpec validates a reviewer's grant request against a policy.
func CheckGrantSpec(p ReviewPolicy, s GrantSpec) error {
	switch {
	case p.MaxGrant <= 0:
		return fmt.Errorf("%w: the rule gives no max_grant", ErrGrantNotAllowed)
	case s.TTL < 0 || s.Uses < 0:
		return fmt.Errorf("%w: negative ttl or uses", ErrGrantNotAllowed)
	case s.TTL > p.MaxGrant:
		return fmt.Errorf("%w: %v is beyond the rule's max_grant of %v", ErrGrantNotAllowed, s.TTL, p.MaxGrant)
	case s.Scope != "" && !s.Scope.Valid():
		return fmt.Errorf("%w: unknown scope %q (want any, shape or exact)", ErrGrantNotAllowed, s.Scope)
	}
	return nil
}
