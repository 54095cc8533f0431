package pgapproval

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
)

// Reasons the Approver writes for the ends of a review that no vote
// decides. A verdict carries them as derived from the sealed votes, never
// as read from the reason column.
const (
	reasonExpired       = "the review expired"
	reasonExpiredUnused = "the approval was not used before the review expired"
	reasonWithdrawn     = "withdrawn by the requester"
	reasonNotOurs       = "ended: not this approver's writing (its seal does not verify)"
)

// stateReported is the state of a denied review once Redeem reported it.
const stateReported gate.ReviewState = "reported"

// proven is a review as its sealed data says it stands.
type proven struct {
	approval.Pending
	last []byte // the MAC of the last vote in Votes (see chain)
}

// prove returns review r as its sealed data makes it: its seal verifies,
// its votes are those of the verified chain (votes that do not verify are
// left out and reported), replayed in order under the review's own
// request and policy; and the state column agrees with that replay. Every
// field a verdict carries comes from there: the votes (as sealed, the
// reviewer's claims included; a vote sealed before claims were has
// none), the reason and
// break-glass of the deciding vote, the grant the votes give (only its
// id is the granted column's; see proveGivenGrant). The reason column and
// the break_glass column are not read. State and DecidedAt are the
// columns' (the states after a decision are not sealed; see
// Options.SealKey), checked against the replay: a review whose votes do
// not decide it is never approved, denied or consumed.
func (p *Approver) prove(r storedReview) (proven, error) {
	c, err := p.seal.checkReview(r)
	if err != nil {
		return proven{}, err
	}
	for _, i := range c.forged {
		p.report.unproven(fmt.Sprintf("vote %d of review %s", i+1, r.ID),
			unsealed(fmt.Sprintf("vote %d of review %s", i+1, r.ID)), "the vote is ignored; the review's other votes still count")
	}
	replay := approval.Pending{ID: r.ID, Request: r.Request, State: gate.ReviewPending}
	for i, v := range c.votes {
		if replay.State != gate.ReviewPending {
			return proven{}, fmt.Errorf("%w: review %s has votes after the one that decided it", approval.ErrUnproven, r.ID)
		}
		if err := replay.Vote(v.Reviewer, v.Approve, v.Reason, v.Grant, v.Time); err != nil {
			return proven{}, fmt.Errorf("%w: review %s: vote %d: %w", approval.ErrUnproven, r.ID, i+1, err)
		}
	}
	var agrees bool
	switch r.State {
	case gate.ReviewPending:
		agrees = replay.State == gate.ReviewPending
	case gate.ReviewApproved, gate.ReviewConsumed:
		agrees = replay.State == gate.ReviewApproved
	case gate.ReviewDenied, stateReported:
		agrees = replay.State == gate.ReviewDenied
	case gate.ReviewExpired:
		agrees = replay.State == gate.ReviewPending || replay.State == gate.ReviewApproved
		replay.Reason = reasonExpired
		if replay.State == gate.ReviewApproved {
			replay.Reason = reasonExpiredUnused
		}
	case gate.ReviewWithdrawn:
		agrees = replay.State == gate.ReviewPending
		replay.Reason = reasonWithdrawn
	}
	if !agrees {
		return proven{}, fmt.Errorf("%w: review %s is marked %s but its votes make it %s", approval.ErrUnproven, r.ID, r.State, replay.State)
	}
	switch {
	case replay.Grant == nil && r.Grant != nil:
		return proven{}, fmt.Errorf("%w: review %s shows a grant its votes do not give", approval.ErrUnproven, r.ID)
	case replay.Grant != nil && r.Grant == nil:
		return proven{}, fmt.Errorf("%w: review %s does not show the grant its votes give", approval.ErrUnproven, r.ID)
	case replay.Grant != nil:
		replay.Grant.ID = r.Grant.ID
	}
	replay.State, replay.DecidedAt = r.State, r.DecidedAt
	return proven{Pending: replay, last: c.last}, nil
}

// proveGivenGrant verifies the id of the grant g that review r gave (the
// only field of it that prove takes from the granted column): the grant
// row of that id carries the seal of exactly g, given by r.
func (p *Approver) proveGivenGrant(ctx context.Context, r storedReview, g *gate.Grant) error {
	if g == nil || !p.seal.on() {
		return nil
	}
	var seal []byte
	err := p.pool.QueryRow(ctx, `SELECT seal FROM airlock_grants WHERE id = $1`, g.ID).Scan(&seal)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: the grant review %s gave (%s) is not kept", approval.ErrUnproven, r.ID, g.ID)
	}
	if err != nil {
		return err
	}
	return p.seal.checkGrant(r, *g, seal)
}

// proveVerdict returns r as a verdict may carry it: proven (see prove),
// with the id of its grant verified (see proveGivenGrant).
func (p *Approver) proveVerdict(ctx context.Context, r storedReview) (proven, error) {
	pv, err := p.prove(r)
	if err != nil {
		return pv, err
	}
	return pv, p.proveGivenGrant(ctx, r, pv.Grant)
}

// proveApproval returns r, marked approved, as it may be used: as
// proveVerdict returns it, and not past the expiry the gate filed it with
// (approval.CheckApproved).
func (p *Approver) proveApproval(ctx context.Context, r storedReview) (proven, error) {
	pv, err := p.proveVerdict(ctx, r)
	if err != nil {
		return pv, err
	}
	return pv, approval.CheckApproved(pv.Pending, time.Now())
}

// isUnproven reports whether err says a row is not the Approver's own
// writing (rather than that the database failed).
func isUnproven(err error) bool {
	return errors.Is(err, approval.ErrUnproven) || errors.Is(err, approval.ErrUnknownReview)
}
