package postgres

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// A failed login and a refused database are record events, with the user
// claimed and the reason, never the password tried.
func TestFailedLoginIsRecorded(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	host, port, _ := net.SplitHostPort(tg.addr)
	ctx := context.Background()
	for _, url := range []string{
		fmt.Sprintf("postgres://agent:Wrong-Passw0rd-9@%s:%s/%s?sslmode=disable", host, port, tg.db),
		fmt.Sprintf("postgres://mallory:secret@%s:%s/%s?sslmode=disable", host, port, tg.db),
		fmt.Sprintf("postgres://agent:secret@%s:%s/not_this_db?sslmode=disable", host, port),
	} {
		if c, err := pgxConnect(ctx, url); err == nil {
			_ = c.Close(ctx)
			t.Fatalf("%s: connected", url)
		}
	}
	var refusals []gate.Event
	deadline := time.Now().Add(5 * time.Second)
	for len(refusals) < 3 && time.Now().Before(deadline) {
		refusals = refusals[:0]
		for _, e := range tg.gateEvents() {
			if e.Kind == gate.EventRefused {
				refusals = append(refusals, e)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(refusals) != 3 {
		t.Fatalf("recorded %d refusals, want 3", len(refusals))
	}
	claimed := map[string]string{}
	for _, e := range refusals {
		if e.Identity == nil || e.Session == nil || e.Session.Protocol != gate.ProtocolPostgres || e.Session.ClientAddr == "" {
			t.Fatalf("refusal without identity, protocol or address: %+v", e)
		}
		claimed[e.Identity.Subject] += e.Error + ";"
		if strings.Contains(e.Error, "Wrong-Passw0rd") {
			t.Fatal("the password tried is in the record")
		}
	}
	if !strings.Contains(claimed["agent"], "password authentication failed") || !strings.Contains(claimed["agent"], "not_this_db") ||
		!strings.Contains(claimed["mallory"], "password authentication failed") {
		t.Fatalf("refusals: %v", claimed)
	}
}

// Refusals the gateway makes before the rules go through gate.Conn.Refuse:
// recorded as deny decisions named "postgres/<check>", counted in the
// session's denied requests; the client receives the same ErrorResponse
// as before.
func TestPreRuleRefusalsAreDecisions(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(allowAllRules))
	ctx := context.Background()
	c := tg.connect(t, "admin", simpleMode)
	_, err := c.Exec(ctx, "SELEC nonsense FROM")
	if sqlState(err) != "42501" || !strings.Contains(err.Error(), "airlock: denied: the statement does not parse: ") {
		t.Fatalf("simple parse refusal: %v", err)
	}
	e := tg.connect(t, "admin")
	_, err = e.Exec(ctx, "SELEC other FROM")
	if sqlState(err) != "42501" || !strings.Contains(err.Error(), "airlock: denied: the statement does not parse: ") {
		t.Fatalf("extended parse refusal: %v", err)
	}
	// The session goes on.
	var n int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the refusal: %d %v", n, err)
	}
	_ = c.Close(ctx)
	_ = e.Close(ctx)
	rules := map[string]int{}
	var denied int64
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		clear(rules)
		denied = 0
		for _, ev := range tg.gateEvents() {
			if ev.Kind == gate.EventDecision && ev.Decision.Action == gate.Deny {
				rules[ev.Decision.Rule]++
			}
			if ev.Kind == gate.EventSessionEnd && ev.Session != nil {
				denied += ev.Session.Denied
			}
		}
		if denied == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rules["postgres/parse"] != 2 || len(rules) != 1 {
		t.Fatalf("deny decisions by rule: %v, want postgres/parse twice", rules)
	}
	if denied != 2 {
		t.Fatalf("sessions counted %d denied requests, want 2", denied)
	}
}
