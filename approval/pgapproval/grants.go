package pgapproval

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
)

var _ approval.Granter = (*Approver)(nil)

// grantColumns are the columns scanGrant reads.
const grantColumns = `doc, uses, revoked_at, revoked_by`

func scanGrant(row pgx.Row) (gate.Grant, error) {
	var g gate.Grant
	var doc []byte
	var revokedBy *string
	var revokedAt *time.Time
	var uses int
	if err := row.Scan(&doc, &uses, &revokedAt, &revokedBy); err != nil {
		return g, err
	}
	if err := json.Unmarshal(doc, &g); err != nil {
		return g, fmt.Errorf("pgapproval: grant: %w", err)
	}
	g.Uses, g.RevokedAt = uses, revokedAt
	if revokedBy != nil {
		g.RevokedBy = *revokedBy
	}
	return g, nil
}

func (p *Approver) grants(ctx context.Context, sql string, args ...any) ([]gate.Grant, error) {
	rows, err := p.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgapproval: grants: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gate.Grant, error) { return scanGrant(r) })
	if err != nil {
		return nil, fmt.Errorf("pgapproval: grants: %w", err)
	}
	return out, nil
}

// ActiveGrants lists the grants of subject that may still be used. Each is
// checked against the review that gave it (approval.CheckGrant): a grant
// row written or widened in place fails the whole call, and the gate holds
// the request for review instead.
func (p *Approver) ActiveGrants(ctx context.Context, subject string) ([]gate.Grant, error) {
	out, err := p.grants(ctx, `SELECT `+grantColumns+` FROM airlock_grants
WHERE subject = $1 AND revoked_at IS NULL AND expires_at > now() AND (max_uses = 0 OR uses < max_uses)
ORDER BY created_at`, subject)
	if err != nil {
		return nil, err
	}
	for _, g := range out {
		pd, err := p.load(ctx, nil, g.ReviewID, false)
		if err == nil {
			err = approval.CheckGrant(pd, g)
		}
		if err != nil {
			return nil, fmt.Errorf("pgapproval: grant %s: %w", g.ID, err)
		}
	}
	return out, nil
}

// UseGrant takes one use of grant id with a conditional update, so that
// across replicas no grant is used beyond its bounds.
func (p *Approver) UseGrant(ctx context.Context, id string) (bool, error) {
	tag, err := p.pool.Exec(ctx, `UPDATE airlock_grants SET uses = uses + 1
WHERE id = $1 AND revoked_at IS NULL AND expires_at > now() AND (max_uses = 0 OR uses < max_uses)`, id)
	if err != nil {
		return false, fmt.Errorf("pgapproval: use grant %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Grants lists the grants kept, newest first (at most approval.DefaultHistoryLimit).
func (p *Approver) Grants(ctx context.Context) ([]gate.Grant, error) {
	return p.grants(ctx, fmt.Sprintf(`SELECT `+grantColumns+` FROM airlock_grants ORDER BY created_at DESC LIMIT %d`, approval.DefaultHistoryLimit))
}

// RevokeGrant ends grant id at once, on every replica.
func (p *Approver) RevokeGrant(ctx context.Context, id string, by gate.Identity) error {
	tag, err := p.pool.Exec(ctx, `UPDATE airlock_grants SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $2) WHERE id = $1`, id, by.Subject)
	if err != nil {
		return fmt.Errorf("pgapproval: revoke grant %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", approval.ErrUnknownGrant, id)
	}
	return nil
}
