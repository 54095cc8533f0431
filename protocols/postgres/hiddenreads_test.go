package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
)

// hiddenReadQuery reads the masked customers columns, the card with its
// digits turned into letters (no detector knows it), as a query in text.
const hiddenReadQuery = `SELECT translate(card, '0123456789', 'abcdefghij') AS c, pin FROM customers`

// hiddenReadAttack is one attack: steps run in order on one session; the
// last one but a closing COMMIT copies what a function read into scratch.
type hiddenReadAttack []string

// hiddenReadAttacks generates the family of statements that read data
// they do not name as a relation: a built-in runs SQL given as text or
// reads a table, schema, database or cursor by name (query_to_xml and its
// kin, ts_stat, tablefunc's crosstab and connectby, xml2's xpath_table),
// reads large objects, other sessions' statements, server files or a
// table's raw pages (pageinspect) — in every spelling, attribute notation
// included, in every position of a write the
// rules allow because every table it names is a scratch one.
func hiddenReadAttacks() []hiddenReadAttack {
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	q := lit(hiddenReadQuery)
	tsq := lit(`SELECT to_tsvector('simple', translate(card, '0123456789', 'abcdefghij')) FROM customers`)
	// Each reader: its name and the text of a call, with %s for the name.
	readers := []struct {
		name, call string
		cursor     bool
	}{
		{"query_to_xml", "%s(" + q + ", true, false, '')::text", false},
		{"query_to_xml_and_xmlschema", "%s(" + q + ", true, false, '')::text", false},
		{"table_to_xml", "%s('customers', true, false, '')::text", false},
		{"table_to_xml_and_xmlschema", "%s('customers'::regclass, true, false, '')::text", false},
		{"schema_to_xml", "%s('public', true, false, '')::text", false},
		{"schema_to_xml_and_xmlschema", "%s('public', true, false, '')::text", false},
		{"database_to_xml", "%s(true, false, '')::text", false},
		{"database_to_xml_and_xmlschema", "%s(true, false, '')::text", false},
		{"cursor_to_xml", "%s('pgred_c', 10, false, false, '')::text", true},
		{"ts_stat", "(SELECT string_agg(word, ',') FROM %s(" + tsq + "))", false},
		{"lo_get", "encode(%s(4242), 'escape')", false},
		{"loread", "encode(%s(lo_open(4242, 262144), 100), 'escape')", false},
		{"pg_stat_get_backend_activity", "(SELECT string_agg(%s(s), ',') FROM pg_stat_get_backend_idset() s)", false},
		{"pg_stat_get_activity", "(SELECT string_agg(query, ',') FROM %s(NULL))", false},
		{"pg_read_file", "%s('/etc/hostname')", false},
		{"pg_read_binary_file", "encode(%s(pg_relation_filepath('customers')), 'hex')", false},
		{"pg_ls_dir", "(SELECT string_agg(x, ',') FROM %s('.') x)", false},
		{"pg_ls_waldir", "(SELECT string_agg(name, ',') FROM %s())", false},
		{"pg_stat_file", "%s(pg_relation_filepath('customers'))::text", false},
		// Contrib extensions the database's owner installed.
		{"crosstab", "(SELECT string_agg(v, ',') FROM %s(" + lit(`SELECT id::text, 'k'::text, pin FROM customers ORDER BY 1`) + ") AS t(r text, v text))", false},
		{"connectby", "(SELECT string_agg(k, ',') FROM %s('customers', 'card', 'name', 'Ada', 1) AS t(k text, p text, l int))", false},
		{"xpath_table", "(SELECT string_agg(x, ',') FROM %s('id', " + lit(`'<x>' || pin || '</x>'`) + ", 'customers', '/x', 'true') AS t(id int, x text))", false},
		{"get_raw_page", "encode(%s('customers', 0), 'hex')", false},
		{"heap_page_items", "(SELECT string_agg(encode(t_data, 'hex'), ',') FROM %s(get_raw_page('customers', 0)))", false},
		{"bt_page_items", "(SELECT string_agg(data, ',') FROM %s('customers_pkey', 1))", false},
	}
	spell := func(name string) []string {
		return []string{name, "pg_catalog." + name, `"` + name + `"`, `pg_catalog."` + name + `"`, "PG_CATALOG." + strings.ToUpper(name)}
	}
	positions := []string{
		"INSERT INTO scratch VALUES (7, %s)",
		"INSERT INTO scratch SELECT 7, %s",
		"INSERT INTO scratch SELECT 7, x FROM (SELECT %s AS x) s",
		"WITH s AS (SELECT %s AS x) INSERT INTO scratch SELECT 7, x FROM s",
		"INSERT INTO scratch SELECT 7, x FROM LATERAL (SELECT %s) s(x)",
		"UPDATE scratch SET v = %s WHERE id = 0",
		"UPDATE scratch SET v = s.x FROM (SELECT %s AS x) s WHERE id = 0",
	}
	var out []hiddenReadAttack
	for _, r := range readers {
		for _, n := range spell(r.name) {
			for _, p := range positions {
				stmt := fmt.Sprintf(p, fmt.Sprintf(r.call, n))
				if r.cursor {
					out = append(out, hiddenReadAttack{"BEGIN", "DECLARE pgred_c CURSOR FOR " + hiddenReadQuery, stmt, "COMMIT"})
				} else {
					out = append(out, hiddenReadAttack{stmt})
				}
			}
		}
	}
	// Attribute notation: (x).f and t.f call f(x) and f(t).
	for _, v := range []string{"encode((4242::oid).lo_get, 'escape')", "(SELECT encode(t.lo_get, 'escape') FROM oid(4242) t)",
		"encode((4242::oid).\"lo_get\", 'escape')", "encode((4242::oid).LO_GET, 'escape')",
		"(SELECT string_agg(x, ',') FROM (SELECT (s).pg_stat_get_backend_activity AS x FROM pg_stat_get_backend_idset() s) q)",
		"(SELECT string_agg(s.pg_stat_get_backend_activity, ',') FROM pg_stat_get_backend_idset() s)",
		"(SELECT string_agg((r).query, ',') FROM (SELECT (NULL::int).pg_stat_get_activity AS r) q)",
		"('/etc/hostname'::text).pg_read_file", "(SELECT t.pg_read_file FROM lower('/etc/hostname') t)"} {
		for _, p := range positions {
			out = append(out, hiddenReadAttack{fmt.Sprintf(p, v)})
		}
	}
	// Set-returning readers as rows of a FROM clause.
	for _, n := range spell("ts_stat") {
		out = append(out, hiddenReadAttack{"INSERT INTO scratch SELECT 7, word FROM " + n + "(" + tsq + ")"},
			hiddenReadAttack{"INSERT INTO scratch SELECT 7, w.word FROM scratch, LATERAL " + n + "(" + tsq + ") w"})
	}
	for _, n := range spell("pg_ls_dir") {
		out = append(out, hiddenReadAttack{"INSERT INTO scratch SELECT 7, x FROM " + n + "('.') x"})
	}
	for _, n := range spell("pg_stat_get_activity") {
		out = append(out, hiddenReadAttack{"INSERT INTO scratch SELECT 7, query FROM " + n + "(NULL)"})
	}
	return out
}

