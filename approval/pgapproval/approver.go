package pgapproval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtables"
	"github.com/airlock-sdk/airlock/internal/wait"
	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the NOTIFY channel on which an Approver announces every change of a review; the payload is the review's id.
const Channel = "airlock_reviews"

// Approver is a gate.Approver whose reviews live in PostgreSQL, so that gateway
// replicas share them: a request held on one replica can be approved
// through any replica's console, waiters wake through LISTEN/NOTIFY, an
// approval is consumed with a conditional update (two replicas can never
// both use it), and expiry is swept by whichever replica gets there first.
//
// Schema (created by Migrate):
//
//	CREATE TABLE airlock_reviews (
//	    id          text        PRIMARY KEY,
//	    digest      text        NOT NULL,     -- gate.Digest of the held request
//	    state       text        NOT NULL,     -- pending, approved, denied, expired, withdrawn, consumed, reported
//	    request     jsonb       NOT NULL,     -- gate.ReviewRequest
//	    votes       jsonb       NOT NULL DEFAULT '[]',
//	    reason      text        NOT NULL DEFAULT '',
//	    break_glass boolean     NOT NULL DEFAULT false,
//	    created_at  timestamptz NOT NULL,
//	    expires_at  timestamptz NOT NULL,
//	    decided_at  timestamptz,
//	    granted     jsonb,                    -- gate.Grant the approval gave
//	    seal        bytea                     -- HMAC of id, digest and request (see Options.SealKey)
//	);
//	CREATE UNIQUE INDEX airlock_reviews_pending ON airlock_reviews (digest) WHERE state = 'pending';
//	CREATE INDEX airlock_reviews_digest ON airlock_reviews (digest, created_at DESC);
//	CREATE INDEX airlock_reviews_open ON airlock_reviews (expires_at) WHERE state = 'pending';
//
//	CREATE TABLE airlock_grants (
//	    id          text        PRIMARY KEY,
//	    review_id   text        NOT NULL,
//	    subject     text        NOT NULL,
//	    doc         jsonb       NOT NULL,     -- gate.Grant as given
//	    max_uses    integer     NOT NULL,
//	    uses        integer     NOT NULL DEFAULT 0,
//	    created_at  timestamptz NOT NULL,
//	    expires_at  timestamptz NOT NULL,
//	    revoked_at  timestamptz,
//	    revoked_by  text,
//	    seal        bytea                     -- HMAC of the grant's bounds and its review's seal
//	);
//	CREATE INDEX airlock_grants_subject ON airlock_grants (subject, expires_at);
//
// Each vote in votes carries its own "mac", an HMAC of the vote chained
// to the review's seal and the vote before it.
//
// A denied review is reported once by Redeem and then marked "reported".
// Grants are shared like reviews: a grant given through one replica's
// console allows requests on every replica, each use is taken with a
// conditional update (the last use goes to exactly one replica), and a
// revocation holds everywhere at once.
//
// It implements gate.Approver, gate.GrantStore, approval.Reviewable,
// approval.Historian and approval.Granter, so a Console or a Webhook works
// over it.
type Approver struct {
	pool     *pgxpool.Pool
	opts     Options
	seal     sealer
	listener *listener
	spent    usedApprovals
	grantUse grantMemory
	report   reporter
	// swept is when endForgedPending last ran (unix nanoseconds).
	swept atomic.Int64
}

var (
	_ gate.Approver       = (*Approver)(nil)
	_ approval.Reviewable = (*Approver)(nil)
	_ approval.Historian  = (*Approver)(nil)
	_ approval.Store      = (*Approver)(nil)
)

