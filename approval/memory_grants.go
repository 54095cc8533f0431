package approval

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// MaxGrants bounds the grants a Memory keeps; ended grants are forgotten
// first, and a new grant beyond the bound with all kept grants active is
// not given (the approval stands).
const MaxGrants = 10000

// addGrant keeps a new grant. Callers hold m.mu.
func (m *Memory) addGrant(g gate.Grant, now time.Time) {
	if len(m.grants) >= MaxGrants {
		m.grants = slices.DeleteFunc(m.grants, func(x *gate.Grant) bool { return !x.Active(now) })
	}
	if len(m.grants) >= MaxGrants {
		return
	}
	g = cloneGrant(g)
	m.grants = append(m.grants, &g)
	m.signal()
}

// ActiveGrants lists the grants of subject that may still be used.
func (m *Memory) ActiveGrants(ctx context.Context, subject string) ([]gate.Grant, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []gate.Grant
	for _, g := range m.grants {
		if g.Subject == subject && g.Active(now) {
			out = append(out, cloneGrant(*g))
		}
	}
	return out, nil
}

// UseGrant takes one use of grant id; false when it can no longer be used.
func (m *Memory) UseGrant(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range m.grants {
		if g.ID == id {
			if !g.Active(now) {
				return false, nil
			}
			g.Uses++
			m.signal()
			return true, nil
		}
	}
	return false, nil
}

// Grants lists the grants kept, newest first.
func (m *Memory) Grants(ctx context.Context) ([]gate.Grant, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]gate.Grant, 0, len(m.grants))
	for i := len(m.grants) - 1; i >= 0; i-- {
		out = append(out, cloneGrant(*m.grants[i]))
	}
	return out, nil
}

// RevokeGrant ends grant id at once.
func (m *Memory) RevokeGrant(ctx context.Context, id string, by gate.Identity) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now().UTC()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range m.grants {
		if g.ID == id {
			if g.RevokedAt == nil {
				g.RevokedAt, g.RevokedBy = &now, by.Subject
				m.signal()
			}
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrUnknownGrant, id)
}
