package gate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// review drives the approver for a decision whose action is Review.
func (g *Gate) review(ctx context.Context, req *Request, d *Decision, rs *RuleSet, shown *reviewView) (*Decision, error) {
	s := req.Session
	if g.approver == nil {
		return g.finish(ctx, req, d, Deny, "no approver is configured to review this request", errors.New("review: no approver"))
	}
	policy := ReviewPolicy{}
	if d.Review != nil {
		policy = *d.Review
	}
	policy = policy.WithDefaults()
	d.Review = &policy
	digest := reviewDigest(req, rs.Version())

	if g.mode == RefuseThenRetry {
		v, err := g.approver.Redeem(ctx, digest)
		if err != nil {
			return g.finish(ctx, req, d, Deny, "the approver is unavailable", err)
		}
		switch v.State {
		case ReviewApproved:
			d.ApprovalID = v.ID
			g.recordVerdict(ctx, s, d, v)
			g.recordApproval(ctx, s, EventApprovalConsumed, &ApprovalInfo{ID: v.ID, DecisionID: d.ID, State: ReviewConsumed})
			return g.finish(ctx, req, d, Allow, "", nil)
		case ReviewDenied:
			d.ApprovalID = v.ID
			g.recordVerdict(ctx, s, d, v)
			return g.finish(ctx, req, d, Deny, reviewReason("denied by review", v), nil)
		}
		if g.applyGrant(ctx, req, d, shown.grants) {
			return g.finish(ctx, req, d, Allow, d.Reason, nil)
		}
		switch v.State {
		case ReviewPending:
			d.ApprovalID = v.ID
			return d, &RefusedError{Decision: d, ApprovalID: v.ID}
		case ReviewExpired:
			// Nobody waited on it, so nothing recorded its end yet.
			g.recordApproval(ctx, s, EventApprovalExpired, &ApprovalInfo{ID: v.ID, DecisionID: d.ID, State: ReviewExpired})
		}
		id, err := g.submit(ctx, req, d, rs, digest, policy, shown)
		if err != nil {
			return g.finish(ctx, req, d, Deny, "the approver is unavailable", err)
		}
		return d, &RefusedError{Decision: d, ApprovalID: id}
	}

	id, err := g.submit(ctx, req, d, rs, digest, policy, shown)
	if err != nil {
		return g.finish(ctx, req, d, Deny, "the approver is unavailable", err)
	}
	expires := g.now().Add(policy.TTL)
	actx, cancel := context.WithDeadline(ctx, expires)
	defer cancel()
	v, err := g.approver.Await(actx, id)
	if err != nil {
		// Whatever went wrong, the review must not stay open for a request
		// nobody waits for any more.
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer wcancel()
		werr := g.approver.Withdraw(wctx, id)
		switch {
		case ctx.Err() != nil:
			g.recordApproval(ctx, s, EventApprovalWithdrawn, &ApprovalInfo{ID: id, DecisionID: d.ID, State: ReviewWithdrawn, Reason: "client gave up: " + ctx.Err().Error()})
			return g.finish(ctx, req, d, Deny, "the request was withdrawn before review", ctx.Err())
		case actx.Err() != nil:
			if werr == nil {
				g.recordApproval(ctx, s, EventApprovalExpired, &ApprovalInfo{ID: id, DecisionID: d.ID, State: ReviewExpired})
			}
			return g.finish(ctx, req, d, Deny, "the review expired", nil)
		default:
			return g.finish(ctx, req, d, Deny, "the approver is unavailable", err)
		}
	}
	g.recordVerdict(ctx, s, d, v)
	switch v.State {
	case ReviewApproved:
		g.recordApproval(ctx, s, EventApprovalConsumed, &ApprovalInfo{ID: id, DecisionID: d.ID, State: ReviewConsumed})
		return g.finish(ctx, req, d, Allow, "", nil)
	case ReviewDenied:
		return g.finish(ctx, req, d, Deny, reviewReason("denied by review", v), nil)
	case ReviewExpired:
		return g.finish(ctx, req, d, Deny, "the review expired", nil)
	case ReviewWithdrawn:
		return g.finish(ctx, req, d, Deny, "the review was withdrawn", nil)
	}
	return g.finish(ctx, req, d, Deny, "the approver returned no verdict", errors.New("review: unexpected state "+string(v.State)))
}

