package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// pgmaskLineageProbes read the field-rule column pin through routes the
// lineage has to follow: each must come back masked, NULL or refused.
var pgmaskLineageProbes = []string{
	"SELECT x FROM (SELECT string_agg(pin, ',') AS x FROM customers) s",
	"SELECT (regexp_matches(pin, '.+'))[1] FROM customers",
	"SELECT v FROM customers, json_each_text(json_build_object('p', pin)) AS j(k, v)",
	"SELECT p FROM customers, LATERAL (SELECT pin AS p) l",
	"SELECT unnest(array_agg(pin)) FROM customers",
	"SELECT max(pin) OVER () FROM customers",
	"SELECT (c).pin FROM (SELECT c FROM customers c) s",
	"SELECT c::text FROM customers c",
	"SELECT row_to_json(c)::text FROM customers c",
	"TABLE customers",
	"SELECT reverse(pin) FROM customers",
	"SELECT encode(pin::bytea, 'base64') FROM customers",
	"SELECT encode(pin::bytea, 'hex') FROM customers",
	"SELECT ascii(substr(pin, 1, 1)) FROM customers",
	"SELECT length(pin) || translate(pin, '0123456789', 'abcdefghij') FROM customers",
	"SELECT xmlagg(xmlelement(name p, pin))::text FROM customers",
	"SELECT (SELECT pin FROM customers WHERE id = 1) AS z",
	"SELECT CASE WHEN pin = '1234' THEN 'yes' END, pin FROM customers",
	"SELECT jsonb_path_query(to_jsonb(c), '$.pin')::text FROM customers c",
	"WITH x AS (SELECT pin FROM customers) SELECT * FROM x",
	"SELECT * FROM (VALUES ((SELECT pin FROM customers WHERE id=1))) v(a)",
	"SELECT a FROM customers CROSS JOIN LATERAL unnest(ARRAY[pin, name]) a",
	"SELECT string_to_array(pin, NULL)::text FROM customers",
	"SELECT array_to_string(regexp_split_to_array(pin, ''), '-') FROM customers",
	"SELECT split_part(pin || 'x' || name, 'x', 1) FROM customers",
	"SELECT * FROM ROWS FROM (unnest((SELECT array_agg(pin) FROM customers)))",
	"SELECT jsonb_agg(c)::text FROM customers c",
	"SELECT (SELECT array_agg(pin ORDER BY id) FROM customers)[1]",
	"SELECT pg_typeof(pin), quote_literal(pin), quote_ident(pin), format('%s', pin) FROM customers",
	"SELECT convert_to(pin, 'UTF8') FROM customers",
	"SELECT pin COLLATE \"C\" FROM customers",
	"SELECT lpad(pin, 8, '0'), overlay(pin placing 'x' from 1 for 0) FROM customers",
	"SELECT num_nonnulls(pin), concat_ws(',', pin, name) FROM customers",
	"SELECT pin::int8::text FROM customers",
	"SELECT id, pin FROM customers UNION ALL SELECT 3, 'z'",
	"SELECT * FROM (SELECT pin FROM customers) s(name)",
	"SELECT generate_series(pin::int, pin::int) FROM customers",
	"SELECT width_bucket(pin::int, 0, 10000, 10000) FROM customers",
	"SELECT pin::int / 100, pin::int % 100 FROM customers",
	"SELECT ascii(substr(pin, 1, 1)) || '-' || length(pin), pin::int / 100, pin::int % 100, get_byte(pin::bytea, 0) FROM customers",
	"SELECT most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE tablename = 'customers' AND attname = 'pin'",

	"SELECT * FROM jsonb_to_record((SELECT to_jsonb(c) FROM customers c WHERE id = 1)) AS r(pin text)",
}

// TestPgmaskLineageProbes runs each probe in both modes.
func TestPgmaskLineageProbes(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.adminExec(t, `ANALYZE customers`)
	tg.eachMode(t, "agent", func(t *testing.T, mode string, c *pgx.Conn) {
		for _, q := range pgmaskLineageProbes {
			rows, err := c.Query(context.Background(), q)
			if err != nil {
				continue
			}
			var got strings.Builder
			for rows.Next() {
				vals, _ := rows.Values()
				for _, v := range vals {
					got.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(probeText(v), " ", ""), "\n", "")) + "|")
				}
			}
			rows.Close()
			s := got.String()
			for _, secret := range []string{"1234", "9999", "4321", "MTIzNA", "31323334", "bcde", "49-4", "12|34", "|12|", "|34|", "4111111111", "5500000000"} {
				if strings.Contains(s, secret) {
					t.Errorf("%s: %q leaks %s: %s", mode, q, secret, s)
				}
			}
		}
	})
}

// probeText is a probe result's value as text (the caller drops spaces
// and line breaks before searching it).
func probeText(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
