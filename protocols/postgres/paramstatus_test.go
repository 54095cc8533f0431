package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// paramStatusRules allow the agent every statement that is not opaque,
// writes and settings included, and mask its results as testRules do:
// what is allowed is for rules to say, what the client sees of the data
// is the masker's to bound.
const paramStatusRules = `
default: deny
rules:
  - name: all-but-opaque
    when: sql.statements.all(s, !s.opaque)
    action: allow
  - name: mask-for-agents
    when: identity.groups.exists(g, g == "agents")
    mask: [credit_card, email, card_column]
masking:
  fields:
    - name: card_column
      columns: ["customers.card", "customers.pin"]
`

// paramStatusAttack is one attack: steps on one session, then the
// parameter whose reported value (ParameterStatus) is read.
type paramStatusAttack struct {
	param string
	steps []string
}

// paramStatusAttacks generates the family of values the server reports
// to the client on its own (ParameterStatus) after a statement stored a
// masked column in a reported setting: application_name as text,
// TimeZone as a POSIX zone's abbreviation (letters), by set_config,
// session-wide and transaction-local, from every kind of statement.
func paramStatusAttacks() []paramStatusAttack {
	letters := func(x string) string { return "translate(" + x + ", '0123456789', 'abcdefghij')" }
	values := map[string][]string{
		"application_name": {"card", "pin", "reverse(card)", letters("card"), "card_num::text", "note", "doc::text"},
		"TimeZone":         {"'<' || " + letters("card") + " || '>+3'", "'<' || " + letters("pin") + " || '>+3'", "'<' || " + letters("reverse(card)") + " || '>+3'"},
	}
	var out []paramStatusAttack
	for _, param := range []string{"application_name", "TimeZone"} {
		for _, v := range values[param] {
			set := func(local bool) string { return fmt.Sprintf("set_config('%s', %s, %v)", param, v, local) }
			one := func(steps ...string) { out = append(out, paramStatusAttack{param, steps}) }
			one("SELECT " + set(false) + " FROM customers WHERE id = 1")
			one("SELECT 1 FROM customers WHERE id = 1 AND " + set(false) + " IS NOT NULL")
			one("SELECT count(*) FROM (SELECT " + set(false) + " FROM customers WHERE id = 1) s")
			one("WITH s AS (SELECT " + set(false) + " AS x FROM customers WHERE id = 1) SELECT length(x) FROM s")
			one("UPDATE scratch SET v = " + set(false) + " FROM customers WHERE customers.id = 1 AND scratch.id = 0")
			one("INSERT INTO scratch SELECT 9, " + set(false) + " FROM customers WHERE id = 1")
			one("BEGIN", "SELECT "+set(true)+" FROM customers WHERE id = 1")
			one("BEGIN", "SELECT "+set(false)+" FROM customers WHERE id = 1", "COMMIT")
		}
	}
	return out
}

// paramStatusLeak reports the form of a customers value (card or pin, as
// stored, reversed or in letters) that v holds, or "".
func paramStatusLeak(v string) string {
	v = strings.ToLower(v)
	for _, card := range []string{testCard, "5500000000000004"} {
		rev := reverseString(card)
		for _, f := range []string{card, rev, strings.Map(func(r rune) rune { return r - '0' + 'a' }, card),
			strings.Map(func(r rune) rune { return r - '0' + 'a' }, rev)} {
			if strings.Contains(v, f) {
				return f
			}
		}
	}
	for _, pin := range []string{"1234", "bcde", "9999", "jjjj"} {
		if strings.Contains(v, pin) {
			return pin
		}
	}
	return ""
}

// TestParameterStatusMasked sends every generated attack as the agent in
// each query mode and judges by the bytes the client got: no setting the
// server reports may carry a masked value. The parameters the client set
// itself, and the admin's (unmasked) sessions, keep their values.
func TestParameterStatusMasked(t *testing.T) {
	t.Parallel()
	for _, rules := range []string{paramStatusRules, notifyRules} {
		testParameterStatusMasked(t, rules)
	}
}

// testParameterStatusMasked is TestParameterStatusMasked under rules
// that allow the agent's set_config: field rules, or detectors only.
func testParameterStatusMasked(t *testing.T, rules string) {
	tg := startGateway(t, withRules(rules))
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, "INSERT INTO scratch VALUES (0, 'seed')").ReadAll(); err != nil {
		t.Fatal(err)
	}
	attacks := paramStatusAttacks()
	var through, total int
	for mode, m := range modes {
		t.Run(fmt.Sprintf("%s-%d", mode, len(rules)), func(t *testing.T) {
			c := tg.connect(t, "agent", m, func(cc *pgx.ConnConfig) { cc.RuntimeParams["application_name"] = "agent-app" })
			if got := c.PgConn().ParameterStatus("application_name"); got != "agent-app" {
				t.Fatalf("%s: application_name at startup %q", mode, got)
			}
			for _, a := range attacks {
				for _, step := range a.steps {
					_, _ = c.Exec(ctx, step)
				}
				total++
				got := c.PgConn().ParameterStatus(a.param)
				if f := paramStatusLeak(got); f != "" {
					through++
					t.Errorf("%s: %q reported %s = %q (%s)", mode, a.steps, a.param, got, f)
				}
				_, _ = c.Exec(ctx, "ROLLBACK")
				if _, err := c.Exec(ctx, "RESET application_name"); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Exec(ctx, "RESET TimeZone"); err != nil {
					t.Fatal(err)
				}
			}
			// RESET returns the client's own value, which it may see.
			if got := c.PgConn().ParameterStatus("application_name"); got != "agent-app" {
				t.Errorf("%s: application_name after RESET %q", mode, got)
			}
		})
	}
	t.Logf("%d of %d attacks reported a masked value", through, total)
	// An unmasked session sees its settings as they are.
	admin := tg.connect(t, "admin")
	if _, err := admin.Exec(ctx, "SELECT set_config('application_name', card, false) FROM customers WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if got := admin.PgConn().ParameterStatus("application_name"); got != testCard {
		t.Errorf("admin: application_name %q", got)
	}
}
