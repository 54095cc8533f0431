package pgapproval

import (
	"context"
	"encoding/json"
	"errors"
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
		if p.grantUse.spent(g.ID) {
			continue // used up or revoked here, whatever the row says now
		}
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
// across replicas no grant is used beyond its bounds. The uses this
// Approver took and the grants it revoked are also kept in memory, so
// that a row set back (a use count lowered, a revocation cleared) does
// not give it more.
func (p *Approver) UseGrant(ctx context.Context, id string) (bool, error) {
	if p.grantUse.spent(id) {
		return false, nil
	}
	var maxUses int
	var expires time.Time
	err := p.pool.QueryRow(ctx, `UPDATE airlock_grants SET uses = uses + 1
WHERE id = $1 AND revoked_at IS NULL AND expires_at > now() AND (max_uses = 0 OR uses < max_uses)
RETURNING max_uses, expires_at`, id).Scan(&maxUses, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgapproval: use grant %s: %w", id, err)
	}
	return p.grantUse.take(id, maxUses, expires, time.Now()), nil
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
	var expires time.Time
	err := p.pool.QueryRow(ctx, `UPDATE airlock_grants SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $2) WHERE id = $1
RETURNING expires_at`, id, by.Subject).Scan(&expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s", approval.ErrUnknownGrant, id)
	}
	if err != nil {
		return fmt.Errorf("pgapproval: revoke grant %s: %w", id, err)
	}
	p.grantUse.revoke(id, expires, time.Now())
	return nil
}
