package gate

import (
	"context"
	"time"
	"unicode/utf8"
)

// A run groups the sessions of one agent across protocols: the PostgreSQL
// session in which it read customers and the HTTP request by which it would
// send them out belong to the same run, so a rule can judge the second by
// the first. A session names its run in Session.Run (from a header, a
// startup parameter, MCP _meta or a token claim); a session that names none
// joins its identity's current run, or starts one when the identity was idle
// longer than RunConfig.Window.
//
// A run gains labels from what it reads (Label) and counts what it does
// (Metric); rules see both as the variable `run`, and the identity's counts
// across its runs as `usage`. A RunStore keeps them: MemoryRuns for one
// replica, gate/pgruns to share them between replicas.

// Label marks a run as having read something: "pii" after a customer table,
// "secret" after a credential. Labels never disappear within a run, except
// when a reviewer clears one (recorded).
type Label struct {
	// Name is the label ("pii").
	Name string `json:"name"`
	// Time is when the run first gained it.
	Time time.Time `json:"time"`
	// Source says what set it: "rule:<name>", "detector:<name>",
	// "field:<table.column>".
	Source string `json:"source"`
	// SessionID and DecisionID name the read that set it, and Request is
	// its command (cut to MaxLabelRequestBytes), for rules' reasons and
	// reviewers.
	SessionID  string `json:"session_id,omitempty"`
	DecisionID string `json:"decision_id,omitempty"`
	Request    string `json:"request,omitempty"`
}

// MaxLabelRequestBytes bounds Label.Request.
const MaxLabelRequestBytes = 200

// labelRequest cuts a command for Label.Request, on a rune boundary.
func labelRequest(cmd string) string {
	if len(cmd) <= MaxLabelRequestBytes {
		return cmd
	}
	cut := MaxLabelRequestBytes
	for cut > 0 && !utf8.RuneStart(cmd[cut]) {
		cut--
	}
	return cmd[:cut] + "…"
}

// Metric names a counter behind a budget.
type Metric string

// The counters a run and an identity keep.
const (
	// MetricRequests counts requests checked.
	MetricRequests Metric = "requests"
	// MetricRefusals counts requests refused.
	MetricRefusals Metric = "refusals"
	// MetricRows counts result rows returned to the client.
	MetricRows Metric = "rows_returned"
	// MetricBytes counts result bytes returned to the client.
	MetricBytes Metric = "bytes_returned"
	// MetricFindings counts values the masker masked.
	MetricFindings Metric = "findings"
)

// Metrics lists every Metric, in the order rules document them.
var Metrics = []Metric{MetricRequests, MetricRefusals, MetricRows, MetricBytes, MetricFindings}

// Usage is a set of counters over sliding windows.
type Usage struct {
	LastMinute map[Metric]int64
	LastHour   map[Metric]int64
}

// RunState is what rules see of a run at one moment.
type RunState struct {
	// ID names the run.
	ID string
	// Labels by name.
	Labels map[string]Label
	// Run counts the run's activity, Identity the identity's across runs.
	Run, Identity Usage
}

// RunStore keeps runs: which run an idle identity is in, the labels of each
// run, and the counters behind budgets. Implementations are safe for
// concurrent use; an error anywhere makes the decision deny (fail closed).
type RunStore interface {
	// Resolve returns the current run of subject, starting a new one when
	// its last activity is older than idle.
	Resolve(ctx context.Context, subject string, now time.Time, idle time.Duration) (string, error)
	// AddLabel gives run the label l unless it has it already; it reports
	// whether the label is new.
	AddLabel(ctx context.Context, run string, l Label) (bool, error)
	// ClearLabel removes a label (a reviewer's explicit decision).
	ClearLabel(ctx context.Context, run, name string) error
	// Count adds n to metric m of run and of subject at time at.
	Count(ctx context.Context, run, subject string, m Metric, n int64, at time.Time) error
	// State returns the labels of run and the counters of run and subject
	// as of now.
	State(ctx context.Context, run, subject string, now time.Time) (RunState, error)
}

// RunConfig turns runs on (Config.Runs).
type RunConfig struct {
	// Store keeps the runs; required.
	Store RunStore
	// Claim names the identity claim that carries the run id (an OIDC
	// "sid"); used when the session names no run.
	Claim string
	// Idle starts a new run for an identity whose last session activity is
	// older than this; 0 means one hour.
	Idle time.Duration
	// TrustClientRuns lets a run the client names (a header, a startup
	// parameter, MCP _meta) win over the identity's claim and keep its
	// labels to itself. Leave it false unless something the agent cannot
	// bypass sets the run (a harness proxy that strips the agent's own):
	// otherwise an agent sheds the labels of its reads by naming a new run
	// for its egress. While false, the claim's run wins when the identity
	// has one; without one, every label a run gains is also its
	// identity's, and every run of the identity sees them — runs then
	// separate identities, not the runs of one identity. Budgets: run.*
	// counts per run, usage.* per identity, whatever the client names.
	TrustClientRuns bool
}

// LabelSources maps mask findings to labels: a detector (email) or a field
// rule's column (customers.email) that masked a value in a result gives the
// run the label. Rules give labels too, with `labels:` in the rule file.
type LabelSources struct {
	// Detectors maps a detector name to the labels it gives.
	Detectors map[string][]string
	// Fields maps a column ("customers.email", or "customers.*") to the
	// labels it gives.
	Fields map[string][]string
}

// bucketWidth is the granularity of the sliding windows.
const bucketWidth = 10 * time.Second

// bucketOf returns the window bucket of t (unix seconds, floored).
func bucketOf(t time.Time) int64 {
	s := t.Unix()
	return s - s%int64(bucketWidth/time.Second)
}

// newUsage returns zeroed counters for every metric.
func newUsage() Usage {
	u := Usage{LastMinute: make(map[Metric]int64, len(Metrics)), LastHour: make(map[Metric]int64, len(Metrics))}
	for _, m := range Metrics {
		u.LastMinute[m], u.LastHour[m] = 0, 0
	}
	return u
}