// Options configures an Approver; Migrate and New take the same.
type Options struct {
	// MaxPending bounds open reviews (default approval.DefaultMaxPending).
	MaxPending int
	// Poll is how often Await re-reads a review even without a
	// notification (default 1s), so a lost NOTIFY only delays.
	Poll time.Duration
	// SealKey (at least MinSealKeyLen bytes, secret, the same on every
	// replica) seals every review, vote and grant the Approver writes with
	// an HMAC; a row whose seal does not verify approves and allows
	// nothing (approval.ErrUnproven). Without it, anyone who can write
	// the tables can write a vote in a real reviewer's name, or a whole
	// approved review, and the approver cannot tell: replaying the votes
	// (approval.CheckApproved) proves only that they are well-formed.
	//
	// What a seal cannot prevent: a writer of the tables can put back an
	// earlier sealed state of a row, since the states a row goes through
	// after its seal (consumed, expired, a grant's use count, revoked) are
	// not sealed and any earlier one was valid. A consumed approval set
	// back to approved runs its request again until the review's sealed
	// expiry, through another replica or a restarted process (the
	// Approver that consumed it remembers that until then); a grant's use
	// count reset or its revocation cleared allows more (again not through
	// the Approver that took the uses or revoked it), but only what the
	// reviewers granted and never past its sealed expiry. Keeping gated
	// clients from writing the tables closes this.
	//
	// Rows written before a key was set (or by an unsealed Approver) carry
	// no seal and approve nothing: let the open reviews be decided and used,
	// or expire, before turning sealing on.
	SealKey []byte
	// VerifyKeys are older seal keys still accepted when verifying, for
	// rotation: seal with the new key, verify with both until the rows
	// sealed with the old one have expired, then drop it.
	VerifyKeys [][]byte
	// Logger reports the rows and votes that do not verify and are left
	// out (nil: silent; Approver.UnprovenSeen counts them either way).
	Logger hclog.Logger
	// Unsealed runs without a SealKey: nothing is sealed or verified.
	// This is unsafe whenever a client of the gate (an agent whose SQL
	// reaches the database, a shared role) can write the review tables;
	// New refuses to run without a SealKey unless it is set.
	Unsealed bool
}

// New returns an Approver over pool. It does not touch the database: call
// Migrate first, once, with a role that may create the tables.
func New(pool *pgxpool.Pool, opts Options) (*Approver, error) {
	if pool == nil {
		return nil, errors.New("pgapproval: no pool")
	}
	seal, err := newSealer(opts)
	if err != nil {
		return nil, err
	}
	return &Approver{pool: pool, opts: opts, seal: seal, listener: newListener(pool), report: reporter{log: opts.Logger}}, nil
}

// UnprovenSeen counts the rows and votes the Approver found not to be its
// own writing and left out (a forged grant, a forged vote beside genuine
// ones), each once per hour at most; each is logged on Options.Logger.
// Anything above zero means someone without the seal key writes the
// review tables.
func (p *Approver) UnprovenSeen() uint64 { return p.report.n.Load() }

// Migrate creates the tables and indexes when they do not exist. It is
// idempotent. The schema depends on none of opts; it takes them so that
// every PostgreSQL-backed store of Airlock is set up alike.
func Migrate(ctx context.Context, pool *pgxpool.Pool, opts Options) error {
	// A relation of a table's name made before the store's would be
	// what the store uses: it must be a table the store could have made.
	if err := pgtables.Check(ctx, pool, "pgapproval", "airlock_reviews", "airlock_grants"); err != nil {
		return err
	}
	_, err := pool.Exec(ctx, `
CREATE TABLE IF NOT EXISTS airlock_reviews (
    id          text        PRIMARY KEY,
    digest      text        NOT NULL,
    state       text        NOT NULL,
    request     jsonb       NOT NULL,
    votes       jsonb       NOT NULL DEFAULT '[]',
    reason      text        NOT NULL DEFAULT '',
    break_glass boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    decided_at  timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS airlock_reviews_pending ON airlock_reviews (digest) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS airlock_reviews_digest ON airlock_reviews (digest, created_at DESC);
CREATE INDEX IF NOT EXISTS airlock_reviews_open ON airlock_reviews (expires_at) WHERE state = 'pending';
ALTER TABLE airlock_reviews ADD COLUMN IF NOT EXISTS granted jsonb;
CREATE TABLE IF NOT EXISTS airlock_grants (
    id          text        PRIMARY KEY,
    review_id   text        NOT NULL,
    subject     text        NOT NULL,
    doc         jsonb       NOT NULL,
    max_uses    integer     NOT NULL,
    uses        integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    revoked_by  text
);
CREATE INDEX IF NOT EXISTS airlock_grants_subject ON airlock_grants (subject, expires_at);
ALTER TABLE airlock_reviews ADD COLUMN IF NOT EXISTS seal bytea;
ALTER TABLE airlock_grants ADD COLUMN IF NOT EXISTS seal bytea;`)
	if err != nil {
		return fmt.Errorf("pgapproval: migrate: %w", err)
	}
	return nil
}

