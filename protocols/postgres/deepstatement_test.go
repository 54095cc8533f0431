package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// deepStatements nest 40,000 levels deep, past where libpg_query's
// recursion in C overflows an 8 MB thread stack (about 24,000; UNIONs
// about 48,000 and are there twice as deep): left-deep chains of
// operators, casts, concatenation, JOINs and UNIONs.
var deepStatements = map[string]string{
	"plus":    "SELECT 1" + strings.Repeat("+1", 40000),
	"cast":    "SELECT 1" + strings.Repeat("::int", 40000),
	"concat":  "SELECT name" + strings.Repeat("||'a'", 40000) + " FROM customers",
	"join":    "SELECT 1 FROM scratch" + strings.Repeat(" JOIN scratch USING (id)", 40000),
	"union":   "SELECT 1" + strings.Repeat(" UNION SELECT 1", 60000),
	"in-func": "SELECT coalesce(1, 2" + strings.Repeat("*1", 40000) + ")",
}

// TestDeepStatementsRefusedNotCrashing: a statement nested deeply enough
// to crash the parser (before pgsql.Parse's guard, the whole gateway
// process died with every session) is refused with an error, through each
// query mode as an agent (and as an admin, simple), the session goes on,
// and so does another session opened before.
func TestDeepStatementsRefusedNotCrashing(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	bystander := tg.connect(t, "admin")
	check := func(t *testing.T, who string, c *pgx.Conn) {
		for name, text := range deepStatements {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			_, err := c.Exec(ctx, text)
			cancel()
			if err == nil || !strings.Contains(err.Error(), "nest too deeply") {
				t.Errorf("%s %s: got %v, want a refusal as too deep", who, name, err)
			}
			var one int
			if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("%s after %s: the session did not go on: %v", who, name, err)
			}
		}
	}
	tg.eachMode(t, "agent", func(t *testing.T, mode string, c *pgx.Conn) { check(t, "agent "+mode, c) })
	check(t, "admin simple", tg.connect(t, "admin", simpleMode))
	var n int
	if err := bystander.QueryRow(context.Background(), "SELECT count(*) FROM held").Scan(&n); err != nil || n != 2 {
		t.Fatalf("the session opened before: %d rows, %v", n, err)
	}
}
