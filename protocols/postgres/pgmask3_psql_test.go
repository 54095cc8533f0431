package postgres

import (
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// TestPsqlCursorsMasked: psql, with FETCH_COUNT (a cursor behind the
// scenes), a WITH HOLD cursor, \copy and computed columns, receives
// nothing of the card columns, and the rows do arrive.
func TestPsqlCursorsMasked(t *testing.T) {
	t.Parallel()
	psql := gatetest.NeedTool(t, "psql")
	tg := startGateway(t, withRules(pgmask3Rules))
	args := []string{"-X", "-v", "FETCH_COUNT=1",
		"-c", "SELECT card, pin, card_num, card_num / 1000000 AS q, to_hex(card_num) AS h FROM customers",
		"-c", "DECLARE h CURSOR WITH HOLD FOR SELECT card, reverse(pin), card_num - 1 FROM customers",
		"-c", "FETCH ALL h",
		"-c", `\copy customers TO STDOUT`,
		"-c", "SELECT json_agg(card_num)::text, array_agg(card)::text FROM customers"}
	out, err := runTool(t, tg.clientEnv("agent"), "", psql, args...)
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if s := pgmask3Leak([]byte(out)); s != "" {
		t.Fatalf("%s reached psql:\n%s", s, out)
	}
	if n := strings.Count(out, "[CARD_COLUMN]"); n < 8 {
		t.Fatalf("psql received %d masked values, not the rows:\n%s", n, out)
	}
}
