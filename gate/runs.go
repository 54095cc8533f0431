package gate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// MaxRunIDBytes bounds a run id a client names.
const MaxRunIDBytes = 128

// ErrRunID is returned by Open for a run id a client named that is not one
// (too long, spaces, unprintable characters): refuse the client.
var ErrRunID = errors.New("airlock: invalid run id")

// The events of runs.
const (
	// EventRunLabel records a label a run gained, with the read that set it.
	EventRunLabel EventKind = "run_label"
	// EventRunLabelCleared records a reviewer clearing a label.
	EventRunLabelCleared EventKind = "run_label_cleared"
)

// defaultRunIdle is RunConfig.Idle when unset.
const defaultRunIdle = time.Hour

// openRun settles the run of a session being opened: the one the protocol
// set (from the client's harness), else the identity's run claim, else the
// identity's current run.
func (g *Gate) openRun(ctx context.Context, s *Session) error {
	if s.Run != "" {
		if err := checkRunID(s.Run); err != nil {
			return err
		}
	}
	if g.runs == nil {
		return nil
	}
	trust := g.runs.TrustClientRuns
	if c := g.runs.Claim; c != "" && (s.Run == "" || !trust) {
		// The identity provider's run wins over one the client names,
		// unless client-named runs are trusted.
		if v, ok := s.Identity.Claims[c].(string); ok && v != "" {
			s.Run = v
			return checkRunID(v)
		}
	}
	s.identityLabels = !trust
	if s.Run != "" {
		return nil
	}
	idle := g.runs.Idle
	if idle <= 0 {
		idle = defaultRunIdle
	}
	run, err := g.runs.Store.Resolve(ctx, s.Identity.Subject, s.Start, idle)
	if err != nil {
		return fmt.Errorf("gate: resolve run: %w", err)
	}
	s.Run = run
	return nil
}

func checkRunID(id string) error {
	if len(id) > MaxRunIDBytes {
		return fmt.Errorf("%w: above %d bytes", ErrRunID, MaxRunIDBytes)
	}
	for _, r := range id {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return fmt.Errorf("%w: a space or an unprintable character", ErrRunID)
		}
	}
	return nil
}

// runLookupFor returns the lookup the rules read run.* through, nil when
// runs are off.
func (g *Gate) runLookupFor(req *Request) *runLookup {
	if g.runs == nil {
		return nil
	}
	s := req.Session
	l := &runLookup{store: g.runs.Store, run: s.Run, subject: s.Identity.Subject, now: req.Time}
	if g.untrustedRun(s) {
		l.identityRun = identityRunOf(s.Identity.Subject)
	}
	return l
}

// needsRunLookup reports whether deciding may read the run's state
// (run.labels, run.* and usage.* counters): a rule set that reads none
// skips building the lookup, unless an interceptor may route the request
// to other rules.
func (g *Gate) needsRunLookup(rs *RuleSet) bool {
	return len(g.interceptors) > 0 || rs != nil && rs.readsRuns
}

// identityRunOf names the pseudo-run that holds an identity's labels; the space
// makes it a name no client can give (checkRunID refuses spaces).
func identityRunOf(subject string) string { return "identity " + subject }

// untrustedRun reports whether the client could have chosen s's run (it
// named it, or omitted it and got its identity's window) while the gate
// does not trust client-named runs: its labels are its identity's too, and
// it sees its identity's.
func (g *Gate) untrustedRun(s *Session) bool {
	return g.runs != nil && s.identityLabels
}

// countRun counts one metric of the request's run; a no-op when runs are
// off.
func (g *Gate) countRun(ctx context.Context, s *Session, m Metric, n int64, at time.Time) error {
	if g.runs == nil || n == 0 {
		return nil
	}
	if err := g.runs.Store.Count(context.WithoutCancel(ctx), s.Run, s.Identity.Subject, m, n, at); err != nil {
		return fmt.Errorf("count %s: %w", m, err)
	}
	return nil
}

// settleRun brings the run up to date with a final decision before it is
// recorded: a refusal is counted; an allowed request gives the run the
// labels of its rules. An error (the store failed) must turn the decision
// into a deny: budgets and labels the gate cannot keep cannot be enforced.
func (g *Gate) settleRun(ctx context.Context, req *Request, d *Decision) error {
	if g.runs == nil {
		return nil
	}
	if d.Action != Allow {
		return g.countRun(ctx, req.Session, MetricRefusals, 1, d.Time)
	}
	for _, name := range d.Labels {
		l := Label{Name: name, Time: d.Time, Source: "rule:" + d.Rule, SessionID: req.Session.ID, DecisionID: d.ID, Request: labelRequest(req.Command)}
		if err := g.addLabel(ctx, req.Session, l); err != nil {
			return err
		}
	}
	return nil
}