// expire marks the reviews whose time ran out, pending or approved but not
// yet used, as expired and notifies their waiters: an approval dies with
// its review. Any replica may run it; the update is idempotent.
func (p *Approver) expire(ctx context.Context) error {
	rows, err := p.pool.Query(ctx, `
UPDATE airlock_reviews SET state = 'expired',
    reason = CASE state WHEN 'pending' THEN $1 ELSE $2 END,
    decided_at = coalesce(decided_at, now())
WHERE state IN ('pending', 'approved') AND expires_at <= now() RETURNING id`, reasonExpired, reasonExpiredUnused)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, id := range ids {
		_, _ = p.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, id)
	}
	return nil
}

// Submit files a review, or returns the id of the pending review with the
// same digest.
func (p *Approver) Submit(ctx context.Context, r gate.ReviewRequest) (string, error) {
	if r.Digest == "" {
		return "", fmt.Errorf("%w: no digest", approval.ErrInvalidRequest)
	}
	if err := p.expire(ctx); err != nil {
		return "", fmt.Errorf("pgapproval: submit: %w", err)
	}
	r.Policy = r.Policy.WithDefaults()
	now := time.Now().UTC()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.ExpiresAt.IsZero() {
		r.ExpiresAt = r.CreatedAt.Add(r.Policy.TTL)
	}
	r, body, err := canonicalRequest(r)
	if err != nil {
		return "", fmt.Errorf("pgapproval: submit: %w", err)
	}
	newID := gate.NewID()
	msg, err := reviewMessage(newID, r.Digest, r)
	if err != nil {
		return "", fmt.Errorf("pgapproval: submit: %w", err)
	}
	limit := p.opts.MaxPending
	if limit <= 0 {
		limit = approval.DefaultMaxPending
	}
	var id string
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var open int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM airlock_reviews WHERE state = 'pending'`).Scan(&open); err != nil {
			return err
		}
		if open >= limit {
			// Reviews someone wrote in must not fill the open slots.
			n, err := p.endForgedPending(ctx, tx)
			if err != nil {
				return err
			}
			open -= n
		}
		insert := func() error {
			return tx.QueryRow(ctx, `
INSERT INTO airlock_reviews (id, digest, state, request, created_at, expires_at, seal)
SELECT $1, $2, 'pending', $3, $4, $5, $7 WHERE $6
ON CONFLICT (digest) WHERE state = 'pending' DO NOTHING RETURNING id`,
				newID, r.Digest, body, r.CreatedAt, r.ExpiresAt, open < limit, p.seal.sum(msg)).Scan(&id)
		}
		err := insert()
		if errors.Is(err, pgx.ErrNoRows) {
			var forged bool
			id, forged, err = p.pendingFor(ctx, tx, r.Digest)
			if forged {
				// Someone wrote the pending review of this digest: it
				// must not hold the request (reviewers cannot vote on
				// it); it is ended and a real one filed.
				err = insert()
			}
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("%w (%d)", approval.ErrTooManyPending, limit)
			}
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("pgapproval: submit: %w", err)
	}
	return id, nil
}

// sweepEvery is how often at most Submit, finding the open reviews at
// Options.MaxPending, looks for forged ones among them.
const sweepEvery = 10 * time.Second

// endForgedPending withdraws (and reports) the pending reviews whose seal
// does not verify, at most once per sweepEvery, and returns how many.
func (p *Approver) endForgedPending(ctx context.Context, tx pgx.Tx) (int, error) {
	now := time.Now().UnixNano()
	last := p.swept.Load()
	if now-last < int64(sweepEvery) || !p.swept.CompareAndSwap(last, now) || !p.seal.on() {
		return 0, nil
	}
	rows, err := tx.Query(ctx, `SELECT `+reviewColumns+` FROM airlock_reviews WHERE state = 'pending'`)
	if err != nil {
		return 0, err
	}
	var forged []string
	for rows.Next() {
		r, err := scanReview(rows)
		if err == nil {
			_, err = p.seal.checkReview(r)
		}
		if err != nil && isUnproven(err) && r.ID != "" {
			p.report.unproven("review "+r.ID, err, "the review is withdrawn: it does not hold an open slot")
			forged = append(forged, r.ID)
		} else if err != nil {
			rows.Close()
			return 0, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(forged) == 0 {
		return 0, err
	}
	tag, err := tx.Exec(ctx, `UPDATE airlock_reviews SET state = 'withdrawn', reason = $2, decided_at = now() WHERE id = ANY($1) AND state = 'pending'`, forged, reasonNotOurs)
	return int(tag.RowsAffected()), err
}

// pendingFor returns the id of the pending review of digest; when that
// review is not the Approver's writing (its seal does not verify), it is
// withdrawn, reported, and forged is true.
func (p *Approver) pendingFor(ctx context.Context, tx pgx.Tx, digest string) (id string, forged bool, err error) {
	r, err := scanReview(tx.QueryRow(ctx, `SELECT `+reviewColumns+` FROM airlock_reviews WHERE digest = $1 AND state = 'pending' FOR UPDATE`, digest))
	if errors.Is(err, approval.ErrUnknownReview) {
		return "", false, pgx.ErrNoRows
	}
	if err == nil {
		_, err = p.seal.checkReview(r)
	}
	if err == nil || !isUnproven(err) {
		return r.ID, false, err
	}
	p.report.unproven("review "+r.ID, err, "the review is withdrawn and a real one filed for its request")
	_, err = tx.Exec(ctx, `UPDATE airlock_reviews SET state = 'withdrawn', reason = $2, decided_at = now() WHERE id = $1`, r.ID, reasonNotOurs)
	return "", err == nil, err
}

// storedReview is a review as read from its row, with what proves it.
type storedReview struct {
	approval.Pending
	digest string   // the digest column
	seal   []byte   // the seal column
	macs   [][]byte // the mac of each vote
}

// storedVote is a vote as kept in the votes column: the vote and its MAC.
type storedVote struct {
	gate.Vote
	MAC []byte `json:"mac,omitempty"`
}

// load reads one review.
func (p *Approver) load(ctx context.Context, q pgx.Tx, id string, forUpdate bool) (storedReview, error) {
	sql := `SELECT ` + reviewColumns + ` FROM airlock_reviews WHERE id = $1`
	if forUpdate {
		sql += " FOR UPDATE"
	}
	var row pgx.Row
	if q != nil {
		row = q.QueryRow(ctx, sql, id)
	} else {
		row = p.pool.QueryRow(ctx, sql, id)
	}
	return scanReview(row)
}

// reviewColumns are the columns scanReview reads.
const reviewColumns = `id, digest, state, request, votes, reason, break_glass, decided_at, granted, seal`

func scanReview(row pgx.Row) (storedReview, error) {
	var r storedReview
	pd := &r.Pending
	var state string
	var req, votes, granted []byte
	var decided *time.Time
	if err := row.Scan(&pd.ID, &r.digest, &state, &req, &votes, &pd.Reason, &pd.BreakGlass, &decided, &granted, &r.seal); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return r, approval.ErrUnknownReview
		}
		return r, err
	}
	pd.State = gate.ReviewState(state)
	if err := json.Unmarshal(req, &pd.Request); err != nil {
		return r, badRow(pd.ID, err)
	}
	if pd.Request.Digest != r.digest {
		return r, fmt.Errorf("pgapproval: review %s: %w: its digest column is not the digest of its request", pd.ID, approval.ErrUnproven)
	}
	var stored []storedVote
	if err := json.Unmarshal(votes, &stored); err != nil {
		return r, badRow(pd.ID, err)
	}
	for _, v := range stored {
		pd.Votes = append(pd.Votes, v.Vote)
		r.macs = append(r.macs, v.MAC)
	}
	if decided != nil {
		pd.DecidedAt = *decided
	}
	if granted != nil {
		if err := json.Unmarshal(granted, &pd.Grant); err != nil {
			return r, badRow(pd.ID, err)
		}
	}
	return r, nil
}

// badRow is the error of a review row that does not even decode: not the
// Approver's writing.
func badRow(id string, err error) error {
	return fmt.Errorf("pgapproval: review %s: %w: %w", id, approval.ErrUnproven, err)
}

// Vote casts reviewer's vote under the review's policy.
func (p *Approver) Vote(ctx context.Context, id string, reviewer gate.Identity, approve bool, reason string) (gate.Verdict, error) {
	return p.vote(ctx, id, reviewer, approve, reason, nil)
}

// ApproveGrant approves review id and asks for a grant (see Granter).
func (p *Approver) ApproveGrant(ctx context.Context, id string, reviewer gate.Identity, reason string, spec gate.GrantSpec) (gate.Verdict, error) {
	return p.vote(ctx, id, reviewer, true, reason, &spec)
}

// vote adds one vote to a review whose seal verifies, to the chain of its
// votes that verify (see prove): a vote on a review someone wrote in would
// lend a real reviewer's approval to it, and a vote someone wrote in
// beside real ones counts for nothing (it stays in the row, outside the
// chain, and is reported).
func (p *Approver) vote(ctx context.Context, id string, reviewer gate.Identity, approve bool, reason string, grant *gate.GrantSpec) (gate.Verdict, error) {
	if err := p.expire(ctx); err != nil {
		return gate.Verdict{}, fmt.Errorf("pgapproval: vote: %w", err)
	}
	var v gate.Verdict
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		r, err := p.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if r.State != gate.ReviewPending {
			v = gate.Verdict{ID: r.ID, State: r.State}
			if pv, err := p.prove(r); err == nil {
				v = pv.Verdict()
			}
			return fmt.Errorf("%w: %s is %s", approval.ErrNotPending, id, r.State)
		}
		pv, err := p.prove(r)
		if err != nil {
			return fmt.Errorf("pgapproval: vote: %w", err)
		}
		pd := &pv.Pending
		if err := pd.Vote(reviewer, approve, reason, grant, time.Now()); err != nil {
			return err
		}
		// Every vote of the row stays, the new one chained to the last
		// that verifies.
		stored := make([]storedVote, 0, len(r.Votes)+1)
		for i, vote := range r.Votes {
			stored = append(stored, storedVote{Vote: vote, MAC: r.macs[i]})
		}
		n := len(pd.Votes) - 1
		stored = append(stored, storedVote{Vote: pd.Votes[n], MAC: p.seal.sum(voteMessage(r.seal, pv.last, n, pd.Votes[n]))})
		var granted []byte
		if pd.Grant != nil {
			if granted, err = json.Marshal(pd.Grant); err != nil {
				return err
			}
			g := pd.Grant
			if _, err := tx.Exec(ctx, `INSERT INTO airlock_grants (id, review_id, subject, doc, max_uses, created_at, expires_at, seal)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, g.ID, id, g.Subject, granted, g.MaxUses, g.CreatedAt, g.ExpiresAt, p.seal.sum(grantMessage(r.seal, *g))); err != nil {
				return err
			}
		}
		votes, err := json.Marshal(stored)
		if err != nil {
			return err
		}
		var decided *time.Time
		if !pd.DecidedAt.IsZero() {
			decided = &pd.DecidedAt
		}
		if _, err := tx.Exec(ctx, `UPDATE airlock_reviews SET state = $2, votes = $3, reason = $4, break_glass = $5, decided_at = $6, granted = $7 WHERE id = $1`,
			id, string(pd.State), votes, pd.Reason, pd.BreakGlass, decided, granted); err != nil {
			return err
		}
		v = pd.Verdict()
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, id)
		return err
	})
	return v, err
}

