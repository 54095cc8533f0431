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
	"SELECT * FROM jsonb_to_record((SELECT to_jsonb(c) FROM customers c WHERE id = 1)) AS r(pin text)",
}

// TestPgmaskLineageProbes runs each probe in both modes.
func TestPgmaskLineageProbes(t *testing.T) {
	tg := startGateway(t)
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
					got.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(toStr(v), " ", ""), "\n", "")) + "|")
				}
			}
			rows.Close()
			s := got.String()
			for _, secret := range []string{"1234", "9999", "4321", "MTIzNA", "31323334", "bcde", "4111111111", "5500000000"} {
				if strings.Contains(s, secret) {
					t.Errorf("%s: %q leaks %s: %s", mode, q, secret, s)
				}
			}
		}
	})
}

func toStr(v any) string {
	if v == nil {
		return "<nil>"
	}
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", ""))
}

func fmtAny(v any) string { return fmt.Sprint(v) }