func (g *Gate) submit(ctx context.Context, req *Request, d *Decision, rs *RuleSet, digest string, policy ReviewPolicy, shown *reviewView) (string, error) {
	now := g.now().UTC()
	rr := ReviewRequest{
		Digest: digest, SessionID: req.Session.ID, Requester: req.Session.Identity,
		Protocol: req.Protocol, Target: req.Session.Target, Command: shown.command,
		Rules: d.Rules, Reason: d.Reason, Policy: policy, RuleSetVersion: rs.Version(),
		CreatedAt: now, ExpiresAt: now.Add(policy.TTL),
		Details: shown.details, RequesterReason: shown.reason, ReviewRules: d.ReviewRules,
		ExactKey: shown.exact, ShapeKey: shown.shapeKey, Shape: shown.shape,
		PolicyParts: policy.RuleParts,
	}
	id, err := g.approver.Submit(ctx, rr)
	if err != nil {
		return "", err
	}
	d.ApprovalID = id
	exp := rr.ExpiresAt
	err = g.recordApproval(ctx, req.Session, EventApprovalRequested, &ApprovalInfo{
		ID: id, DecisionID: d.ID, State: ReviewPending, Digest: digest, Rules: d.Rules,
		Reason: d.Reason, ExpiresAt: &exp, Policy: &policy, RequesterReason: shown.reason,
	})
	if err != nil && !g.failOpen {
		// A review nobody can audit must not go ahead.
		_ = g.approver.Withdraw(context.WithoutCancel(ctx), id)
		return "", err
	}
	return id, nil
}

// reviewView is what reviewers will see of a held request, masked.
type reviewView struct {
	command, reason string
	details         *ReviewDetails
	exact, shapeKey string
	shape           string
	grants          *grantLookup
}

