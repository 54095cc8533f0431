package gate_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/require"
)

const runRules = `
default: deny
labels:
  pii: {detectors: [credit_card], fields: [customers.*]}
rules:
  - name: read-customers
    when: tool.name == "read_customers"
    action: allow
    labels: [customer_data]
  - name: read-notes
    when: tool.name == "read_notes"
    action: allow
    mask: [credit_card]
  - name: egress
    when: tool.name == "post"
    action: allow
  - name: no-egress-after-customer-data
    when: tool.name == "post" && ("customer_data" in run.labels || "pii" in run.labels)
    action: deny
    reason: this run read customer data
  - name: budget
    when: run.requests_last_minute >= 5 || usage.refusals_last_hour >= 4
    action: deny
    reason: budget spent
`

func runGate(t *testing.T, store gate.RunStore) (*gate.Gate, *eventLog) {
	t.Helper()
	rs, err := gate.ParseRules("runs.yaml", []byte(runRules))
	require.NoError(t, err)
	log := &eventLog{}
	return gate.New(gate.Config{Rules: rs, Recorder: log, Runs: &gate.RunConfig{Store: store, Claim: "sid"}}), log
}

func openRun(t *testing.T, g *gate.Gate, protocol, subject, run string) *gate.Conn {
	t.Helper()
	c, err := g.Open(context.Background(), gate.Session{Protocol: protocol, Run: run, Identity: gate.Identity{Subject: subject}})
	require.NoError(t, err)
	return c
}

func tool(name string) *gate.Request {
	return &gate.Request{Command: name, Tool: &gate.ToolCall{Kind: "call", Name: name}}
}

func TestRunLabelFromARuleStopsEgressInTheSameRunOnly(t *testing.T) {
	ctx := context.Background()
	g, log := runGate(t, &gate.MemoryRuns{})
	db := openRun(t, g, "postgres", "agent-1", "run-1")
	web := openRun(t, g, "http", "agent-1", "run-1")
	other := openRun(t, g, "http", "agent-2", "run-2")

	_, err := web.Check(ctx, tool("post"))
	require.NoError(t, err, "egress before any read")
	read, err := db.Check(ctx, tool("read_customers"))
	require.NoError(t, err)
	d, err := web.Check(ctx, tool("post"))
	require.ErrorIs(t, err, gate.ErrDenied, "egress after the read, in the same run")
	require.Equal(t, "no-egress-after-customer-data", d.Rule)
	// The reason names the label and the read that set it.
	for _, want := range []string{"this run read customer data", "customer_data", "rule:read-customers", `reading "read_customers"`, read.ID} {
		require.Contains(t, err.Error(), want)
	}
	_, err = other.Check(ctx, tool("post"))
	require.NoError(t, err, "another run is not affected")

	var labelled *gate.Label
	for _, e := range log.events {
		if e.Kind == gate.EventRunLabel {
			labelled = e.Label
		}
	}
	require.NotNil(t, labelled, "the label is recorded")
	require.Equal(t, "customer_data", labelled.Name)
	require.Equal(t, read.ID, labelled.DecisionID, "with the read that set it")
	require.Equal(t, "rule:read-customers", labelled.Source)
	require.Equal(t, "read_customers", labelled.Request)
}

func TestRunLabelFromAMaskFinding(t *testing.T) {
	ctx := context.Background()
	g, log := runGate(t, &gate.MemoryRuns{})
	db := openRun(t, g, "tool", "agent-1", "run-1")
	web := openRun(t, g, "http", "agent-1", "run-1")

	d, err := db.Check(ctx, tool("read_notes"))
	require.NoError(t, err)
	_, err = web.Check(ctx, tool("post"))
	require.NoError(t, err, "a read that found nothing labels nothing")
	w := db.Output(d, "stdout", &bytes.Buffer{}, gate.OutputOptions{Mode: gate.ForwardThenRecord})
	_, err = w.Write([]byte("card 4111111111111111\n"))
	require.NoError(t, err)
	require.NoError(t, w.Close())

	_, err = web.Check(ctx, tool("post"))
	require.ErrorIs(t, err, gate.ErrDenied, "the masked card gave the run the pii label")

	// A premasked column under a field rule labels too.
	g2, _ := runGate(t, &gate.MemoryRuns{})
	db2 := openRun(t, g2, "postgres", "agent-1", "run-9")
	d2, err := db2.Check(ctx, tool("read_notes"))
	require.NoError(t, err)
	w2 := db2.Output(d2, "rows", &bytes.Buffer{}, gate.OutputOptions{Mode: gate.ForwardThenRecord, Premasked: true})
	w2.AddFindings([]gate.Finding{{Detector: "redact", Field: "Customers.Email", Count: 2}})
	require.NoError(t, w2.Close())
	_, err = openRun(t, g2, "http", "agent-1", "run-9").Check(ctx, tool("post"))
	require.ErrorIs(t, err, gate.ErrDenied)

	found := false
	for _, e := range log.events {
		if e.Kind == gate.EventRunLabel && e.Label.Name == "pii" {
			found = true
			require.Equal(t, "detector:credit_card", e.Label.Source)
			require.Equal(t, d.ID, e.Label.DecisionID)
			require.Equal(t, "read_notes", e.Label.Request, "the read whose result held the finding")
		}
	}
	require.True(t, found)
}

