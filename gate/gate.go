package gate

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.opentelemetry.io/otel/metric"

	"github.com/airlock-sdk/airlock/internal/fieldhash"
)

// ReviewMode chooses how the gate treats a request that a rule holds for
// review.
type ReviewMode int

const (
	// Hold blocks Check until the review is decided, expires, or the
	// caller's context ends (then the review is withdrawn).
	Hold ReviewMode = iota
	// RefuseThenRetry refuses at once with a RefusedError carrying the
	// approval id; once approved, the identical request succeeds exactly once.
	RefuseThenRetry
)

// Config wires a Gate. The zero value of every field but Rules is usable:
// with no Approver, reviews are denied; with no Recorder, nothing is
// recorded (only sensible in tests).
type Config struct {
	// Rules is the initial rule set; nil denies everything until SetRules.
	Rules *RuleSet
	// Approver decides held requests.
	Approver Approver
	// Recorder stores session events.
	Recorder Recorder
	// ReviewMode is Hold (default) or RefuseThenRetry.
	ReviewMode ReviewMode
	// FailOpen lets requests through when the recorder fails. Off by
	// default; when on, sessions and decisions are marked as fail-open.
	FailOpen bool
	// Logger receives operational logs; nil means silence.
	Logger hclog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Grants keeps the grants reviewers give (just-in-time access); nil
	// means the Approver's, when it implements GrantStore, else none.
	Grants GrantStore
	// MeterProvider receives the gate's metrics (decisions by action and
	// rule, review latency and outcomes, masking findings by detector,
	// recorder lag and failures); nil means none.
	MeterProvider metric.MeterProvider
	// Interceptors wrap the rules, the first outermost (see Interceptor).
	Interceptors []Interceptor
	// Runs turns on runs: labels and budgets across the sessions of one
	// agent (see RunStore); nil means off.
	Runs *RunConfig
}

// Gate is the protocol-agnostic core: it evaluates rules, drives reviews and
// records decisions. It is safe for concurrent use; the rule set can be
// swapped while requests are in flight.
type Gate struct {
	rules    atomic.Pointer[RuleSet]
	approver Approver
	grants   GrantStore
	recorder Recorder
	mode     ReviewMode
	failOpen bool
	log      hclog.Logger
	now      func() time.Time
	metrics  *metrics
	// interceptors wrap the rules; see Interceptor.
	interceptors []Interceptor
	// runs is nil when runs are off.
	runs *RunConfig
}

