package postgres

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// strictRule denies an agent's statement that filters on or computes with
// a masked column (doc.go's strict policy).
const strictRule = "no-filtering-or-computing-on-masked-columns"

var maskedUseRules = strings.Replace(testRules, "masking:", `  - name: `+strictRule+`
    when: >
      identity.kind == "agent" && sql.statements.exists(s,
        s.masked_columns_filtered.size() > 0 || s.masked_columns_computed.size() > 0)
    action: deny
masking:`, 1)

// rowValue is an integer computed from column col of customers c.
func rowValue(r *rand.Rand, col string) string {
	forms := []string{"length(%s)", "ascii(%s)", "length(%s) %% 7", "position('1' in %s)", "octet_length(%s::text)"}
	if col == "c.pin" {
		forms = append(forms, "substr(%s, 1, 4)::int", "substr(%s, 2, 1)::int")
	}
	return fmt.Sprintf(forms[r.IntN(len(forms))], col)
}

// rowShapes are statements whose NUMBER or ORDER of rows is decided by
// %[1]s (an integer over customers c) or %[2]s (the same as a scalar
// sub-query, where a column may not appear), while no output shows it.
var rowShapes = []string{
	"SELECT count(*) FROM customers c, generate_series(1, %[1]s) g WHERE c.id = 1",
	"SELECT count(*) FROM customers c, string_to_table(repeat('x', %[1]s), NULL) WHERE c.id = 1",
	"SELECT count(*) FROM customers c CROSS JOIN LATERAL unnest(array_fill(0, ARRAY[%[1]s])) u WHERE c.id = 1",
	"SELECT count(*) FROM customers c, ROWS FROM (generate_series(1, %[1]s), generate_series(1, 2)) x WHERE c.id = 1",
	"SELECT count(*) FROM customers c, regexp_matches(repeat('a', %[1]s), 'a', 'g') m WHERE c.id = 1",
	"SELECT count(*) FROM customers c, jsonb_array_elements(to_jsonb(array_fill(0, ARRAY[%[1]s]))) e WHERE c.id = 1",
	"SELECT count(*) FROM customers c, generate_series(1, %[1]s) WITH ORDINALITY g(v, n) WHERE c.id = 1",
	"SELECT count(*) FROM customers c, XMLTABLE('/a/b' PASSING xmlparse(document '<a>' || repeat('<b/>', %[1]s) || '</a>') COLUMNS x int PATH '.') x WHERE c.id = 1",
	"SELECT count(*) FROM customers c, JSON_TABLE(to_jsonb(array_fill(0, ARRAY[%[1]s])), '$[*]' COLUMNS (v int PATH '$')) j WHERE c.id = 1",
	"SELECT count(*) FROM customers c, LATERAL (SELECT 1 FROM generate_series(1, 10000) LIMIT %[1]s) l WHERE c.id = 1",
	"SELECT count(*) FROM customers c, LATERAL (SELECT 1 FROM generate_series(1, 10000) OFFSET %[1]s) l WHERE c.id = 1",
	"SELECT count(*) FROM customers c JOIN generate_series(1, 10000) g ON g <= %[1]s WHERE c.id = 1",
	"SELECT c.id FROM customers c ORDER BY %[1]s",
	"SELECT count(*) FROM customers c GROUP BY %[1]s",
	"SELECT DISTINCT ON (%[1]s) c.id FROM customers c",
	"SELECT c.id, row_number() OVER (ORDER BY %[1]s) FROM customers c",
	"SELECT count(*) FROM (SELECT 1 FROM generate_series(1, 10000) LIMIT %[2]s) l",
	"SELECT count(*) FROM (SELECT 1 FROM generate_series(1, 10000) OFFSET %[2]s) l",
	"SELECT count(*) FROM generate_series(1, %[2]s) g",
	"SELECT count(*) FROM held TABLESAMPLE BERNOULLI (%[2]s)",
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < %[2]s) SELECT count(*) FROM r",
	"SELECT sum(1) OVER w FROM held WINDOW w AS (ORDER BY id ROWS BETWEEN CURRENT ROW AND %[2]s FOLLOWING)",
}

// plainShapes decide the number of rows by a bare column %s of customers c.
var plainShapes = []string{
	"SELECT count(*) FROM (SELECT DISTINCT %s FROM customers c) d",
	"SELECT count(*) FROM (SELECT %s FROM customers c INTERSECT SELECT '1234') d",
}

// rowShape builds a random statement whose row count or order is decided
// by column col of customers c.
func rowShape(r *rand.Rand, col string) string {
	var q string
	if r.IntN(len(rowShapes)+len(plainShapes)) < len(plainShapes) {
		q = fmt.Sprintf(plainShapes[r.IntN(len(plainShapes))], col)
	} else {
		v := rowValue(r, col)
		sub := fmt.Sprintf("(SELECT %s FROM customers c WHERE c.id = 1)", v)
		q = fmt.Sprintf(rowShapes[r.IntN(len(rowShapes))], v, sub)
	}
	switch r.IntN(5) {
	case 0:
		return "SELECT * FROM (" + q + ") w"
	case 1:
		return "WITH w AS (" + q + ") SELECT * FROM w"
	case 2:
		return "SELECT EXISTS (" + q + ")"
	case 3:
		return "SELECT 1 FROM held h, LATERAL (" + q + ") w"
	}
	return q
}

// TestRowShapingOnMaskedColumnsDenied generates statements in which a
// masked column decides how many rows come back, or in which order (set-
// returning functions in FROM, LIMIT / OFFSET, GROUP BY, ORDER BY,
// DISTINCT, window frames, TABLESAMPLE, recursion), and checks that the
// strict policy refuses each one, while the same shape over an unmasked
// column is not refused by it.
func TestRowShapingOnMaskedColumnsDenied(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(maskedUseRules))
	r := testSeed(t)
	agent := dialTap(t, tg, "agent")
	for range 150 {
		masked := []string{"c.pin", "c.card"}[r.IntN(2)]
		sql := rowShape(r, masked)
		if _, err := agent.run(r, sql); err == nil || !strings.Contains(err.Error(), strictRule) {
			t.Fatalf("%s: not refused by the strict policy (err %v)", sql, err)
		}
		plain := []string{"c.id", "c.name"}[r.IntN(2)]
		sql = rowShape(r, plain)
		if _, err := agent.run(r, sql); err != nil && (strings.Contains(err.Error(), strictRule) ||
			strings.Contains(err.Error(), "does not parse")) {
			t.Fatalf("%s: refused over an unmasked column: %v", sql, err)
		}
	}
}
