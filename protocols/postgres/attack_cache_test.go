package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Attack 3, through the gateway: one session warms the shared
// classification cache with a harmless sibling, another sends the same
// shape with the literal that changes its meaning. The DELETE must not run,
// and the real password must not reach the record.
func TestAttackCachePoisoning(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(looseRules))
	seedPII(t, tg)
	ctx := context.Background()

	trap := tg.raw(t, "agent")
	trap.send(&pgproto3.Query{String: "EXPLAIN (ANALYZE 'off') DELETE FROM victims"})
	trap.until(1, step)
	victim := tg.raw(t, "agent")
	victim.send(&pgproto3.Query{String: "EXPLAIN (ANALYZE 'on') DELETE FROM victims"})
	victim.until(1, step)
	victim.send(&pgproto3.Parse{Query: "EXPLAIN (ANALYZE 1) DELETE FROM victims"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	victim.until(1, step)
	if n := tg.count(t, "victims"); n != 3 {
		t.Fatalf("the DELETE ran through a poisoned cache: %d victims left", n)
	}

	admin := tg.connect(t, "admin", simpleMode)
	role := "r_" + tg.db
	_, _ = admin.Exec(ctx, "CREATE ROLE "+role+" PASSWORD ''")
	_, _ = admin.Exec(ctx, "ALTER ROLE "+role+" PASSWORD 'Real-Passw0rd-77'")
	_, _ = admin.Exec(ctx, "CREATE ROLE "+role+"x PASSWORD 'Real-Passw0rd-78'")
	_ = admin.Close(ctx)
	time.Sleep(200 * time.Millisecond)
	if b := tg.recordedWith("Real-Passw0rd"); b != "" {
		t.Fatalf("a password of the same shape as a cached one was recorded raw: %s", b)
	}
}

// Attack 5, through the gateway: two-phase commit statements are never
// read-only, so a read-only policy refuses them in both protocols.
func TestAttackTwoPhaseCommit(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(looseRules))
	for _, sql := range []string{"PREPARE TRANSACTION 'x'", "COMMIT PREPARED 'x'", "ROLLBACK PREPARED 'x'"} {
		for _, ext := range []bool{false, true} {
			r := tg.raw(t, "agent")
			if ext {
				r.send(&pgproto3.Parse{Query: sql}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
			} else {
				r.send(&pgproto3.Query{String: sql})
			}
			got := r.until(1, step)
			if !strings.Contains(strings.Join(got, " "), "E:42501") {
				t.Errorf("%s (extended %v) was not refused: %v", sql, ext, got)
			}
		}
	}
}
