package approval

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// ConsoleGrant is a grant as the Console shows it and its JSON API returns
// it.
type ConsoleGrant struct {
	ID        string          `json:"id"`
	ReviewID  string          `json:"review_id"`
	Subject   string          `json:"subject"`
	Protocol  string          `json:"protocol"`
	Target    string          `json:"target,omitempty"`
	Rules     []string        `json:"rules"`
	Scope     gate.GrantScope `json:"scope"`
	Display   string          `json:"display"` // masked
	Uses      int             `json:"uses"`
	MaxUses   int             `json:"max_uses,omitempty"`
	GrantedBy []string        `json:"granted_by"`
	Reason    string          `json:"reason,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`
	RevokedAt *time.Time      `json:"revoked_at,omitempty"`
	RevokedBy string          `json:"revoked_by,omitempty"`
	// Active is true while the grant may be used.
	Active bool `json:"active"`
	// Unproven says why the store could not prove the grant its own
	// writing (see gate.Grant.Unproven); it allows nothing.
	Unproven string `json:"unproven,omitempty"`
}

func (c *Console) grantView(g gate.Grant, now time.Time) ConsoleGrant {
	v := ConsoleGrant{
		ID: g.ID, ReviewID: g.ReviewID, Subject: g.Subject, Protocol: g.Protocol, Target: g.Target, Rules: g.Rules,
		Scope: g.Scope, Display: c.mask(g.Display), Uses: g.Uses, MaxUses: g.MaxUses, Reason: g.Reason,
		CreatedAt: g.CreatedAt, ExpiresAt: g.ExpiresAt, RevokedAt: g.RevokedAt, RevokedBy: g.RevokedBy,
		Active: g.Unproven == "" && g.Active(now), Unproven: g.Unproven,
	}
	for _, id := range g.GrantedBy {
		v.GrantedBy = append(v.GrantedBy, displayName(id))
	}
	return v
}

// UsesText describes the uses for display.
func (v ConsoleGrant) UsesText() string {
	if v.MaxUses == 0 {
		return itoa(v.Uses) + " used, no use limit"
	}
	return itoa(v.Uses) + " of " + itoa(v.MaxUses) + " used"
}

// State is unproven, active, revoked, used up or expired.
func (v ConsoleGrant) State() string {
	switch {
	case v.Unproven != "":
		return "unproven"
	case v.RevokedAt != nil:
		return "revoked"
	case v.Active:
		return "active"
	case v.MaxUses > 0 && v.Uses >= v.MaxUses:
		return "used up"
	}
	return "expired"
}

func (c *Console) grants(ctx context.Context) ([]ConsoleGrant, error) {
	g, ok := c.Approver.(Granter)
	if !ok {
		return nil, ErrNoGrants
	}
	list, err := g.Grants(ctx)
	if err != nil {
		return nil, errors.Join(ErrUnavailable, err)
	}
	now := time.Now()
	out := make([]ConsoleGrant, 0, len(list))
	for _, gr := range list {
		out = append(out, c.grantView(gr, now))
	}
	return out, nil
}

func (c *Console) serveGrants(w http.ResponseWriter, r *http.Request, v viewer) {
	list, err := c.grants(r.Context())
	d := c.pageData(v, "grants", nil)
	d.Grants = list
	c.renderList(w, "grants", d, err)
}

func (c *Console) serveAPIGrants(w http.ResponseWriter, r *http.Request, v viewer) {
	list, err := c.grants(r.Context())
	writeResult(w, list, err)
}

func (c *Console) revoke(ctx context.Context, v viewer, id string) error {
	g, ok := c.Approver.(Granter)
	if !ok {
		return ErrNoGrants
	}
	if k := v.identity.EffectiveKind(); k != gate.KindHuman && k != gate.KindService || v.identity.Subject == "" {
		return fmt.Errorf("%w: identity of kind %q cannot revoke grants", ErrNotReviewer, k)
	}
	if id == "" {
		return errors.Join(ErrInvalidRequest, errors.New("no grant id"))
	}
	return g.RevokeGrant(ctx, id, v.identity)
}

func (c *Console) serveRevokeForm(w http.ResponseWriter, r *http.Request, v viewer) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxCallbackBody)
	if err := checkCSRF(r, v, r.PostFormValue("csrf")); err != nil {
		writeError(w, err)
		return
	}
	msg := "grant revoked"
	if err := c.revoke(r.Context(), v, r.PostFormValue("id")); err != nil {
		msg = "error: " + err.Error()
	}
	if v.session != nil {
		c.sessions.setFlash(v.session, msg)
	}
	redirect(w, "../grants") // relative to .../grants/revoke
}

// RevokeRequest is the JSON body of POST /api/revoke.
type RevokeRequest struct {
	ID string `json:"id"`
}

func (c *Console) serveAPIRevoke(w http.ResponseWriter, r *http.Request, v viewer) {
	body, ok := apiBody(w, r, v)
	if !ok {
		return
	}
	var req RevokeRequest
	if err := strictJSON(body, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := c.revoke(r.Context(), v, strings.TrimSpace(req.ID)); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": req.ID, "state": "revoked"})
}
