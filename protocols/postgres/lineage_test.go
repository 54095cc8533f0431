package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lineageNames are the masked column's values: nothing a detector knows,
// so only the field rule protects them.
var lineageNames = []string{"Xylqor Vandrez", "Quimbly Ostrafew"}

// lineageMasking masks customers.name and the card columns for agents by
// field rules only: the end of lineageRules and ddlRules.
const lineageMasking = `
  - name: mask-for-agents
    when: identity.groups.exists(g, g == "agents")
    mask: [customer_name, card_column]
masking:
  fields:
    - name: customer_name
      columns: ["customers.name"]
    - name: card_column
      columns: ["customers.card", "customers.pin"]
`

// lineageRules let agents read anything and mask customers.name by a field
// rule only.
const lineageRules = `
default: deny
rules:
  - name: reads
    when: sql.statements.all(s, (!s.opaque || s.kind == "EXECUTE") && s.kind in ["SELECT", "VALUES", "TABLE", "BEGIN", "COMMIT", "ROLLBACK", "DECLARE", "FETCH", "CLOSE", "PREPARE", "EXECUTE", "DEALLOCATE", "EXPLAIN", "COPY", "SHOW", "LISTEN", "UNLISTEN"])
    action: allow` + lineageMasking

// lineageFixture creates views, a materialized view and SQL functions over
// customers, directly on the database (not through the gateway).
const lineageFixture = `
UPDATE customers SET name = 'Xylqor Vandrez' WHERE id = 1;
UPDATE customers SET name = 'Quimbly Ostrafew' WHERE id = 2;
CREATE VIEW customer_names AS SELECT id, name AS who, lower(name) AS low FROM customers;
CREATE VIEW customer_names2 AS SELECT id, who || '' AS again FROM customer_names;
CREATE VIEW harmless AS SELECT id, card_num FROM customers;
CREATE MATERIALIZED VIEW customer_mv AS SELECT id, upper(name) AS up FROM customers;
CREATE FUNCTION name_of(i int) RETURNS text LANGUAGE sql STABLE AS 'SELECT name FROM customers WHERE id = i';
CREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT upper(t) || ''!''';
CREATE FUNCTION names_atomic() RETURNS SETOF text LANGUAGE sql STABLE BEGIN ATOMIC SELECT name FROM customers; END;
CREATE FUNCTION opaque_name(i int) RETURNS text LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN (SELECT name FROM customers WHERE id = i); END $$;
CREATE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql STABLE AS $$
	BEGIN RAISE NOTICE '%', (SELECT name FROM customers WHERE id = i); RETURN i; END $$;
CREATE TABLE orders (id int, customer_id int, total int);
INSERT INTO orders VALUES (10, 1, 5), (11, 2, 7);
`

func startLineageGateway(t testing.TB, rules string) *testGateway {
	t.Helper()
	tg := startGateway(t, func(g *gate.Config, _ *Config) {
		rs, err := gate.ParseRules("lineage.yaml", []byte(rules))
		if err != nil {
			t.Fatal(err)
		}
		g.Rules = rs
	})
	tg.adminExec(t, lineageFixture)
	return tg
}

// leakIn returns the first fixture name found in b in any of the forms a
// query can give it (any case, hex), or "".
func leakIn(b []byte) string {
	low := strings.ToLower(string(b))
	for _, n := range lineageNames {
		for _, w := range strings.Fields(n) {
			w = strings.ToLower(w)
			for i := 0; i+5 <= len(w); i++ {
				if strings.Contains(low, w[i:i+5]) {
					return n
				}
			}
			if strings.Contains(low, hex.EncodeToString([]byte(w))[:10]) {
				return n
			}
		}
	}
	return ""
}

