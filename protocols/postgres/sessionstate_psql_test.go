package postgres

import (
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// TestPsqlSessionStateMasked: psql, as the masked agent, stores masked
// values in an advisory lock, a LISTEN channel (through a function of
// the database's), a custom setting and TimeZone, and reads them back in
// the same session: it receives none of them (the writes are refused),
// while the reads run.
func TestPsqlSessionStateMasked(t *testing.T) {
	t.Parallel()
	psql := gatetest.NeedTool(t, "psql")
	tg := startGateway(t, withRules(stateRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture+stateFixture)
	args := []string{"-X",
		"-c", "SELECT pg_advisory_lock(card::int8) FROM customers WHERE id = 1",
		"-c", "SELECT (classid::int8 << 32) | objid::int8 AS k FROM pg_locks WHERE locktype = 'advisory'",
		"-c", "SELECT run_sql(format('LISTEN %I', name)) FROM customers WHERE id = 1",
		"-c", "SELECT pg_listening_channels() AS ch",
		"-c", "SELECT set_config('x.y', name, false) IS NOT NULL FROM customers WHERE id = 1",
		"-c", "SELECT current_setting('x.y') AS xy",
		"-c", "SELECT set_config('timezone', '<' || regexp_replace(name, '[^A-Za-z]', '', 'g') || '>+3', false) IS NOT NULL FROM customers WHERE id = 1",
		"-c", "SELECT to_char(now(), 'TZ') AS tz",
		"-c", "RESET timezone",
		"-c", "SELECT 'after reset' AS done"}
	out, _ := runTool(t, tg.clientEnv("agent"), "", psql, args...)
	if leak := findLeak([]byte(out), stateForms()); leak != "" {
		t.Fatalf("%q reached psql:\n%s", leak, out)
	}
	// The writes over masked data are refused (codeguard.go).
	for _, want := range []string{codeRefusal[:40], "after reset"} {
		if !strings.Contains(out, want) {
			t.Errorf("psql output lacks %q:\n%s", want, out)
		}
	}
}