// Approve casts an approving vote.
func (p *Approver) Approve(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error) {
	return p.Vote(ctx, id, reviewer, true, reason)
}

// Deny casts a denying vote.
func (p *Approver) Deny(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error) {
	return p.Vote(ctx, id, reviewer, false, reason)
}

// Withdraw ends a pending review.
func (p *Approver) Withdraw(ctx context.Context, id string) error {
	tag, err := p.pool.Exec(ctx, `UPDATE airlock_reviews SET state = 'withdrawn', reason = $2, decided_at = now() WHERE id = $1 AND state = 'pending'`, id, reasonWithdrawn)
	if err != nil {
		return fmt.Errorf("pgapproval: withdraw: %w", err)
	}
	if tag.RowsAffected() == 0 {
		pd, err := p.load(ctx, nil, id, false)
		if err != nil {
			return fmt.Errorf("%w: %s", err, id)
		}
		return fmt.Errorf("%w: %s is %s", approval.ErrNotPending, id, pd.State)
	}
	_, _ = p.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, id)
	return nil
}

// consumeApproval marks the approved review pd consumed; false when it
// was used already, by another replica or by this Approver (a consumed
// review set back to approved in the table is not used twice here).
func (p *Approver) consumeApproval(ctx context.Context, pd approval.Pending) (bool, error) {
	if p.spent.has(pd.ID) {
		return false, nil
	}
	ok, err := p.consume(ctx, pd.ID, string(gate.ReviewApproved), "consumed")
	if ok {
		p.spent.add(pd.ID, pd.Request.ExpiresAt, time.Now())
	}
	return ok, err
}

