package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// deepStatements nest 60,000 levels deep, past where libpg_query's
// recursion in C overflows an 8 MB thread stack (about 24,000): left-deep
// chains of operators, casts, JOINs and UNIONs, each a few hundred KB.
var deepStatements = map[string]string{
	"plus":    "SELECT 1" + strings.Repeat("+1", 60000),
	"cast":    "SELECT 1" + strings.Repeat("::int", 60000),
	"concat":  "SELECT name" + strings.Repeat("||'a'", 60000) + " FROM customers",
	"join":    "SELECT 1 FROM scratch" + strings.Repeat(" JOIN scratch USING (id)", 60000),
	"union":   "SELECT 1" + strings.Repeat(" UNION SELECT 1", 60000),
	"in-func": "SELECT coalesce(1, 2" + strings.Repeat("*1", 60000) + ")",
}

// TestDeepStatementsRefusedNotCrashing: a statement nested deeply enough
// to crash the parser (before pgsql.Parse's guard, the whole gateway
// process died with every session) is refused with an error, through each
// query mode, as an agent and as an admin; the session goes on, and so
// does another session opened before.
func TestDeepStatementsRefusedNotCrashing(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	bystander := tg.connect(t, "admin")
	for _, user := range []string{"agent", "admin"} {
		t.Run(user, func(t *testing.T) {
			tg.eachMode(t, user, func(t *testing.T, mode string, c *pgx.Conn) {
				for name, text := range deepStatements {
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					_, err := c.Exec(ctx, text)
					cancel()
					if err == nil || !strings.Contains(err.Error(), "nest too deeply") {
						t.Errorf("%s %s %s: got %v, want a refusal as too deep", user, mode, name, err)
					}
					var one int
					if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
						t.Fatalf("%s %s after %s: the session did not go on: %v", user, mode, name, err)
					}
				}
			})
		})
	}
	var n int
	if err := bystander.QueryRow(context.Background(), "SELECT count(*) FROM held").Scan(&n); err != nil || n != 2 {
		t.Fatalf("the session opened before: %d rows, %v", n, err)
	}
}