// clientBytes runs sql through the gateway in the given mode and returns
// every value and message the client received, as text.
func clientBytes(t testing.TB, c *pgx.Conn, sql string) (string, error) {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	rows, err := c.Query(ctx, sql)
	if err != nil {
		b.WriteString(err.Error())
		return b.String(), err
	}
	for rows.Next() {
		for _, v := range rows.RawValues() {
			b.Write(v)
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		var pe *pgconn.PgError
		if errAs(err, &pe) {
			b.WriteString(pe.Message + pe.Detail + pe.Hint + pe.Where + pe.InternalQuery)
		}
		b.WriteString(err.Error())
		return b.String(), err
	}
	return b.String(), nil
}

// TestLineageIssueTable is the issue's table: every shape reached the
// client in plain text before lineage followed the data.
func TestLineageIssueTable(t *testing.T) {
	t.Parallel()
	tg := startLineageGateway(t, lineageRules)
	queries := []string{
		"SELECT name FROM customers",
		"SELECT x FROM (SELECT name || '' AS x FROM customers) s",
		"WITH t AS (SELECT lower(name) AS x FROM customers) SELECT x FROM t",
		"SELECT v FROM customers c, LATERAL (SELECT c.name || '!' AS v) l",
		"SELECT t.* FROM (SELECT concat(name, '') FROM customers) t",
		"SELECT * FROM customer_names",
		"SELECT * FROM customer_names2",
		"SELECT * FROM customer_mv",
		"SELECT name_of(1)",
		"SELECT shout(name) FROM customers",
		"SELECT * FROM names_atomic()",
		"SELECT opaque_name(1)",
		"SELECT row_to_json(c) FROM customers c",
		"SELECT to_json(s) FROM (SELECT name FROM customers) s",
		"SELECT string_agg(name, ',') FROM customers",
		"SELECT (SELECT max(name) FROM customers) AS m",
		"SELECT id, (SELECT c2.name FROM customers c2 WHERE c2.id = o.customer_id) FROM orders o",
		"SELECT translate(name, 'abcdefghijklmnopqrstuvwxyz', 'bcdefghijklmnopqrstuvwxyza') FROM customers",
		"SELECT encode(name::bytea, 'hex') FROM customers",
		"SELECT substr(name, 1, 7), substr(name, 8) FROM customers",
		"SELECT CASE WHEN id > 0 THEN name END FROM customers",
		"SELECT coalesce(NULL, name) FROM customers",
		"SELECT first_value(name) OVER (ORDER BY id) FROM customers",
		"WITH RECURSIVE r(n, x) AS (SELECT 1, name FROM customers UNION ALL SELECT n + 1, x || '' FROM r WHERE n < 2) SELECT x FROM r",
		"SELECT 'k' UNION SELECT name FROM customers",
		"SELECT name FROM customers INTERSECT SELECT name FROM customers",
		"SELECT name FROM customers EXCEPT SELECT 'zz'",
		"SELECT ROW(name, 1)::text FROM customers",
		"SELECT * FROM customers c JOIN orders o ON o.customer_id = c.id",
		"SELECT * FROM customers JOIN orders USING (id)",
		"SELECT name::int FROM customers",
		"SELECT name::json FROM customers",
		"SELECT name::xml FROM customers",
		"SELECT 1 FROM customers WHERE name::date IS NULL",
		"SELECT name::regclass FROM customers",
		"SELECT array_agg(name)::text FROM customers",
		"SELECT json_agg(c)::text FROM customers c",
		"SELECT (c).name FROM customers c",
		"SELECT split_part(name, ' ', 2) FROM customers",
		"SELECT c::text FROM customers c, generate_series(1, 2) g",
		"SELECT g, c FROM customers c, LATERAL unnest(ARRAY[c.id]) g",
		"SELECT x FROM customers c, LATERAL unnest(ARRAY[c.name]) x",
		"SELECT xmlelement(name foo, name)::text FROM customers",
		"SELECT ARRAY[name]::text FROM customers",
		"SELECT name COLLATE \"C\" || '' FROM customers",
		"SELECT * FROM json_populate_record(NULL::customers, (SELECT row_to_json(c) FROM customers c LIMIT 1))",
		"SELECT (json_each_text(row_to_json(c))).value FROM customers c",
		"SELECT n || '' FROM customers AS c(i, n)",
		"SELECT name || '', count(*) FROM customers GROUP BY ROLLUP(name)",
		"SELECT format('%s', c) FROM customers c",
		"SELECT quote_literal(name) FROM customers",
		"SELECT customers::text FROM customers",
		"SELECT (SELECT (SELECT name || ''))  FROM customers",
		"SELECT jsonb_path_query(to_jsonb(c), '$.name')::text FROM customers c",
		"SELECT pg_catalog.lower(name) FROM customers",
		"SELECT md5(name) = md5(name), left(name, 9) FROM customers",
		"SELECT * FROM ROWS FROM (unnest(ARRAY[(SELECT max(name) FROM customers)])) WITH ORDINALITY",
		"SELECT * FROM XMLTABLE('/a' PASSING xmlelement(name a, (SELECT max(name) FROM customers)) COLUMNS v text PATH '.')",
		"VALUES ((SELECT max(name) FROM customers))",
		"SELECT * FROM (VALUES ((SELECT min(name) || '' FROM customers))) v(x)",
	}
	tg.eachMode(t, "agent", func(t *testing.T, _ string, c *pgx.Conn) {
		for _, q := range queries {
			got, err := clientBytes(t, c, q)
			if err != nil && sqlState(err) == "42501" {
				t.Errorf("%q refused: %v", q, err)
			}
			if leak := leakIn([]byte(got)); leak != "" {
				t.Errorf("%q leaked %q: %s", q, leak, got)
			}
		}
	})
	// The admin, unmasked, sees the names: the fixture is real.
	c := tg.connect(t, "admin")
	got, err := clientBytes(t, c, "SELECT x FROM (SELECT name || '' AS x FROM customers) s")
	if err != nil || leakIn([]byte(got)) == "" {
		t.Fatalf("admin sees %q, %v", got, err)
	}
}

func errAs(err error, pe **pgconn.PgError) bool { return errors.As(err, pe) }

// TestFilterOnMaskedColumn runs the example rule file: agents may read a
// masked column (masked) but not filter, sort, group or join on it, through
// sub-queries and views too; filtering on other columns is allowed, and an
// admin is not concerned.
func TestFilterOnMaskedColumn(t *testing.T) {
	t.Parallel()
	rules, err := os.ReadFile("../../examples/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tg := startLineageGateway(t, string(rules))
	denied := []string{
		"SELECT id FROM customers WHERE name LIKE 'X%'",
		"SELECT id FROM customers ORDER BY name",
		"SELECT count(*) FROM customers GROUP BY name",
		"SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id AND c.name > 'M'",
		"SELECT id FROM customer_names WHERE who LIKE 'X%'",
		"SELECT id FROM customer_names2 ORDER BY again",
		"SELECT id FROM customer_mv WHERE up > 'M'",
		"SELECT id FROM (SELECT id, lower(name) AS l FROM customers) s WHERE l > 'm'",
		"SELECT id FROM customers WHERE id IN (SELECT id FROM customers WHERE name LIKE 'X%')",
		"SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM customers d WHERE d.name = c.name)",
		"SELECT DISTINCT ON (name) id FROM customers",
		"SELECT id, name FROM customers ORDER BY 2",
		"SELECT lower(name) AS l FROM customers ORDER BY l",
		"SELECT max(id) FROM customers HAVING max(name) > 'M'",
		"WITH t AS (SELECT * FROM customers WHERE name > 'M') SELECT id FROM t",
		"SELECT id FROM customers WHERE length(name) > 3",
		"SELECT * FROM customers c JOIN customer_names n ON n.who = c.name",
		"SELECT id FROM customers LIMIT (SELECT length(max(name)) FROM customers)",
		"SELECT row_number() OVER w FROM customers WINDOW w AS (ORDER BY name)",
		"EXPLAIN ANALYZE SELECT id FROM customers WHERE name LIKE 'X%'",
		"SELECT count(*) AS name FROM customers GROUP BY name",
		"SELECT 'Xylqor Vandrez' INTERSECT SELECT name FROM customers",
		"SELECT name FROM customers EXCEPT SELECT 'guess'",
		"SELECT name FROM customers UNION SELECT 'guess'",
		"SELECT id FROM customers NATURAL JOIN (SELECT 'guess' AS name) g",
		"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY name) AS rn FROM customers) s WHERE rn = 1",
		"SELECT id FROM (SELECT id FROM customers ORDER BY name LIMIT 1) s",
		"SELECT EXISTS (SELECT 1 FROM customers WHERE name LIKE 'X%')",
		"SELECT 1 FROM customers c, LATERAL (SELECT 1 WHERE c.name LIKE 'X%') f",
	}
	allowed := []string{
		"SELECT id, name FROM customers WHERE id = 1",
		"SELECT id FROM customer_names ORDER BY id",
		"SELECT * FROM orders WHERE total > 5 ORDER BY id",
		"SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id",
		"SELECT low FROM customer_names WHERE id = 2",
		"SELECT name FROM customers UNION ALL SELECT 'k'",
		"SELECT * FROM customers NATURAL JOIN orders",
		"SELECT 1 / (CASE WHEN name LIKE 'X%' THEN 1 ELSE 2 END) FROM customers",
	}
	ctx := context.Background()
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			agent := tg.connect(t, "agent", m)
			for _, q := range denied {
				_, err := agent.Exec(ctx, q)
				if sqlState(err) != "42501" || !strings.Contains(err.Error(), "masked column") {
					t.Errorf("%q: want the masked-column refusal, got %v", q, err)
				}
			}
			for _, q := range allowed {
				got, err := clientBytes(t, agent, q)
				if err != nil {
					t.Errorf("%q: %v", q, err)
				}
				if leak := leakIn([]byte(got)); leak != "" {
					t.Errorf("%q leaked %q", q, leak)
				}
			}
			admin := tg.connect(t, "admin", m)
			for _, q := range denied[:3] {
				if _, err := admin.Exec(ctx, q); err != nil {
					t.Errorf("admin %q: %v", q, err)
				}
			}
		})
	}
	// Rules saw the attributes: the decisions record them.
	found, computed, plain := false, false, false
	for _, e := range tg.gateEvents() {
		if e.Request == nil || e.Request.SQL == nil {
			continue
		}
		for _, s := range e.Request.SQL.Statements {
			if slices.Equal(s.MaskedColumnsFiltered, []string{"customers.name"}) && slices.Contains(s.FilterColumns, "customers.name") {
				found = true
			}
			switch s.Text {
			case "SELECT 1 / (CASE WHEN name LIKE 'X%' THEN 1 ELSE 2 END) FROM customers":
				computed = slices.Equal(s.MaskedColumnsComputed, []string{"customers.name"}) && len(s.MaskedColumnsFiltered) == 0
			case "SELECT id, name FROM customers WHERE id = 1":
				plain = len(s.MaskedColumnsComputed) == 0 && len(s.MaskedColumnsFiltered) == 0 && slices.Equal(s.FilterColumns, []string{"customers.id"})
			}
		}
	}
	if !found || !computed || !plain {
		t.Fatalf("recorded attributes: filtered %v, computed %v, plain read %v", found, computed, plain)
	}
}

