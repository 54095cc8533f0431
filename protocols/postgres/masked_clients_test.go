package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/jackc/pgx/v5"
)

// TestPgbenchMasked: pgbench in every query mode, -M prepared included,
// works through a gateway that masks its results (the added Describe of
// each Execute is invisible to it).
func TestPgbenchMasked(t *testing.T) {
	t.Parallel()
	pgbench := gatetest.NeedTool(t, "pgbench")
	tg := startGateway(t)
	direct := append(os.Environ(), "PGHOST=127.0.0.1", "PGPORT=5432", "PGUSER=postgres", "PGDATABASE="+tg.db)
	if out, err := runTool(t, direct, "", pgbench, "-i", "-q", "-s", "1"); err != nil {
		t.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	for _, mode := range []string{"simple", "extended", "prepared"} {
		out, err := runTool(t, tg.clientEnv("agent"), "", pgbench, "-n", "-S", "-M", mode, "-c", "2", "-t", "50")
		if err != nil || !strings.Contains(out, "number of transactions actually processed: 100") {
			t.Fatalf("pgbench -M %s: %v\n%s", mode, err, out)
		}
	}
}

// TestPsqlMasked: psql reads masked results, and a misspelt column in a
// statement over masked columns keeps its message, while a server error
// that could quote a masked value is withheld with its SQLSTATE.
func TestPsqlMasked(t *testing.T) {
	t.Parallel()
	psql := gatetest.NeedTool(t, "psql")
	tg := startGateway(t)
	args := []string{"-X", "-c", `\set VERBOSITY verbose`,
		"-c", "SELECT id, pin, card, card_num, convert_to(note, 'UTF8') AS note FROM customers ORDER BY id",
		"-c", "SELECT nmae, pin FROM customers", "-c", `SELECT get_byte('\x00'::bytea, pin::int) FROM customers WHERE id = 1`}
	out, err := runTool(t, tg.clientEnv("agent"), "", psql, args...)
	if err == nil {
		t.Fatalf("psql: the failing statements succeeded\n%s", out)
	}
	if leak := leakOf([]byte(out), forbidden(t)); leak != nil {
		t.Fatalf("%q reached psql:\n%s", leak, out)
	}
	for _, want := range []string{"(2 rows)", `column "nmae" does not exist`, "[masked] data exception 2202E"} {
		if !strings.Contains(out, want) {
			t.Errorf("psql output lacks %q:\n%s", want, out)
		}
	}
}

// TestMaskedBinaryResultsPgx: pgx reads most types in binary format. In
// every exec mode, values with nothing to mask (numbers, records, arrays,
// ranges, bytea) arrive intact, and those with a card number or a
// field-rule column inside arrive as NULL.
func TestMaskedBinaryResultsPgx(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	execModes := map[string]pgx.QueryExecMode{"cache-statement": pgx.QueryExecModeCacheStatement,
		"cache-describe": pgx.QueryExecModeCacheDescribe, "describe-exec": pgx.QueryExecModeDescribeExec,
		"exec": pgx.QueryExecModeExec, "simple": pgx.QueryExecModeSimpleProtocol}
	const q = `SELECT id, id::numeric, ROW(id, name), ARRAY[id, id], int4range(id, 9), convert_to(name, 'UTF8'),
		card_num, ROW(card_num, 1), ARRAY[note], convert_to(note, 'UTF8'), ROW(pin) FROM customers WHERE id = 1`
	for name, m := range execModes {
		t.Run(name, func(t *testing.T) {
			c := tg.connect(t, "agent", func(cfg *pgx.ConnConfig) { cfg.DefaultQueryExecMode = m })
			rows, err := c.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			vals, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(vals)
			if leak := leakOf([]byte(got), forbidden(t)); leak != nil {
				t.Fatalf("%q reached the client: %s", leak, got)
			}
			for i, v := range vals[:6] {
				if v == nil {
					t.Errorf("column %d: NULL, want the value: %s", i, got)
				}
			}
			for i, v := range vals[6:] {
				if v != nil && !strings.Contains(fmt.Sprint(v), "[") {
					t.Errorf("column %d: %v, want it masked: %s", 6+i, v, got)
				}
			}
		})
	}
}