// consume turns an approved review into a consumed one (a denied one into
// a reported one); exactly one caller across all replicas succeeds, and
// never after the review's expiry.
func (p *Approver) consume(ctx context.Context, id, from, to string) (bool, error) {
	tag, err := p.pool.Exec(ctx, `UPDATE airlock_reviews SET state = $3 WHERE id = $1 AND state = $2
AND ($2 <> 'approved' OR expires_at > now())`, id, from, to)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// Await blocks until the review is decided or expires, or ctx ends. An
// approval it returns is consumed. All the Await calls of an Approver
// share one LISTEN connection, so held requests never exhaust the pool;
// while it reconnects, they poll every Options.Poll.
func (p *Approver) Await(ctx context.Context, id string) (gate.Verdict, error) {
	p.listener.join()
	defer p.listener.leave()
	poll := p.opts.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		changed := p.listener.next()
		if err := p.expire(ctx); err != nil && ctx.Err() == nil {
			return gate.Verdict{}, fmt.Errorf("pgapproval: await: %w", err)
		}
		r, err := p.load(ctx, nil, id, false)
		if err != nil {
			if ctx.Err() != nil {
				return gate.Verdict{}, ctx.Err()
			}
			return gate.Verdict{}, fmt.Errorf("pgapproval: await %s: %w", id, err)
		}
		switch r.State {
		case gate.ReviewApproved:
			pv, err := p.proveApproval(ctx, r)
			if err != nil {
				return gate.Verdict{}, fmt.Errorf("pgapproval: await: %w", err)
			}
			ok, err := p.consumeApproval(ctx, pv.Pending)
			if err != nil {
				return gate.Verdict{}, fmt.Errorf("pgapproval: consume %s: %w", id, err)
			}
			if !ok {
				return gate.Verdict{}, fmt.Errorf("%w: %s", approval.ErrConsumed, id)
			}
			return pv.Verdict(), nil
		case gate.ReviewPending:
		default:
			pv, err := p.proveVerdict(ctx, r)
			if err != nil {
				return gate.Verdict{}, fmt.Errorf("pgapproval: await: %w", err)
			}
			return pv.Verdict(), nil
		}
		d := min(time.Until(r.Request.ExpiresAt), poll)
		if err := wait.For(ctx, changed, max(d, 10*time.Millisecond)); err != nil {
			return gate.Verdict{}, err
		}
	}
}