// ddlRules also let agents change the schema, so a session can try to
// outrun the catalog cache.
const ddlRules = `
default: deny
rules:
  - name: anything-but-opaque
    when: sql.statements.all(s, !s.opaque || s.kind == "EXECUTE")
    action: allow` + lineageMasking

// TestLineageSchemaChanges redefines what a name means, inside and outside
// the gateway, in and out of transactions, and reuses cursor and prepared
// statement names: the catalog cache must never vouch for a stale
// definition.
func TestLineageSchemaChanges(t *testing.T) {
	t.Parallel()
	tg := startLineageGateway(t, ddlRules)
	ctx := context.Background()
	direct := tg.adminConn(t)
	run := func(c *pgx.Conn, sql string) string {
		t.Helper()
		var b strings.Builder
		results, err := c.PgConn().Exec(ctx, sql).ReadAll()
		for _, r := range results {
			for _, row := range r.Rows {
				for _, v := range row {
					b.Write(v)
					b.WriteByte('|')
				}
			}
		}
		if err != nil {
			b.WriteString(err.Error())
		}
		return b.String()
	}
	agent := tg.connect(t, "agent", simpleMode)
	check := func(name, sql string) {
		t.Helper()
		got := run(agent, sql)
		t.Logf("%s: %s", name, got)
		if leakIn([]byte(got)) != "" {
			t.Errorf("%s: %q leaked: %s", name, sql, got)
		}
	}
	// Warm the cache with the harmless definition.
	if got := run(agent, "SELECT lower(card_num::text) FROM harmless"); !strings.Contains(got, "|") {
		t.Fatalf("harmless view: %s", got)
	}
	// Redefined outside the gateway: seen within a second.
	if err := direct.Exec(ctx, "DROP VIEW harmless; CREATE VIEW harmless AS SELECT id, name AS card_num FROM customers").Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(catalogCheckEvery + 200*time.Millisecond)
	check("outside", "SELECT lower(card_num::text) FROM harmless")
	// Redefined through the gateway in an open transaction the catalog
	// connection cannot see.
	check("in transaction", "BEGIN; CREATE OR REPLACE VIEW customer_names AS SELECT id, name AS who, lower(name) AS low FROM customers; "+
		"DROP VIEW customer_names2; CREATE VIEW customer_names2 AS SELECT id, 'x' || who AS again FROM customer_names; SELECT lower(again) FROM customer_names2; ROLLBACK")
	check("shadowing", "BEGIN; CREATE SCHEMA s; CREATE VIEW s.orders AS SELECT name || '' AS total, id, id AS customer_id FROM customers; "+
		"SET LOCAL search_path = s, public; SELECT total FROM orders; ROLLBACK")
	run(agent, "BEGIN")
	run(agent, "CREATE TEMP VIEW orders AS SELECT name || '' AS total, id, id AS customer_id FROM customers")
	check("shadowing in a later message", "SELECT total FROM orders")
	run(agent, "COMMIT")
	check("after commit", "SELECT total FROM orders")
	check("shadowing temp view", "SELECT lower(total) FROM pg_temp.orders")
	// Statistics hold copies of column values.
	if err := direct.Exec(ctx, "ANALYZE customers").Close(); err != nil {
		t.Fatal(err)
	}
	check("pg_stats", "SELECT histogram_bounds::text, most_common_vals::text FROM pg_stats WHERE attname = 'name'")
	// Names reused: the server keeps the first, the gateway must not
	// forget it.
	check("cursor reuse", "DECLARE c1 CURSOR WITH HOLD FOR SELECT lower(name) FROM customers")
	check("cursor reuse", "DECLARE c1 CURSOR WITH HOLD FOR SELECT 'x'")
	check("cursor reuse", "FETCH ALL FROM c1")
	check("prepared reuse", "PREPARE p1 AS SELECT lower(name) FROM customers")
	check("prepared reuse", "PREPARE p1 AS SELECT 'x'")
	check("prepared reuse", "EXECUTE p1")
	// A cursor opened by a function is unknown to the gateway.
	if err := direct.Exec(ctx, `CREATE FUNCTION open_names() RETURNS refcursor LANGUAGE plpgsql AS $$
		DECLARE c refcursor := 'fc'; BEGIN OPEN c FOR SELECT lower(name) FROM customers; RETURN c; END $$`).Close(); err != nil {
		t.Fatal(err)
	}
	check("function cursor", "BEGIN; SELECT open_names(); FETCH ALL FROM fc; COMMIT")
	// A computed COPY, when allowed at all, is masked.
	check("copy", "COPY (SELECT lower(name) FROM customers) TO STDOUT")
}