// beforeReview settles what must be settled before a request is held: a
// required requester reason, an active grant that allows it instead, and
// whether it can be shown to reviewers at all. It changes d to a deny or an
// allow when one of them decides, and returns what reviewers will see.
func (g *Gate) beforeReview(ctx context.Context, req *Request, d *Decision, rs *RuleSet, grants *grantLookup) *reviewView {
	pol := ReviewPolicy{}
	if d.Review != nil {
		pol = *d.Review
	}
	if pol.RequireRequesterReason && req.Reason == "" {
		d.Action = Deny
		d.Reason = "a reason is required for this request; give one with the " + ReasonHeader +
			" header (HTTP), a /* reason: ... */ comment (SQL) or the " + ReasonArg + " argument (tools)"
		return nil
	}
	// In refuse-then-retry mode an approval of this very request is used
	// before any grant (review does that); in hold mode there is none yet.
	if g.mode != RefuseThenRetry && g.applyGrant(ctx, req, d, grants) {
		return nil
	}
	names := slices.Clone(DisplayMask)
	for _, n := range d.Mask {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	mp, err := rs.Masks().Policy(names)
	if err != nil {
		d.Action, d.Rule, d.Reason = Deny, "gate", "the request could not be masked for review"
		d.Errors = append(d.Errors, "mask: "+err.Error())
		return nil
	}
	det, _ := details(req, mp)
	dm := reviewMasker(req, mp)
	// The command and the parts shown as text are masked again so that
	// no mask covers code or structure (showSQL, showPlain).
	var cmd, shape string
	if req.SQL != nil {
		cmd = showSQL(det, dm, req.Command)
		shape, _ = dm.sqlText(Shape(req))
	} else {
		cmd = showPlain(det, dm, req)
		shape, _ = dm.plainText(Shape(req))
	}
	addStatementsRun(det, req, dm)
	markCutParams(det, req)
	v := &reviewView{command: cmd, details: det, grants: grants}
	v.reason, _ = dm.plainText(req.Reason)
	v.reason = visible(v.reason, markHidden)
	v.exact, v.shapeKey = GrantKeys(req)
	v.shape = visible(shape, markHidden)
	if pol.RequireDisplayable && det.Undisplayable {
		d.Action = Deny
		d.Reason = "the request cannot be shown to reviewers in full (" + det.omitted() + "), so it is refused instead of held"
		return nil
	}
	return v
}

// recordVerdict records each vote and the outcome of a decided review.
func (g *Gate) recordVerdict(ctx context.Context, s *Session, d *Decision, v Verdict) {
	for _, vote := range v.Votes {
		rv := vote.Reviewer
		_ = g.RecordEvent(ctx, s, Event{Kind: EventApprovalReviewed, Time: vote.Time, Approval: &ApprovalInfo{
			ID: v.ID, DecisionID: d.ID, Reviewer: &rv, Approve: vote.Approve, Reason: vote.Reason, BreakGlass: vote.BreakGlass,
		}})
	}
	kind := EventApprovalDenied
	if v.State == ReviewApproved {
		kind = EventApprovalApproved
	} else if v.State == ReviewExpired {
		kind = EventApprovalExpired
	} else if v.State == ReviewWithdrawn {
		kind = EventApprovalWithdrawn
	}
	_ = g.recordApproval(ctx, s, kind, &ApprovalInfo{ID: v.ID, DecisionID: d.ID, State: v.State, Reason: v.Reason, BreakGlass: v.BreakGlass, Grant: v.Grant})
}

func (g *Gate) recordApproval(ctx context.Context, s *Session, kind EventKind, a *ApprovalInfo) error {
	return g.RecordEvent(context.WithoutCancel(ctx), s, Event{Kind: kind, Approval: a})
}

// finish settles a reviewed decision, records it, and returns what Check
// returns.
func (g *Gate) finish(ctx context.Context, req *Request, d *Decision, action Action, reason string, cause error) (*Decision, error) {
	d.Action = action
	d.Reviewed = true
	if reason != "" {
		d.Reason = reason
	}
	if cause != nil {
		d.Errors = append(d.Errors, cause.Error())
	}
	if d.Review != nil || d.ApprovalID != "" {
		outcome := string(action)
		if reason == "the review expired" {
			outcome = "expired"
		} else if cause != nil {
			outcome = "error"
		}
		g.metrics.review(ctx, outcome, d.Time)
	}
	d.Time = g.now().UTC()
	if err := g.settleRun(ctx, req, d); err != nil {
		runsFailed(d, err)
		_ = g.countRun(ctx, req.Session, MetricRefusals, 1, d.Time)
	}
	g.metrics.decision(ctx, d, req.Protocol)
	s := req.Session
	id := s.Identity
	err := g.record(context.WithoutCancel(ctx), Event{Kind: EventDecision, SessionID: s.ID, Time: d.Time, Identity: &id, Decision: d.clone()})
	if err != nil && !g.recordFailed(d, err) {
		s.stats.countDenied()
		return d, &RefusedError{Decision: d}
	}
	if d.Action != Allow {
		s.stats.countDenied()
		return d, &RefusedError{Decision: d}
	}
	return d, nil
}

func reviewReason(prefix string, v Verdict) string {
	if v.Reason != "" {
		return prefix + ": " + v.Reason
	}
	return prefix
}

// addStatementsRun shows reviewers the statements a SQL message runs that
// its text does not spell out: what an EXECUTE runs is the statement
// prepared under its name, which the approval is bound to as well.
func addStatementsRun(det *ReviewDetails, req *Request, m displayMasker) {
	if req.SQL == nil || det == nil {
		return
	}
	var runs []string
	for _, st := range req.SQL.Statements {
		if st.Text != "" && !strings.Contains(req.Command, st.Text) {
			runs = append(runs, st.Text)
		}
	}
	if len(runs) > 0 {
		det.addSQL(m, "Runs", strings.Join(runs, ";\n"))
	}
}
