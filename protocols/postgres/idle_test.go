package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-sdk/airlock/gate"
)

// idleRules allow everything: the test is about time, not rules.
const idleRules = `
default: allow
rules: []
`

func withIdleTimeout(d time.Duration) gwOption {
	return func(_ *gate.Config, cfg *Config) { cfg.IdleInTransactionTimeout = d }
}

// TestIdleInTransactionEnded: a session that takes a lock in a
// transaction and then waits (after a read, a row lock, LOCK TABLE, a
// read with set_config; then, or after a failed statement, in every
// query mode) is ended after
// IdleInTransactionTimeout with SQLSTATE 25P03, so another session's DDL
// on the table goes through; a session idle outside a transaction, or
// busy in one, is left alone.
func TestIdleInTransactionEnded(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(idleRules), withIdleTimeout(400*time.Millisecond))
	ctx := context.Background()
	up := tg.upstream(t)
	holds := []string{
		"SELECT count(*) FROM scratch",
		"SELECT * FROM scratch FOR UPDATE",
		"LOCK TABLE scratch IN ACCESS SHARE MODE",
		"SELECT set_config('datestyle', 'DMY', true), count(*) FROM scratch",
	}
	probes, blocked := 0, 0
	for modeName, mode := range modes {
		for i, hold := range holds {
			for _, fail := range []bool{false, true} {
				probes++
				var opened []*pgx.Conn
				c := openConn(t, tg, &opened, mode)
				if _, err := c.Exec(ctx, "BEGIN"); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Exec(ctx, hold); err != nil {
					t.Fatalf("%s: %v", hold, err)
				}
				if fail {
					_, _ = c.Exec(ctx, "SELECT 1/0")
				}
				col := fmt.Sprintf("c_%s_%d_%v", modeName, i, fail)
				if _, err := up.Exec(ctx, "SET lock_timeout = '10s'; ALTER TABLE scratch ADD COLUMN "+col+" int").ReadAll(); err != nil {
					blocked++
					t.Errorf("%s/%s (failed: %v): DDL still blocked: %v", modeName, hold, fail, err)
				}
				if fail {
					// The server released the locks when the statement
					// failed; the session is ended all the same, as the
					// server's own idle_in_transaction_session_timeout does.
					time.Sleep(800 * time.Millisecond)
				}
				_, err := c.Exec(ctx, "SELECT 1")
				if err == nil {
					t.Errorf("%s/%s: the session went on after it was ended", modeName, hold)
				} else if s := sqlState(err); s != "25P03" && s != "" {
					t.Errorf("%s/%s: %v", modeName, hold, err)
				}
				closeAll(opened)
			}
		}
	}
	t.Logf("%d of %d idle transactions blocked DDL", blocked, probes)
	// Idle outside a transaction, and a long statement inside one: not
	// ended.
	var opened []*pgx.Conn
	defer func() { closeAll(opened) }()
	c := openConn(t, tg, &opened)
	time.Sleep(time.Second)
	if _, err := c.Exec(ctx, "BEGIN"); err != nil {
		t.Fatalf("after idling outside a transaction: %v", err)
	}
	if _, err := c.Exec(ctx, "SELECT pg_sleep(1)"); err != nil {
		t.Fatalf("a statement longer than the timeout: %v", err)
	}
	if _, err := c.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
}