func TestRunBudgets(t *testing.T) {
	ctx := context.Background()
	g, _ := runGate(t, &gate.MemoryRuns{})
	a := openRun(t, g, "tool", "agent-1", "run-1")
	b := openRun(t, g, "http", "agent-1", "run-1")
	for i := range 5 {
		c := a
		if i%2 == 1 {
			c = b
		}
		_, err := c.Check(ctx, tool("read_notes"))
		require.NoError(t, err, "request %d", i+1)
	}
	d, err := b.Check(ctx, tool("read_notes"))
	require.ErrorIs(t, err, gate.ErrDenied, "the sixth request of the run in a minute")
	require.Equal(t, "budget", d.Rule)

	// usage counts the identity across runs: refusals in run-1 count in run-3.
	for range 3 {
		_, _ = a.Check(ctx, tool("drop"))
	}
	c := openRun(t, g, "tool", "agent-1", "run-3")
	d, err = c.Check(ctx, tool("read_notes"))
	require.ErrorIs(t, err, gate.ErrDenied)
	require.Equal(t, "budget", d.Rule)
	d, err = openRun(t, g, "tool", "agent-2", "run-4").Check(ctx, tool("read_notes"))
	require.NoError(t, err, "another identity has its own budget: %v", d)
}

// failingRuns fails every call, as a store whose database is down.
type failingRuns struct{ gate.MemoryRuns }

var errRunsDown = errors.New("runs store down")

func (*failingRuns) State(context.Context, string, string, time.Time) (gate.RunState, error) {
	return gate.RunState{}, errRunsDown
}
func (*failingRuns) Count(context.Context, string, string, gate.Metric, int64, time.Time) error {
	return errRunsDown
}

func TestRunStoreDownDenies(t *testing.T) {
	ctx := context.Background()
	g, _ := runGate(t, &failingRuns{})
	c := openRun(t, g, "tool", "agent-1", "run-1")
	d, err := c.Check(ctx, tool("read_notes"))
	require.ErrorIs(t, err, gate.ErrDenied, "budgets that cannot be counted cannot be enforced")
	require.Contains(t, d.Errors[len(d.Errors)-1], "runs store down")
}

func TestRunResolution(t *testing.T) {
	ctx := context.Background()
	store := &gate.MemoryRuns{}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	rs, err := gate.ParseRules("runs.yaml", []byte(runRules))
	require.NoError(t, err)
	g := gate.New(gate.Config{Rules: rs, Now: clock, Runs: &gate.RunConfig{Store: store, Claim: "sid", Idle: 10 * time.Minute}})
	open := func(s gate.Session) *gate.Conn {
		c, err := g.Open(ctx, s)
		require.NoError(t, err)
		return c
	}
	agent := gate.Identity{Subject: "agent-1"}
	first := open(gate.Session{Protocol: "tool", Identity: agent}).Session().Run
	require.NotEmpty(t, first)
	now = now.Add(5 * time.Minute)
	require.Equal(t, first, open(gate.Session{Protocol: "http", Identity: agent}).Session().Run, "same identity, within the idle window")
	now = now.Add(11 * time.Minute)
	require.NotEqual(t, first, open(gate.Session{Protocol: "http", Identity: agent}).Session().Run, "idle too long: a new run")
	claimed := gate.Identity{Subject: "agent-1", Claims: map[string]any{"sid": "sess-42"}}
	require.Equal(t, "sess-42", open(gate.Session{Protocol: "http", Identity: claimed}).Session().Run)
	require.Equal(t, "sess-42", open(gate.Session{Protocol: "http", Identity: claimed, Run: "harness-7"}).Session().Run, "the identity provider's run wins over the client's")
	trusting := gate.New(gate.Config{Rules: rs, Now: clock, Runs: &gate.RunConfig{Store: store, Claim: "sid", TrustClientRuns: true}})
	c, err := trusting.Open(ctx, gate.Session{Protocol: "http", Identity: claimed, Run: "harness-7"})
	require.NoError(t, err)
	require.Equal(t, "harness-7", c.Session().Run, "a trusted harness's run wins")

	for _, bad := range []string{"two words", string(make([]byte, gate.MaxRunIDBytes+1)), "tab\there"} {
		_, err := g.Open(ctx, gate.Session{Protocol: "http", Identity: agent, Run: bad})
		require.Error(t, err, "%q", bad)
	}
}

