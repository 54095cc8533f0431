package pgapproval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	// bad is why doc does not decode (a row nobody could prove).
	bad error
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
		// Not a grant at all: it allows nothing and hides no other.
		sg.Grant = gate.Grant{ID: id, ReviewID: reviewID, Subject: subject, MaxUses: maxUses, ExpiresAt: expires}
		sg.bad = fmt.Errorf("%w: grant %s: its document does not decode: %w", approval.ErrUnproven, id, err)
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
// approval.CheckGrant. A grant row written or widened in place is left
// out (and reported, see UnprovenSeen); the subject's other grants still
// count.
func (p *Approver) ActiveGrants(ctx context.Context, subject string) ([]gate.Grant, error) {
	rows, err := p.grants(ctx, `SELECT `+grantColumns+` FROM airlock_grants
WHERE subject = $1 AND revoked_at IS NULL AND expires_at > now() AND (max_uses = 0 OR uses < max_uses)
ORDER BY created_at`, subject)
	if err != nil {
		return nil, err
	}
	rows = slices.DeleteFunc(rows, func(g storedGrant) bool {
		return p.grantUse.spent(g.ID) // used up or revoked here, whatever the row says now
	})
	proofs, err := p.proveGrants(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]gate.Grant, 0, len(rows))
	for i, g := range rows {
		if proofs[i] != nil {
			p.report.unproven("grant "+g.ID, proofs[i], "the grant allows nothing; the subject's other grants still count")
			continue
		}
		p.grantUse.proven(g.ID, g.MaxUses, g.ExpiresAt, time.Now())
		out = append(out, g.Grant)
	}
	return out, nil
}

// proveGrants proves each of grants (see proveGrant), reading the reviews
// that gave them at once. It returns why each is unproven (nil when it is
// proven), or an error when the database fails.
func (p *Approver) proveGrants(ctx context.Context, grants []storedGrant) ([]error, error) {
	ids := make([]string, 0, len(grants))
	for _, g := range grants {
		ids = append(ids, g.ReviewID)
	}
	reviews, err := p.reviewsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("pgapproval: grants: %w", err)
	}
	out := make([]error, len(grants))
	for i, g := range grants {
		r, ok := reviews[g.ReviewID]
		switch {
		case !ok:
			out[i] = fmt.Errorf("%w: grant %s: its review %s is not kept", approval.ErrUnproven, g.ID, g.ReviewID)
		case r.err != nil:
			out[i] = fmt.Errorf("grant %s: %w", g.ID, r.err)
		default:
			out[i] = p.proveGrant(r.storedReview, g)
		}
	}
	return out, nil
}

// loadedReview is a review row as read, or why it does not decode.
type loadedReview struct {
	storedReview
	err error
}

// reviewsByID reads the reviews of ids, by id. A row that does not decode
// is kept with its error; it does not fail the others.
func (p *Approver) reviewsByID(ctx context.Context, ids []string) (map[string]loadedReview, error) {
	out := make(map[string]loadedReview, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := p.pool.Query(ctx, `SELECT `+reviewColumns+` FROM airlock_reviews WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil && !isUnproven(err) {
			return nil, err
		}
		out[r.ID] = loadedReview{storedReview: r, err: err}
	}
	return out, rows.Err()
}

// proveGrant reports whether g may be used: it decodes, its columns agree
// with its document, its review proves (see prove) and gives it
// (approval.CheckGrant), and its seal verifies as given by that review.
func (p *Approver) proveGrant(r storedReview, g storedGrant) error {
	if g.bad != nil {
		return g.bad
	}
	if !g.columns {
		return fmt.Errorf("%w: grant %s: its columns are not what its document says", approval.ErrUnproven, g.ID)
	}
	if g.ReviewID != r.ID {
		return fmt.Errorf("%w: grant %s is not the grant review %s gave", approval.ErrUnproven, g.ID, r.ID)
	}
	pv, err := p.prove(r)
	if err != nil {
		return fmt.Errorf("grant %s: %w", g.ID, err)
	}
	if err := approval.CheckGrant(pv.Pending, g.Grant); err != nil {
		return err
	}
	return p.seal.checkGrant(r, g.Grant, g.seal)
}

// UseGrant takes one use of grant id with a conditional update, so that
// across replicas no grant is used beyond its bounds. Its bounds are the
// sealed ones, whatever its columns say: it is used at most MaxUses times
// (as counted in the table) and never after its sealed expiry. A grant
// ActiveGrants proved here is held to the bounds it proved; any other is
// proven as the update returns it, and one that does not prove is not
// used (and reported). The uses this Approver took and the grants it
// revoked are also kept in memory, so that a row set back (a use count
// lowered, a revocation cleared) does not give it more.
func (p *Approver) UseGrant(ctx context.Context, id string) (bool, error) {
	if p.grantUse.spent(id) {
		return false, nil
	}
	if max, expires, ok := p.grantUse.bounds(id); ok {
		var uses int
		err := p.pool.QueryRow(ctx, `UPDATE airlock_grants SET uses = uses + 1
WHERE id = $1 AND revoked_at IS NULL AND $3 > now() AND ($2 = 0 OR uses < $2)
RETURNING uses`, id, max, expires).Scan(&uses)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("pgapproval: use grant %s: %w", id, err)
		}
		return p.grantUse.take(id, max, expires, time.Now()), nil
	}
	g, err := scanGrant(p.pool.QueryRow(ctx, `UPDATE airlock_grants SET uses = uses + 1
WHERE id = $1 AND revoked_at IS NULL AND expires_at > now() AND (max_uses = 0 OR uses < max_uses)
RETURNING `+grantColumns, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgapproval: use grant %s: %w", id, err)
	}
	proofs, err := p.proveGrants(ctx, []storedGrant{g})
	if err != nil {
		return false, fmt.Errorf("pgapproval: use grant %s: %w", id, err)
	}
	if proofs[0] != nil {
		p.report.unproven("grant "+id, proofs[0], "the grant allows nothing; the subject's other grants still count")
		return false, nil
	}
	now := time.Now()
	// g.Uses counts this use: the update returns the row after it.
	if g.MaxUses > 0 && g.Uses > g.MaxUses || !now.Before(g.ExpiresAt) {
		return false, nil
	}
	return p.grantUse.take(id, g.MaxUses, g.ExpiresAt, now), nil
}

// Grants lists the grants kept, newest first (at most
// approval.DefaultHistoryLimit). A grant that does not prove (see
// ActiveGrants) is listed with Unproven saying why; it allows nothing.
func (p *Approver) Grants(ctx context.Context) ([]gate.Grant, error) {
	rows, err := p.grants(ctx, fmt.Sprintf(`SELECT `+grantColumns+` FROM airlock_grants ORDER BY created_at DESC LIMIT %d`, approval.DefaultHistoryLimit))
	if err != nil {
		return nil, err
	}
	proofs, err := p.proveGrants(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]gate.Grant, len(rows))
	for i, g := range rows {
		out[i] = g.Grant
		if proofs[i] != nil {
			out[i].Unproven = proofs[i].Error()
		}
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
