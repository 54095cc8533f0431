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
const grantColumns = `id, review_id, subject, max_uses, expires_at, doc, uses, revoked_at, revoked_by, seal`

// storedGrant is a grant as read from its row, with what proves it.
type storedGrant struct {
	gate.Grant
	seal []byte
	// columns is true when the columns the queries filter on (id,
	// review_id, subject, max_uses, expires_at) say what doc says.
	columns bool
}

func scanGrant(row pgx.Row) (storedGrant, error) {
	var sg storedGrant
	g := &sg.Grant
	var id, reviewID, subject string
	var maxUses int
	var expires time.Time
	var doc []byte
	var revokedBy *string
	var revokedAt *time.Time
	var uses int
	if err := row.Scan(&id, &reviewID, &subject, &maxUses, &expires, &doc, &uses, &revokedAt, &revokedBy, &sg.seal); err != nil {
		return sg, err
	}
	if err := json.Unmarshal(doc, g); err != nil {
		return sg, fmt.Errorf("pgapproval: grant: %w", err)
	}
	g.Uses, g.RevokedAt = uses, revokedAt
	if revokedBy != nil {
		g.RevokedBy = *revokedBy
	}
	sg.columns = id == g.ID && reviewID == g.ReviewID && subject == g.Subject && maxUses == g.MaxUses &&
		// timestamptz keeps microseconds; doc keeps the nanoseconds.
		expires.Sub(g.ExpiresAt).Abs() <= time.Microsecond
	return sg, nil
}

func (p *Approver) grants(ctx context.Context, sql string, args ...any) ([]storedGrant, error) {
	rows, err := p.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgapproval: grants: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storedGrant, error) { return scanGrant(r) })
	if err != nil {
		return nil, fmt.Errorf("pgapproval: grants: %w", err)
	}
	return out, nil
}

// ActiveGrants lists the grants of subject that may still be used. Each is
// checked against the review that gave it: the seals of both, and
// approval.CheckGrant. A grant row written or widened in place fails the
// whole call, and the gate holds the request for review instead.
func (p *Approver) ActiveGrants(ctx context.Context, subject string) ([]gate.Grant, error) {
	rows, err := p.grants(ctx, `SELECT `+grantColumns+` FROM airlock_grants
WHERE subject = $1 AND revoked_at IS NULL AND expires_at > now() AND (max_uses = 0 OR uses < max_uses)
ORDER BY created_at`, subject)
	if err != nil {
		return nil, err
	}
	out := make([]gate.Grant, 0, len(rows))
	for _, g := range rows {
		if err := p.proveGrant(ctx, g); err != nil {
			return nil, fmt.Errorf("pgapproval: grant %s: %w", g.ID, err)
		}
		out = append(out, g.Grant)
	}
	return out, nil
}

// proveGrant reports whether g may be used: its columns agree with its
// document, its seal and its review's verify, and the review's votes give
// it (approval.CheckGrant).
func (p *Approver) proveGrant(ctx context.Context, g storedGrant) error {
	if !g.columns {
		return fmt.Errorf("%w: its columns are not what its document says", approval.ErrUnproven)
	}
	r, err := p.load(ctx, nil, g.ReviewID, false)
	if err != nil {
		return err
	}
	if err := p.seal.checkGrant(r, g); err != nil {
		return err
	}
	return approval.CheckGrant(r.Pending, g.Grant)
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
	rows, err := p.grants(ctx, fmt.Sprintf(`SELECT `+grantColumns+` FROM airlock_grants ORDER BY created_at DESC LIMIT %d`, approval.DefaultHistoryLimit))
	if err != nil {
		return nil, err
	}
	out := make([]gate.Grant, len(rows))
	for i, g := range rows {
		out[i] = g.Grant
	}
	return out, nil
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
