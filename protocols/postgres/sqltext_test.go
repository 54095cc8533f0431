package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// sqlTextQuery reads the masked customers columns, the card with its
// digits turned into letters (no detector knows it), as a query in text.
const sqlTextQuery = `SELECT translate(card, '0123456789', 'abcdefghij') AS c, pin FROM customers`

// sqlTextAttack is one attack: steps run in order on one session; the
// last one copies what a function read from customers into scratch.
type sqlTextAttack []string

// sqlTextAttacks generates the family of statements that read a table
// the statement does not name: a built-in runs SQL given as text or reads
// a table, schema, database or cursor by name (query_to_xml and its
// kin, ts_stat), in every spelling, in every position of a write the
// rules allow because every table it names is a scratch one.
func sqlTextAttacks() []sqlTextAttack {
	q := "'" + strings.ReplaceAll(sqlTextQuery, "'", "''") + "'"
	tsq := "'" + strings.ReplaceAll(`SELECT to_tsvector('simple', translate(card, '0123456789', 'abcdefghij')) FROM customers`, "'", "''") + "'"
	readers := []struct {
		name, args string
		cursor     bool
	}{
		{"query_to_xml", q + ", true, false, ''", false},
		{"query_to_xml_and_xmlschema", q + ", true, false, ''", false},
		{"table_to_xml", "'customers', true, false, ''", false},
		{"table_to_xml_and_xmlschema", "'customers'::regclass, true, false, ''", false},
		{"schema_to_xml", "'public', true, false, ''", false},
		{"schema_to_xml_and_xmlschema", "'public', true, false, ''", false},
		{"database_to_xml", "true, false, ''", false},
		{"database_to_xml_and_xmlschema", "true, false, ''", false},
		{"cursor_to_xml", "'pgred_c', 10, false, false, ''", true},
	}
	spell := func(name string) []string {
		return []string{name, "pg_catalog." + name, `"` + name + `"`, `pg_catalog."` + name + `"`, "PG_CATALOG." + strings.ToUpper(name)}
	}
	positions := []string{
		"INSERT INTO scratch VALUES (7, %s::text)",
		"INSERT INTO scratch SELECT 7, %s::text",
		"INSERT INTO scratch SELECT 7, x FROM (SELECT %s::text AS x) s",
		"WITH s AS (SELECT %s::text AS x) INSERT INTO scratch SELECT 7, x FROM s",
		"INSERT INTO scratch SELECT 7, x FROM LATERAL (SELECT %s::text) s(x)",
		"UPDATE scratch SET v = %s::text WHERE id = 0",
		"UPDATE scratch SET v = s.x FROM (SELECT %s::text AS x) s WHERE id = 0",
	}
	var out []sqlTextAttack
	for _, r := range readers {
		for _, n := range spell(r.name) {
			for _, p := range positions {
				stmt := fmt.Sprintf(p, n+"("+r.args+")")
				if r.cursor {
					out = append(out, sqlTextAttack{"BEGIN", "DECLARE pgred_c CURSOR FOR " + sqlTextQuery, stmt, "COMMIT"})
				} else {
					out = append(out, sqlTextAttack{stmt})
				}
			}
		}
	}
	// ts_stat runs its query and returns the words of its vectors, as a
	// value or as rows of a FROM clause.
	for _, n := range spell("ts_stat") {
		for _, p := range positions {
			out = append(out, sqlTextAttack{fmt.Sprintf(p, "(SELECT string_agg(word, ',') FROM "+n+"("+tsq+"))")})
		}
		out = append(out, sqlTextAttack{"INSERT INTO scratch SELECT 7, word FROM " + n + "(" + tsq + ")"},
			sqlTextAttack{"INSERT INTO scratch SELECT 7, w.word FROM scratch, LATERAL " + n + "(" + tsq + ") w"})
	}
	return out
}

// TestSQLTextReadsAreOpaque sends every generated attack as the agent,
// whose rules (testRules) allow writes to scratch tables only, and judges
// by effects: no value read from customers may land in scratch, from
// where a later read would return it unmasked (scratch.v is no masked
// column, and the card's letters are no detector's finding). Every attack
// must be refused: a statement running SQL the rules cannot see is opaque.
func TestSQLTextReadsAreOpaque(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, "INSERT INTO scratch VALUES (0, 'seed')").ReadAll(); err != nil {
		t.Fatal(err)
	}
	copied := func() string {
		r, err := up.Exec(ctx, `SELECT count(*) FROM scratch WHERE v LIKE '%ebbbbbbbbbbbbbbb%' OR v LIKE '%4111111111111111%'
			OR v LIKE '%1234%'`).ReadAll()
		if err != nil {
			return err.Error()
		}
		return string(r[0].Rows[0][0])
	}
	attacks := sqlTextAttacks()
	var through, total int
	tg.eachMode(t, "agent", func(t *testing.T, mode string, c *pgx.Conn) {
		// The rules allow an ordinary write to scratch.
		if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1, 'plain')"); err != nil {
			t.Fatalf("%s: ordinary scratch write refused: %v", mode, err)
		}
		for _, a := range attacks {
			// The attack is the last step but a closing COMMIT.
			at := len(a) - 1
			if len(a) > 1 {
				at--
			}
			var err error
			for i, step := range a {
				if _, serr := c.Exec(ctx, step); i == at {
					err = serr
				}
			}
			if len(a) > 1 {
				_, _ = c.Exec(ctx, "ROLLBACK")
			}
			total++
			if n := copied(); n != "0" {
				through++
				t.Errorf("%s: %q copied customers' values into scratch (%s rows, err %v)", mode, a, n, err)
				if _, err := up.Exec(ctx, "DELETE FROM scratch WHERE id = 7; UPDATE scratch SET v = 'seed' WHERE id = 0").ReadAll(); err != nil {
					t.Fatal(err)
				}
			} else if err == nil {
				t.Errorf("%s: %q accepted", mode, a)
			}
		}
	})
	t.Logf("%d of %d attacks copied customers' values into scratch", through, total)
}