// TestHiddenReadsAreOpaque sends every generated attack as the agent,
// whose rules (testRules) allow writes to scratch tables only, and judges
// by effects: nothing a function read may land in scratch, from where a
// later read would return it unmasked (scratch.v is no masked column, and
// the card's letters are no detector's finding). Every attack must be
// refused: a statement reading what the rules cannot see is opaque (and
// one reading a server file reaches past the database).
func TestHiddenReadsAreOpaque(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, `INSERT INTO scratch VALUES (0, 'seed'); SELECT lo_from_bytea(4242, 'lo card 4111111111111111');
		CREATE EXTENSION pageinspect; CREATE EXTENSION tablefunc; CREATE EXTENSION xml2`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	copied := func() string {
		r, err := up.Exec(ctx, `SELECT count(*) FROM scratch WHERE id = 7 OR (id = 0 AND v IS DISTINCT FROM 'seed')`).ReadAll()
		if err != nil {
			return err.Error()
		}
		return string(r[0].Rows[0][0])
	}
	attacks := hiddenReadAttacks()
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
				t.Errorf("%s: %q copied what it read into scratch (err %v)", mode, a, err)
				if _, err := up.Exec(ctx, "DELETE FROM scratch WHERE id = 7; UPDATE scratch SET v = 'seed' WHERE id = 0").ReadAll(); err != nil {
					t.Fatal(err)
				}
			} else if err == nil {
				t.Errorf("%s: %q accepted", mode, a)
			}
		}
	})
	t.Logf("%d of %d attacks copied what they read into scratch", through, total)
}

// TestHiddenReadKeepsPreparedStatements: a hidden reader is opaque for
// what it reads, not for code of its own: where the rules and guards
// allow it, a client's prepared statements (pgx's statement cache)
// survive it, as they do any other function call.
func TestHiddenReadKeepsPreparedStatements(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(notifyRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	ctx := context.Background()
	if _, err := tg.upstream(t).Exec(ctx, "SELECT lo_from_bytea(4242, 'x')").ReadAll(); err != nil {
		t.Fatal(err)
	}
	c := tg.connect(t, "admin")
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM victims WHERE id > $1", 0).Scan(&n); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := c.QueryRow(ctx, "SELECT encode(lo_get(4242), 'escape')").Scan(&s); err != nil || s != "x" {
		t.Fatalf("hidden read: %q, %v", s, err)
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM victims WHERE id > $1", 0).Scan(&n); err != nil {
		t.Errorf("cached statement after a hidden read: %v", err)
	}
}
