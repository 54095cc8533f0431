package postgres

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// notifyRules allow the agent everything, LISTEN and pg_notify included,
// and mask with detectors only: no field rule says which column is
// sensitive, so a value computed from a card is known only by its lineage.
const notifyRules = `
default: deny
rules:
  - name: anything
    when: "true"
    action: allow
  - name: mask-pii
    when: identity.groups.exists(g, g == "agents")
    mask: [pii]
`

// notifyTransforms turn the card column into forms no detector knows.
var notifyTransforms = []string{
	"translate(card, '0123456789', 'abcdefghij')", "reverse(card)", "to_hex(card_num)",
	"encode(convert_to(card, 'UTF8'), 'base64')", "regexp_replace(card, '(.)', '\\1 ', 'g')",
	"upper(translate(reverse(card), '0123456789', 'abcdefghij'))", "card_num::text || '-'",
}

// notifyAttacks generates the family of payloads a masking session
// receives as NotificationResponse: a value computed from a card, sent
// by the agent's own statement (pg_notify in every position, NOTIFY
// through EXECUTE of a prepared pg_notify) or by another session (an
// application's trigger notifying a row) on a channel the agent listens
// to.
func notifyAttacks() (own, others []string) {
	for _, tr := range notifyTransforms {
		own = append(own,
			"SELECT pg_notify('pgred', "+tr+") FROM customers",
			"SELECT 1 FROM customers WHERE pg_notify('pgred', "+tr+") IS NULL",
			"WITH s AS (SELECT pg_notify('pgred', "+tr+") FROM customers) SELECT count(*) FROM s",
			"SELECT count(*) FROM (SELECT pg_notify('pgred', "+tr+") FROM customers) s",
			"UPDATE scratch SET v = (SELECT string_agg(pg_notify('pgred', "+tr+")::text, '') FROM customers) WHERE id = 0",
		)
		others = append(others, "SELECT pg_notify('pgred', "+tr+") FROM customers")
	}
	return own, others
}

// notifyLeak reports the form of a fixture card that payload holds, or "".
func notifyLeak(payload string) string {
	p := strings.ToLower(strings.ReplaceAll(payload, " ", ""))
	for _, card := range []string{testCard, "5500000000000004"} {
		letters := func(s string) string { return strings.Map(func(r rune) rune { return r - '0' + 'a' }, s) }
		var n uint64
		_, _ = fmt.Sscan(card, &n)
		for _, f := range []string{card, reverseString(card), letters(card), letters(reverseString(card)),
			fmt.Sprintf("%x", n), strings.ToLower(base64.StdEncoding.EncodeToString([]byte(card))), hex.EncodeToString([]byte(card))} {
			if strings.Contains(p, f) {
				return f
			}
		}
	}
	return ""
}

// TestNotificationPayloadsMasked runs every generated attack in each
// query mode and judges by the bytes the agent got: no notification
// payload may carry a form of a card, under a decision that masks with
// detectors only (withheld: no detector knows a computed value) as under
// one with field rules (masked whole). The admin's payloads arrive as
// sent.
func TestNotificationPayloadsMasked(t *testing.T) {
	t.Parallel()
	for _, rules := range []string{notifyRules, paramStatusRules} {
		tg := startGateway(t, withRules(rules))
		ctx := context.Background()
		up := tg.upstream(t)
		if _, err := up.Exec(ctx, "INSERT INTO scratch VALUES (0, 'seed')").ReadAll(); err != nil {
			t.Fatal(err)
		}
		own, others := notifyAttacks()
		var through, total int
		for mode, m := range modes {
			var mu sync.Mutex
			var got []string
			c := tg.connect(t, "agent", m, func(cc *pgx.ConnConfig) {
				cc.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
					mu.Lock()
					got = append(got, n.Payload)
					mu.Unlock()
				}
			})
			if _, err := c.Exec(ctx, "LISTEN pgred"); err != nil {
				t.Fatal(err)
			}
			check := func(what string) {
				// A statement after the notification delivers it.
				if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				defer mu.Unlock()
				total++
				for _, p := range got {
					if f := notifyLeak(p); f != "" {
						through++
						t.Errorf("%s: %s: payload %q holds %s", mode, what, p, f)
						break
					}
				}
				got = nil
			}
			for _, a := range own {
				_, _ = c.Exec(ctx, a)
				check(a)
			}
			for _, a := range others {
				if _, err := up.Exec(ctx, a).ReadAll(); err != nil {
					t.Fatal(err)
				}
				check("another session: " + a)
			}
		}
		t.Logf("%d of %d attacks sent a card in a notification payload", through, total)
	}
	// An unmasked session gets payloads as they are.
	tg := startGateway(t, withRules(notifyRules))
	var payload string
	c := tg.connect(t, "admin", func(cc *pgx.ConnConfig) {
		cc.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) { payload = n.Payload }
	})
	ctx := context.Background()
	if _, err := c.Exec(ctx, "LISTEN pgred; NOTIFY pgred, 'hello'"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil || payload != "hello" {
		t.Errorf("admin: payload %q (%v)", payload, err)
	}
}