// Redeem returns the newest review for digest, consuming an approval and
// reporting a denial once.
func (p *Approver) Redeem(ctx context.Context, digest string) (gate.Verdict, error) {
	if err := p.expire(ctx); err != nil {
		return gate.Verdict{}, fmt.Errorf("pgapproval: redeem: %w", err)
	}
	r, err := p.newest(ctx, digest)
	if errors.Is(err, approval.ErrUnknownReview) {
		return gate.Verdict{}, nil
	}
	if err != nil {
		return gate.Verdict{}, fmt.Errorf("pgapproval: redeem: %w", err)
	}
	switch r.State {
	case gate.ReviewPending:
		pv, err := p.prove(r)
		if err != nil {
			return gate.Verdict{}, fmt.Errorf("pgapproval: redeem: %w", err)
		}
		return pv.Verdict(), nil
	case gate.ReviewApproved:
		pv, err := p.proveApproval(ctx, r)
		if err != nil {
			return gate.Verdict{}, fmt.Errorf("pgapproval: redeem: %w", err)
		}
		ok, err := p.consumeApproval(ctx, pv.Pending)
		if err != nil {
			return gate.Verdict{}, fmt.Errorf("pgapproval: redeem: %w", err)
		}
		if !ok {
			// Another replica used it first.
			return gate.Verdict{}, nil
		}
		return pv.Verdict(), nil
	case gate.ReviewDenied:
		// A denial is reported once, proven or not; one that is not
		// proven is reported as an error, never with the votes and
		// reason someone wrote in.
		pv, perr := p.proveVerdict(ctx, r)
		ok, err := p.consume(ctx, r.ID, string(gate.ReviewDenied), string(stateReported))
		if err != nil {
			return gate.Verdict{}, fmt.Errorf("pgapproval: redeem: %w", err)
		}
		if !ok {
			// Another replica reported it first.
			return gate.Verdict{}, nil
		}
		if perr != nil {
			return gate.Verdict{}, fmt.Errorf("pgapproval: redeem: %w", perr)
		}
		return pv.Verdict(), nil
	}
	return gate.Verdict{}, nil
}