func TestClearLabel(t *testing.T) {
	ctx := context.Background()
	g, log := runGate(t, &gate.MemoryRuns{})
	db := openRun(t, g, "postgres", "agent-1", "run-1")
	_, err := db.Check(ctx, tool("read_customers"))
	require.NoError(t, err)
	require.Error(t, g.ClearLabel(ctx, "run-1", "agent-1", "customer_data", gate.Identity{Subject: "bot"}, "nope"), "an agent cannot clear a label")
	_, err = db.Check(ctx, tool("post"))
	require.ErrorIs(t, err, gate.ErrDenied)
	require.NoError(t, g.ClearLabel(ctx, "run-1", "agent-1", "customer_data", gate.Identity{Subject: "alice", Kind: gate.KindHuman}, "export approved by legal"))
	_, err = db.Check(ctx, tool("post"))
	require.NoError(t, err)
	cleared := false
	for _, e := range log.events {
		if e.Kind == gate.EventRunLabelCleared {
			cleared = true
			require.Equal(t, "alice", e.Identity.Subject)
			require.Equal(t, "customer_data", e.Label.Name)
		}
	}
	require.True(t, cleared, "clearing is recorded")
}

func TestRunLabelsInTheRuleFile(t *testing.T) {
	for _, bad := range []string{
		"labels:\n  PII: {detectors: [email]}\nrules: []\n",
		"labels:\n  pii: {}\nrules: []\n",
		"labels:\n  pii: {fields: [email]}\nrules: []\n",
		"labels:\n  pii: {detectors: [no_such_detector]}\nrules: []\n",
		"rules:\n  - name: x\n    when: 'true'\n    labels: ['has space']\n",
	} {
		_, err := gate.ParseRules("bad.yaml", []byte(bad))
		require.Error(t, err, bad)
	}
	_, err := gate.ParseRules("ok.yaml", []byte("rules:\n  - name: tag\n    when: tool.name == 'x'\n    labels: [pii]\n"))
	require.NoError(t, err, "a rule may only label")

	// A group names its detectors: an e-mail address masked in a result
	// gives the "personal" label through the pii group.
	rs, err := gate.ParseRules("group.yaml", []byte(`
labels:
  personal: {detectors: [pii]}
rules:
  - name: read
    when: tool.name == "read"
    action: allow
    mask: [email]
  - name: post
    when: tool.name == "post" && !("personal" in run.labels)
    action: allow
`))
	require.NoError(t, err)
	g := gate.New(gate.Config{Rules: rs, Runs: &gate.RunConfig{Store: &gate.MemoryRuns{}}})
	c := openRun(t, g, "tool", "agent-1", "run-1")
	d, err := c.Check(context.Background(), tool("read"))
	require.NoError(t, err)
	_, _, err = c.Result(context.Background(), d, "result", []byte(`{"to":"ada@example.com"}`), gate.ResultOptions{})
	require.NoError(t, err)
	_, err = c.Check(context.Background(), tool("post"))
	require.ErrorIs(t, err, gate.ErrDenied)
}

// A run the client names is the agent's own choice: naming a new run for
// the egress does not shed the labels of its reads, unless the gate is
// told the runs are set by something the agent cannot bypass.
func TestClientNamedRunCannotShedLabels(t *testing.T) {
	ctx := context.Background()
	g, _ := runGate(t, &gate.MemoryRuns{})
	_, err := openRun(t, g, "postgres", "agent-1", "run-1").Check(ctx, tool("read_customers"))
	require.NoError(t, err)
	for _, run := range []string{"run-fresh", ""} {
		_, err = openRun(t, g, "http", "agent-1", run).Check(ctx, tool("post"))
		require.ErrorIs(t, err, gate.ErrDenied, "run %q", run)
	}

	rs, err := gate.ParseRules("runs.yaml", []byte(runRules))
	require.NoError(t, err)
	trusted := gate.New(gate.Config{Rules: rs, Runs: &gate.RunConfig{Store: &gate.MemoryRuns{}, TrustClientRuns: true}})
	_, err = openRun(t, trusted, "postgres", "agent-1", "run-1").Check(ctx, tool("read_customers"))
	require.NoError(t, err)
	_, err = openRun(t, trusted, "http", "agent-1", "run-2").Check(ctx, tool("post"))
	require.NoError(t, err, "trusted runs keep their labels to themselves")
	_, err = openRun(t, trusted, "http", "agent-1", "run-1").Check(ctx, tool("post"))
	require.ErrorIs(t, err, gate.ErrDenied)
}

// A rule set that reads no run state skips the run lookup, but an
// interceptor that routes to rules reading run.labels still sees them.
func TestRunLabelsSeenThroughAnInterceptorsRules(t *testing.T) {
	ctx := context.Background()
	routed, err := gate.ParseRules("runs.yaml", []byte(runRules))
	require.NoError(t, err)
	plain, err := gate.ParseRules("plain.yaml", []byte("default: allow\nrules:\n  - name: any\n    when: tool.name != \"\"\n    action: allow\n"))
	require.NoError(t, err)
	route := func(gate.Decider) gate.Decider { return routed }
	g := gate.New(gate.Config{Rules: plain, Recorder: &eventLog{}, Runs: &gate.RunConfig{Store: &gate.MemoryRuns{}},
		Interceptors: []gate.Interceptor{route}})
	c := openRun(t, g, "tool", "agent-1", "run-1")
	_, err = c.Check(ctx, tool("read_customers"))
	require.NoError(t, err)
	d, err := c.Check(ctx, tool("post"))
	require.Error(t, err, "the routed rules read the label the first request set")
	require.Equal(t, "no-egress-after-customer-data", d.Rule)
}