// TestLineagePrecision checks the other side: columns whose lineage is
// known to be free of a masked column stay as they are.
func TestLineagePrecision(t *testing.T) {
	t.Parallel()
	tg := startLineageGateway(t, lineageRules)
	cases := []struct {
		sql  string
		want []string // per column: "" masked, else the value of the first row
	}{
		{"SELECT id, name FROM customers ORDER BY id", []string{"1", ""}},
		{"SELECT id, lower(name) FROM customers ORDER BY id", []string{"1", ""}},
		{"SELECT * FROM customer_names ORDER BY id", []string{"1", "", ""}},
		{"SELECT id * 2 AS d, again FROM customer_names2 ORDER BY id", []string{"2", ""}},
		{"SELECT o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id", []string{"5", ""}},
		{"WITH t AS (SELECT id, upper(name) AS u FROM customers) SELECT t.id + 1, t.u FROM t ORDER BY 1", []string{"2", ""}},
		{"SELECT s.* FROM (SELECT id, name || '' AS x FROM customers) s ORDER BY 1", []string{"1", ""}},
		{"SELECT count(*), string_agg(name, ',') FROM customers", []string{"2", ""}},
		{"SELECT id, up FROM customer_mv ORDER BY id", []string{"1", ""}},
		{"SELECT id, shout(name), shout('x') FROM customers ORDER BY id", []string{"1", "", "X!"}},
		{"SELECT id, (SELECT max(total) FROM orders o WHERE o.customer_id = c.id) FROM customers c ORDER BY id", []string{"1", "5"}},
		{"SELECT id, name FROM customers UNION ALL SELECT 9, 'z' ORDER BY 1", []string{"1", ""}},
		{"SELECT * FROM customers JOIN orders USING (id) ORDER BY id", nil},
	}
	ctx := context.Background()
	tg.eachMode(t, "agent", func(t *testing.T, name string, c *pgx.Conn) {
		for _, tc := range cases {
			rows, err := c.Query(ctx, tc.sql)
			if err != nil {
				t.Fatalf("%q: %v", tc.sql, err)
			}
			var first []string
			for rows.Next() {
				if first == nil {
					vals, err := rows.Values()
					if err != nil {
						t.Fatalf("%q: %v", tc.sql, err)
					}
					for _, v := range vals {
						first = append(first, fmt.Sprint(v))
					}
				}
				if leak := leakIn(bytes.Join(rows.RawValues(), []byte("|"))); leak != "" {
					t.Errorf("%q leaked %q", tc.sql, leak)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Fatalf("%q: %v", tc.sql, err)
			}
			for i, w := range tc.want {
				if i >= len(first) {
					t.Fatalf("%q: %d columns", tc.sql, len(first))
				}
				got := first[i]
				if w == "" {
					if got != "[CUSTOMER_NAME]" && got != "<nil>" {
						t.Errorf("%s: %q column %d = %q, want masked", name, tc.sql, i, got)
					}
				} else if got != w {
					t.Errorf("%s: %q column %d = %q, want %q", name, tc.sql, i, got, w)
				}
			}
		}
	})
}

// TestLineageErrors: an error that quotes a masked value is scrubbed; one
// that quotes only what the client wrote is kept whole.
func TestLineageErrors(t *testing.T) {
	t.Parallel()
	tg := startLineageGateway(t, lineageRules)
	ctx := context.Background()
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			var notices strings.Builder
			c := tg.connect(t, "agent", m, func(cfg *pgx.ConnConfig) {
				cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
					notices.WriteString(n.Message + n.Detail + n.Where + "\n")
				}
			})
			if _, err := c.Exec(ctx, "SELECT noisy(id) FROM customers"); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(notices.String(), "[masked") || leakIn([]byte(notices.String())) != "" {
				t.Errorf("notices: %s", notices.String())
			}
			_, err := c.Exec(ctx, "SELECT nmae FROM customers")
			if err == nil || !strings.Contains(err.Error(), `column "nmae" does not exist`) {
				t.Errorf("misspelt column: %v", err)
			}
			for _, q := range []string{"SELECT name::int FROM customers", "SELECT opaque_name(id)::int FROM customers",
				"SELECT 1 FROM customer_names WHERE who::numeric > 0"} {
				got, err := clientBytes(t, c, q)
				if err == nil || !strings.Contains(got, "[masked]") || leakIn([]byte(got)) != "" {
					t.Errorf("%q: %v / %s", q, err, got)
				}
			}
		})
	}
}

