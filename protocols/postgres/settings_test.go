package postgres

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// launderShape stores customers.name of row 1 in setting name, in a
// random statement shape.
func launderShape(r *rand.Rand, name string) string {
	v := []string{"name", "lower(name)", "name || ''", "format('%s', name)"}[r.IntN(4)]
	set := fmt.Sprintf("set_config('%s', %s, false)", name, v)
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("WITH s AS (SELECT %s AS v FROM customers WHERE id = 1) SELECT count(*) FROM s", set)
	case 1:
		return fmt.Sprintf("SELECT 1 FROM customers c, LATERAL (SELECT %s) l WHERE c.id = 1", strings.Replace(set, "name", "c.name", 1))
	case 2:
		return fmt.Sprintf("SELECT length(%s) FROM customers WHERE id = 1", set)
	}
	return fmt.Sprintf("SELECT %s FROM customers WHERE id = 1", set)
}

// readSetting reads setting name back, in a random way.
func readSetting(r *rand.Rand, name string) string {
	switch r.IntN(4) {
	case 0:
		return "SELECT current_setting('" + name + "')"
	case 1:
		return "SELECT setting FROM pg_settings WHERE name = '" + name + "'"
	case 2:
		return "SELECT upper(current_setting('" + name + "', true))"
	}
	return "SHOW " + name
}

// TestSettingsLaunderingMasked: a session stores a masked column's value
// in a setting (set_config in any statement shape) and reads it back
// (SHOW, current_setting, pg_settings): the value must not reach the
// agent's socket. A session that stored nothing still sees SHOW plainly.
func TestSettingsLaunderingMasked(t *testing.T) {
	t.Parallel()
	tg := startLineageGateway(t, lineageRules)
	r := testSeed(t)
	forms := leakForms()
	clean := dialTap(t, tg, "agent")
	if got, err := clean.run(r, "SHOW standard_conforming_strings"); err != nil || !strings.Contains(string(got), "on") {
		t.Fatalf("control: SHOW in a fresh session: %q %v", got, err)
	}
	for range 20 {
		agent := dialTap(t, tg, "agent")
		name := []string{"my.x", "application_name", "airlock.note"}[r.IntN(3)]
		store := launderShape(r, name)
		if got, err := agent.run(r, store); err != nil && !codeRefused(got) {
			t.Fatalf("%s: %v", store, err)
		}
		read := readSetting(r, name)
		got, err := agent.run(r, read)
		if leak := findLeak(got, forms); leak != "" {
			t.Fatalf("%s; %s: customers.name reached the agent (%q, err %v)", store, read, leak, err)
		}
	}
}
