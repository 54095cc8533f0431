package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
)

func withRun(run string) func(*pgx.ConnConfig) {
	return func(c *pgx.ConnConfig) { c.RuntimeParams[runParam] = run }
}

// sessionRuns returns the runs of the recorded session starts.
func (tg *testGateway) sessionRuns() []string {
	var runs []string
	for _, e := range tg.gateEvents() {
		if e.Kind == gate.EventSessionStart && e.Session != nil {
			runs = append(runs, e.Session.Run)
		}
	}
	return runs
}

// A client names its run with the startup parameter airlock.run: the
// session belongs to it, and the upstream never sees the parameter.
func TestStartupRunParameter(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(allowAllRules))
	c := tg.connect(t, "admin", withRun("run-42"))
	var setting *string
	// A parameter passed on would be a custom setting of the upstream
	// session.
	if err := c.QueryRow(context.Background(), "SELECT current_setting('airlock.run', true)").Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if setting != nil && *setting != "" {
		t.Fatalf("the upstream saw airlock.run = %q", *setting)
	}
	if runs := tg.sessionRuns(); len(runs) != 1 || runs[0] != "run-42" {
		t.Fatalf("session runs %q, want [run-42]", runs)
	}
}

// An invalid run id refuses the login with a clear error, recorded as a
// refusal; no session starts.
func TestStartupRunParameterInvalid(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(allowAllRules))
	for _, run := range []string{"two words", "", strings.Repeat("r", gate.MaxRunIDBytes+1)} {
		cfg, err := pgx.ParseConfig(tg.url("admin"))
		if err != nil {
			t.Fatal(err)
		}
		withRun(run)(cfg)
		c, err := pgx.ConnectConfig(context.Background(), cfg)
		if err == nil {
			_ = c.Close(context.Background())
			t.Fatalf("run %q: login accepted", run)
		}
		if sqlState(err) != "28000" || !strings.Contains(err.Error(), "airlock: invalid run id") || !strings.Contains(err.Error(), "(startup parameter airlock.run)") {
			t.Fatalf("run %q: want a clear 28000 error, got %v", run, err)
		}
	}
	if runs := tg.sessionRuns(); len(runs) != 0 {
		t.Fatalf("sessions started: %q", runs)
	}
	refused := 0
	for _, e := range tg.gateEvents() {
		if e.Kind == gate.EventRefused && strings.Contains(e.Error, "airlock.run") {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("recorded %d refusals naming airlock.run, want 3", refused)
	}
}