// newest returns the newest review of digest that is the Approver's
// writing: rows whose seal does not verify (written in by someone without
// the key, newest or not) are skipped and reported, so that they hide no
// real review.
func (p *Approver) newest(ctx context.Context, digest string) (storedReview, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+reviewColumns+` FROM airlock_reviews WHERE digest = $1 ORDER BY created_at DESC`, digest)
	if err != nil {
		return storedReview{}, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanReview(rows)
		if err == nil {
			_, err = p.seal.checkReview(r)
		}
		if err == nil || !isUnproven(err) || r.ID == "" {
			return r, err
		}
		p.report.unproven("review "+r.ID, err, "the review is skipped; the real reviews of its request still count")
	}
	if err := rows.Err(); err != nil {
		return storedReview{}, err
	}
	return storedReview{}, approval.ErrUnknownReview
}

// Pending lists the open reviews, oldest first.
func (p *Approver) Pending(ctx context.Context) ([]approval.Pending, error) {
	if err := p.expire(ctx); err != nil {
		return nil, fmt.Errorf("pgapproval: pending: %w", err)
	}
	out, err := p.list(ctx, `WHERE state = 'pending' ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("pgapproval: pending: %w", err)
	}
	return out, nil
}

// History lists decided reviews, newest first (at most approval.DefaultHistoryLimit).
func (p *Approver) History(ctx context.Context) ([]approval.Pending, error) {
	// An expiry nobody swept yet belongs in the history.
	if err := p.expire(ctx); err != nil {
		return nil, fmt.Errorf("pgapproval: history: %w", err)
	}
	out, err := p.list(ctx, fmt.Sprintf(`WHERE state <> 'pending' ORDER BY decided_at DESC NULLS LAST LIMIT %d`, approval.DefaultHistoryLimit))
	if err != nil {
		return nil, fmt.Errorf("pgapproval: history: %w", err)
	}
	return out, nil
}

// Review returns one review, pending or decided. A review whose seal does
// not verify is returned with Unproven set (and can be neither voted on
// nor used).
func (p *Approver) Review(ctx context.Context, id string) (approval.Pending, error) {
	r, err := p.load(ctx, nil, id, false)
	if err != nil {
		return r.Pending, fmt.Errorf("pgapproval: review %s: %w", id, err)
	}
	return p.shown(r), nil
}

// shown returns a review for reviewers to see: as proven (see prove), or
// as read and marked Unproven when it cannot be.
func (p *Approver) shown(r storedReview) approval.Pending {
	pv, err := p.prove(r)
	if err != nil {
		r.Unproven = err.Error()
		return r.Pending
	}
	return pv.Pending
}

func (p *Approver) list(ctx context.Context, where string) ([]approval.Pending, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+reviewColumns+` FROM airlock_reviews `+where)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approval.Pending
	for rows.Next() {
		r, err := scanReview(rows)
		if isUnproven(err) {
			// A row that does not even decode is shown as such; it does
			// not hide the others.
			out = append(out, approval.Pending{ID: r.ID, State: r.State, Unproven: err.Error()})
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p.shown(r))
	}
	return out, rows.Err()
}
