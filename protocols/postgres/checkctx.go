package postgres

import (
	"context"

	"github.com/airlock-sdk/airlock/gate"
)

// checkContext is the context the client goroutine's checks run under:
// cancelled by the client's cancel request or its going away while a
// statement is held. A context per check costs two allocations and a
// registration with the session's context on every statement, so one is
// kept from check to check while nothing cancelled it and the check that
// used it ended with the rules' own decision (no review, no approver, no
// grant store: code outside the gate that might still watch it).
type checkContext struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// context returns the context for the next check, a new one when the last
// was cancelled or given up, and the function that cancels it.
func (k *checkContext) context(parent context.Context) (context.Context, context.CancelFunc) {
	if k.ctx == nil || k.ctx.Err() != nil {
		k.ctx, k.cancel = context.WithCancel(parent)
	}
	return k.ctx, k.cancel
}

// done ends a check: keep says whether its context may serve the next one;
// if not, it is cancelled now, as a context per check would be.
func (k *checkContext) done(keep bool) {
	if keep || k.cancel == nil {
		return
	}
	k.cancel()
	k.ctx, k.cancel = nil, nil
}

// decidedByRules reports whether d was made by the rules alone, with no
// review, approval or grant: nothing outside the gate saw the check's
// context.
func decidedByRules(d *gate.Decision) bool {
	return d != nil && d.Action == gate.Allow && d.Review == nil && !d.Reviewed && d.ApprovalID == "" && d.Grant == "" &&
		len(d.ReviewRules) == 0
}