// addLabel gives the session's run l, recording it when it is new.
func (g *Gate) addLabel(ctx context.Context, s *Session, l Label) error {
	added, err := g.runs.Store.AddLabel(context.WithoutCancel(ctx), s.Run, l)
	if err != nil {
		return fmt.Errorf("label %s: %w", l.Name, err)
	}
	if g.untrustedRun(s) {
		// The client chose this run: the label is its identity's too,
		// so naming another run does not shed it.
		if _, err := g.runs.Store.AddLabel(context.WithoutCancel(ctx), identityRunOf(s.Identity.Subject), l); err != nil {
			return fmt.Errorf("label %s: %w", l.Name, err)
		}
	}
	if !added {
		return nil
	}
	return g.RecordEvent(context.WithoutCancel(ctx), s, Event{Kind: EventRunLabel, Time: l.Time, Label: &l})
}

// runsFailed turns d into a deny because the run could not be kept.
func runsFailed(d *Decision, err error) {
	d.Errors = append(d.Errors, "runs: "+err.Error())
	d.Action, d.Rule, d.Reason = Deny, "gate", "the gate could not keep the run's labels and budgets"
	d.Labels = nil
}

// outputRun counts what a result gave the client and labels the run by the
// findings in it. An error breaks the session: a run whose reads cannot be
// labelled cannot be judged.
func (c *Conn) outputRun(ctx context.Context, out Output, forwarded int64) error {
	g := c.g
	if g.runs == nil {
		return nil
	}
	now := g.now().UTC()
	s := c.session
	if err := g.countRun(ctx, s, MetricBytes, forwarded, now); err != nil {
		return err
	}
	var found int64
	for _, f := range out.Findings {
		found += int64(f.Count)
	}
	if err := g.countRun(ctx, s, MetricFindings, found, now); err != nil {
		return err
	}
	if len(out.Findings) == 0 {
		return nil
	}
	rs := g.rules.Load()
	if rs == nil || rs.labels.empty() {
		return nil
	}
	for _, l := range rs.labels.of(out.Findings) {
		l.Time, l.SessionID, l.DecisionID = now, s.ID, out.DecisionID
		l.Request = labelRequest(c.commandOf(out.DecisionID))
		if err := g.addLabel(ctx, s, l); err != nil {
			return err
		}
	}
	return nil
}

// ClearLabel removes a label from the run of the identity subject: a
// reviewer's explicit decision (labels never disappear otherwise),
// recorded with who and why. The identity's own copy (see
// RunConfig.TrustClientRuns) is cleared too.
func (g *Gate) ClearLabel(ctx context.Context, run, subject, name string, reviewer Identity, reason string) error {
	if g.runs == nil {
		return errors.New("gate: runs are not configured")
	}
	if reviewer.EffectiveKind() != KindHuman {
		return errors.New("gate: only a human reviewer may clear a label")
	}
	now := g.now().UTC()
	l := Label{Name: name, Time: now, Source: "cleared: " + reason}
	err := g.record(ctx, Event{Kind: EventRunLabelCleared, SessionID: NewID(), Time: now, Identity: &reviewer, Label: &l,
		Session: &SessionInfo{Protocol: "review", Target: subject, Run: run, Start: now, Reason: reason}})
	if err != nil {
		return fmt.Errorf("gate: record label clearing: %w", err)
	}
	if err := g.runs.Store.ClearLabel(ctx, run, name); err != nil {
		return err
	}
	return g.runs.Store.ClearLabel(ctx, identityRunOf(subject), name)
}

// explainLabels names, in the reason of a refusal or a hold by a rule that
// reads the run's labels, each label of the run and the read that set it,
// so the agent and the reviewer see why.
func (g *Gate) explainLabels(ctx context.Context, rs *RuleSet, d *Decision) {
	if g.runs == nil || d.Action == Allow || rs == nil || !rs.ruleReads(d.Rule, "run.labels") {
		return
	}
	st, err := runLookupFrom(ctx).get(ctx)
	if err != nil || len(st.Labels) == 0 {
		return
	}
	names := make([]string, 0, len(st.Labels))
	for name := range st.Labels {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(d.Reason)
	if b.Len() > 0 {
		b.WriteString("; ")
	}
	b.WriteString("this run is labelled ")
	for i, name := range names {
		l := st.Labels[name]
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (by %s at %s", name, l.Source, l.Time.UTC().Format(time.RFC3339))
		if l.Request != "" {
			fmt.Fprintf(&b, ", reading %q", l.Request)
		}
		if l.DecisionID != "" {
			fmt.Fprintf(&b, ", decision %s", l.DecisionID)
		}
		b.WriteString(")")
	}
	d.Reason = b.String()
}