// New returns a Gate for cfg.
func New(cfg Config) *Gate {
	g := &Gate{
		approver: cfg.Approver,
		grants:   cfg.Grants,
		recorder: cfg.Recorder,
		mode:     cfg.ReviewMode,
		failOpen: cfg.FailOpen,
		log:      cfg.Logger,
		now:      cfg.Now,
		metrics:  newMetrics(cfg.MeterProvider),

		interceptors: append([]Interceptor(nil), cfg.Interceptors...),
	}
	if cfg.Runs != nil && cfg.Runs.Store != nil {
		rc := *cfg.Runs
		g.runs = &rc
	}
	if g.log == nil {
		g.log = hclog.NewNullLogger()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.grants == nil {
		g.grants, _ = cfg.Approver.(GrantStore)
	}
	if cfg.Rules != nil {
		g.rules.Store(cfg.Rules)
	}
	return g
}

// SetRules atomically replaces the rule set. Requests already being decided
// finish with the old set.
func (g *Gate) SetRules(rs *RuleSet) {
	old := g.rules.Swap(rs)
	if old == nil || rs == nil || old.Version() != rs.Version() {
		g.log.Info("rule set swapped", "from", old.Version(), "to", rs.Version())
	}
}

// Rules returns the rule set in force (nil if none).
func (g *Gate) Rules() *RuleSet { return g.rules.Load() }

// Logger returns the gate's logger, never nil.
func (g *Gate) Logger() hclog.Logger { return g.log }

// OpenSession fills in the session's ID and Start when unset and records its
// start. An error means the session could not be recorded: refuse the client.
func (g *Gate) OpenSession(ctx context.Context, s *Session) error {
	if s == nil {
		return errors.New("gate: open session: nil session")
	}
	if s.ID == "" {
		s.ID = NewID()
	}
	if s.Start.IsZero() {
		s.Start = g.now().UTC()
	}
	if s.settings == nil {
		s.settings = &recordedSettings{}
	}
	if err := g.openRun(ctx, s); err != nil {
		return err
	}
	id := s.Identity
	err := g.record(ctx, Event{
		Kind: EventSessionStart, SessionID: s.ID, Time: s.Start, Identity: &id,
		Session: &SessionInfo{Protocol: s.Protocol, Target: s.Target, ClientAddr: s.ClientAddr, Run: s.Run, Start: s.Start, FailOpen: g.failOpen},
	})
	if err != nil && !g.failOpen {
		return fmt.Errorf("gate: record session start: %w", err)
	}
	return nil
}

// CloseSession records the end of s with the reason ("client closed",
// "shutdown", an error text).
func (g *Gate) CloseSession(ctx context.Context, s *Session, reason string) error {
	st := s.stats.snapshot(g.now())
	id := s.Identity
	err := g.record(ctx, Event{
		Kind: EventSessionEnd, SessionID: s.ID, Time: g.now().UTC(), Identity: &id,
		Session: &SessionInfo{Protocol: s.Protocol, Target: s.Target, ClientAddr: s.ClientAddr, Run: s.Run, Start: s.Start,
			Reason: reason, Requests: st.Requests, Denied: st.Denied},
	})
	if err != nil {
		return fmt.Errorf("gate: record session end: %w", err)
	}
	return nil
}

// RecordOutput records what the client received (already masked) for a
// decision of session s.
func (g *Gate) RecordOutput(ctx context.Context, s *Session, out Output) error {
	g.metrics.masked(ctx, out.Findings)
	if g.recorder == nil {
		return nil
	}
	return g.recordOutput(ctx, s, out)
}

// recordOutput is RecordOutput's event: out and the identity move to the
// heap (the event points at them) only when there is a recorder.
func (g *Gate) recordOutput(ctx context.Context, s *Session, out Output) error {
	x := &outputEvent{id: s.Identity, out: out} // one allocation for both
	if err := g.record(ctx, Event{Kind: EventOutput, SessionID: s.ID, Time: g.now().UTC(), Identity: &x.id, Output: &x.out}); err != nil {
		return fmt.Errorf("gate: record output: %w", err)
	}
	return nil
}

// outputEvent holds what an output event points at.
type outputEvent struct {
	id  Identity
	out Output
}

// RecordEvent records any event for session s, filling in session id, time
// and identity when unset.
func (g *Gate) RecordEvent(ctx context.Context, s *Session, e Event) error {
	if e.SessionID == "" {
		e.SessionID = s.ID
	}
	if e.Time.IsZero() {
		e.Time = g.now().UTC()
	}
	if e.Identity == nil {
		id := s.Identity
		e.Identity = &id
	}
	return g.record(ctx, e)
}

func (g *Gate) record(ctx context.Context, e Event) error {
	if g.recorder == nil {
		return nil
	}
	var start time.Time
	if g.metrics.timed() {
		start = time.Now()
	}
	err := g.recorder.Record(ctx, e)
	if g.metrics.timed() {
		g.metrics.recorded(ctx, e.Kind, time.Since(start), err)
	}
	if err != nil {
		g.log.Error("recorder failed", "kind", e.Kind, "session", e.SessionID, "error", err)
		return err
	}
	return nil
}

// Check runs the whole decision flow for req: rules, review, record. It
// returns the decision and a nil error only when the request may be
// forwarded; otherwise the error is a *RefusedError whose message is safe to
// show the client.
func (g *Gate) Check(ctx context.Context, req *Request) (*Decision, error) {
	now := g.now()
	if req.Time.IsZero() {
		req.Time = now.UTC()
	}
	s := req.Session
	if s == nil {
		d := &Decision{ID: NewID(), Action: Deny, Rule: "gate", Reason: "request has no session", Time: now.UTC()}
		return d, &RefusedError{Decision: d}
	}
	if req.Protocol == "" {
		req.Protocol = s.Protocol
	}
	rs := g.rules.Load()
	if req.Reason == "" {
		req.Reason = RequesterReason(req)
	} else {
		req.Reason = cleanReason(req.Reason)
	}
	var grants *grantLookup
	if g.grants != nil && g.grantsRead(rs) {
		gctx := newGrantContext(ctx, g.grants, s.Identity.Subject)
		grants, ctx = &gctx.lookup, gctx
	}
	if g.needsRunLookup(rs) {
		if runs := g.runLookupFor(req); runs != nil {
			ctx = withRunLookup(ctx, runs)
		}
	}
	d := g.decide(ctx, rs, req)
	d.ID = NewID()
	s.stats.countRequest(now)
	if err := g.countRun(ctx, s, MetricRequests, 1, now); err != nil {
		runsFailed(d, err)
	}
	var shown *reviewView
	if d.Action == Review {
		if grants == nil && g.grants != nil {
			grants = &grantLookup{store: g.grants, subject: s.Identity.Subject}
		}
		shown = g.beforeReview(ctx, req, d, rs, grants)
	}
	if d.Action != Review {
		if err := g.settleRun(ctx, req, d); err != nil {
			runsFailed(d, err)
			_ = g.countRun(ctx, s, MetricRefusals, 1, now)
		}
	}
	g.explainLabels(ctx, rs, d)

	if err := g.recordDecision(ctx, s, req, d); err != nil {
		if !g.recordFailed(d, err) {
			s.stats.countDenied()
			g.metrics.decision(ctx, d, req.Protocol)
			return d, &RefusedError{Decision: d}
		}
	}
	if d.Action != Review {
		g.metrics.decision(ctx, d, req.Protocol)
	}
	switch d.Action {
	case Allow:
		return d, nil
	case Review:
		return g.review(ctx, req, d, rs, shown)
	default:
		s.stats.countDenied()
		return d, &RefusedError{Decision: d}
	}
}

// recordDecision records the decision d on req. Without a recorder no
// event is built: the copy of d the event would carry is what Check would
// spend most on after the rules.
func (g *Gate) recordDecision(ctx context.Context, s *Session, req *Request, d *Decision) error {
	if g.recorder == nil {
		return nil
	}
	c, id := d.cloneForEvent(s.Identity)
	e := Event{Kind: EventDecision, SessionID: s.ID, Time: d.Time, Identity: id, Request: req, Decision: c}
	return s.recordSettingsOnce(e, func(e Event) error { return g.record(ctx, e) })
}

// recordFailed applies the fail-open/fail-closed choice to d after the
// recorder failed, and reports whether the request may go on.
func (g *Gate) recordFailed(d *Decision, err error) bool {
	d.Errors = append(d.Errors, "record: "+err.Error())
	if g.failOpen {
		d.FailOpen = true
		g.log.Warn("recorder failed; continuing because the gate is configured to fail open", "decision", d.ID)
		return true
	}
	d.Action = Deny
	d.Rule = "gate"
	d.Reason = "the gate could not record the request"
	return false
}

// Digest binds a review to the identity, target, exact payload and rule-set
// version of a request.
func Digest(req *Request, ruleSetVersion string) string {
	h := fieldhash.New()
	field := h.Field
	s := req.Session
	field([]byte(s.Identity.Subject))
	field([]byte(s.Identity.EffectiveKind()))
	field([]byte(s.Protocol))
	field([]byte(s.Target))
	field([]byte(req.Protocol))
	field([]byte(req.Command))
	field(req.Payload)
	field([]byte(ruleSetVersion))
	return hex.EncodeToString(h.Sum(nil))
}