// TestLineageViews: a view, a materialized view (also once refreshed) and
// a view of a view over the masked table, read whole, by column and
// through expressions: the masked column's descendants are masked, the
// others are not.
func TestLineageViews(t *testing.T) {
	t.Parallel()
	tg := startLineageGateway(t, lineageRules)
	ctx := context.Background()
	direct := tg.adminConn(t)
	if err := direct.Exec(ctx, `CREATE VIEW mv_view AS SELECT id + 100 AS k, up || '?' AS u FROM customer_mv;
		REFRESH MATERIALIZED VIEW customer_mv`).Close(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sql  string
		want []string
	}{
		{"SELECT * FROM customer_names ORDER BY id", []string{"1", "", ""}},
		{"SELECT id, upper(low) FROM customer_names ORDER BY id", []string{"1", ""}},
		{"SELECT * FROM customer_names2 ORDER BY id", []string{"1", ""}},
		{"SELECT again || '', id FROM customer_names2 ORDER BY id", []string{"", "1"}},
		{"SELECT * FROM customer_mv ORDER BY id", []string{"1", ""}},
		{"SELECT k, u FROM mv_view ORDER BY k", []string{"101", ""}},
		{"SELECT v.k, lower(v.u) FROM mv_view v JOIN customer_names2 n ON n.id + 100 = v.k ORDER BY 1", []string{"101", ""}},
	}
	tg.eachMode(t, "agent", func(t *testing.T, name string, c *pgx.Conn) {
		for _, tc := range cases {
			rows, err := c.Query(ctx, tc.sql)
			if err != nil {
				t.Fatalf("%q: %v", tc.sql, err)
			}
			n := 0
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					t.Fatal(err)
				}
				if leak := leakIn(bytes.Join(rows.RawValues(), []byte("|"))); leak != "" {
					t.Errorf("%q leaked %q", tc.sql, leak)
				}
				if n == 0 {
					for i, w := range tc.want {
						got := fmt.Sprint(vals[i])
						if (w == "" && got != "[CUSTOMER_NAME]") || (w != "" && got != w) {
							t.Errorf("%s: %q column %d = %q, want %q", name, tc.sql, i, got, w)
						}
					}
				}
				n++
			}
			rows.Close()
			if rows.Err() != nil || n != 2 {
				t.Errorf("%q: %d rows, %v", tc.sql, n, rows.Err())
			}
		}
	})
}
