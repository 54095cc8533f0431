package postgres

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// countOracleRules allow an agent everything, mask customers.name, card
// and pin by field rules, and deny (doc.go's strict policy) a statement
// that filters on or computes with a masked column.
const countOracleRules = "default: allow\nrules:\n  - name: " + strictRule + `
    when: >
      identity.kind == "agent" && sql.statements.exists(s,
        s.masked_columns_filtered.size() > 0 || s.masked_columns_computed.size() > 0)
    action: deny` + lineageMasking

// countPredicates are spellings of one bit of customers.name over alias
// c: %s is the prefix tested.
var countPredicates = []string{
	"c.name LIKE '%s%%'",
	"starts_with(c.name, '%s')",
	"left(c.name, 3) = left('%s', 3)",
	"c.name ~ '^%s'",
	"position('%s' in c.name) = 1",
	"(SELECT c2.name FROM customers c2 WHERE c2.id = c.id) LIKE '%s%%'",
	"c.id IN (SELECT id FROM customer_names WHERE who LIKE '%s%%')",
	"name_of(c.id) LIKE '%s%%'",
}

// countCarriers are the ways a predicate's truth reaches the client
// without a masked output column: P is the predicate over customers c
// (row 1), N a fresh suffix.
var countCarriers = []string{
	"SELECT count(*) FROM customers c WHERE c.id = 1 AND @P@",
	"SELECT c.id FROM customers c WHERE c.id = 1 AND @P@",
	"SELECT 1 FROM customers c WHERE c.id = 1 AND @P@ LIMIT 1 OFFSET 0",
	"SELECT c.id FROM customers c ORDER BY (@P@) DESC, c.id LIMIT 1",
	"SELECT bool_or(@P@) IS TRUE FROM customers c WHERE c.id = 1",
	"WITH x AS (SELECT * FROM customers c WHERE c.id = 1 AND @P@) SELECT count(*) FROM x",
	"SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id AND @P@",
	"UPDATE scratch SET v = v WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = 1 AND @P@)",
	"DELETE FROM scratch WHERE id = -1 OR EXISTS (SELECT 1 FROM customers c WHERE c.id = 1 AND @P@) AND id = 0 AND false",
	"INSERT INTO scratch SELECT 7, 'x' FROM customers c WHERE c.id = 1 AND @P@",
	"SELECT nextval('sq_N') FROM customers c WHERE c.id = 1 AND @P@",
	"EXPLAIN (ANALYZE, TIMING off, SUMMARY off, COSTS off) SELECT * FROM customers c WHERE c.id = 1 AND @P@",
	"SELECT 1 / (CASE WHEN @P@ THEN 0 ELSE 1 END) FROM customers c WHERE c.id = 1",
	"SELECT CASE WHEN @P@ THEN pg_sleep(0) END IS NULL FROM customers c WHERE c.id = 1",
	"SELECT count(*) FROM customers c, generate_series(1, CASE WHEN @P@ THEN 2 ELSE 1 END) g WHERE c.id = 1",
	"COPY (SELECT c.id FROM customers c WHERE c.id = 1 AND @P@) TO STDOUT",
	"BEGIN; DECLARE cur_N CURSOR FOR SELECT c.id FROM customers c WHERE c.id = 1 AND @P@; MOVE ALL FROM cur_N; COMMIT",
	"SELECT count(*) FROM customers c TABLESAMPLE BERNOULLI (CASE WHEN (SELECT @P@ FROM customers c WHERE c.id = 1) THEN 100 ELSE 0 END)",
	"SELECT DISTINCT @P@ FROM customers c WHERE c.id = 1",
	"SELECT c.id FROM customers c WHERE c.id = 1 GROUP BY c.id, c.name HAVING bool_and(@P@)",
}

// TestCountOracles: under the strict policy every carrier of a
// predicate's truth (row counts, command tags, LIMIT/OFFSET and ORDER BY,
// a sequence advanced under the filter, EXPLAIN ANALYZE's rows, an error
// or a delay computed from it, COPY, MOVE's tag, TABLESAMPLE) × every
// spelling of a predicate on a masked column is refused, so the client's
// bytes are the same whether the predicate holds or not. The admin's
// control (unmasked, not under the strict rule) shows the carrier is
// real: its bytes differ.
func TestCountOracles(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(countOracleRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture+"INSERT INTO scratch VALUES (0, 'z');")
	r := testSeed(t)
	agent := dialTap(t, tg, "agent")
	admin := dialTap(t, tg, "admin")
	real, leaked, n := 0, 0, 0
	for _, carrier := range countCarriers {
		for _, pred := range countPredicates {
			n++
			suffix := fmt.Sprintf("_%d", n)
			q := func(prefix string) string {
				return strings.ReplaceAll(strings.ReplaceAll(carrier, "@P@", fmt.Sprintf(pred, prefix)), "_N", suffix)
			}
			if strings.Contains(carrier, "sq_N") {
				tg.adminExec(t, "CREATE SEQUENCE sq"+suffix)
			}
			mode := r.Uint64()
			ask := func(tp *tap, prefix string) []byte {
				if strings.Contains(carrier, "sq_N") {
					tg.adminExec(t, "ALTER SEQUENCE sq"+suffix+" RESTART")
				}
				same := rand.New(rand.NewPCG(mode, mode)) // one protocol mode for both answers
				b, _ := tp.run(same, q(prefix))
				if !strings.Contains(carrier, "sq_N") {
					return b
				}
				after, _ := tp.run(same, "SELECT last_value FROM sq"+suffix)
				return append(b, after...)
			}
			if bytes.Equal(ask(admin, "Xylqor"), ask(admin, "Zzzz")) {
				continue
			}
			real++
			yes, no := ask(agent, "Xylqor"), ask(agent, "Zzzz")
			if !bytes.Equal(yes, no) {
				leaked++
				t.Errorf("%s: the agent tells the predicate's truth apart: %q vs %q", q("Xylqor"), yes, no)
			}
		}
	}
	t.Logf("count oracles under the strict policy: %d of %d real carriers leaked (%d cases)", leaked, real, n)
	if real < n/2 {
		t.Errorf("only %d of %d cases are real: the generator is broken", real, n)
	}
}
