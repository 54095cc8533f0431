package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// echoForms are expressions that make the server put a value ($v, a
// text) into an error, quoted, unquoted, after a colon or in the middle
// of the message, in its detail or context.
var echoForms = []string{
	"($v)::int", "($v || 'z')::int", "($v)::date", "($v)::uuid", "($v)::json", "($v)::regclass", "($v)::regtype",
	`get_byte('\x00'::bytea, ($v)::int)`, `set_bit('\x00'::bytea, ($v)::int, 1)`, "chr(($v)::int * 1000)",
	"make_date(($v)::int, 13, 1)", "setseed(($v)::int)", "repeat('x', -($v)::int) || 1/0",
	"('{}'::int[])[($v)::int:($v)::int] || 1/0", "to_timestamp(($v)::text, 'YYYY-MM-DD')", "(($v)::int)::int2",
	"(ARRAY[1])[1/(($v)::int - ($v)::int)]", "echo_notice($v)", "echo_error($v)", "pg_size_bytes($v)",
}

// echoValues read a masked value: a field-rule column whole or in
// pieces.
var echoValues = []string{"pin", "card", "substr(card, 1, 8)", "substr(card, 9, 8)", "substr(card, 5, 4)", "pin || pin"}

// secretDigits reports a run of four or more digits in s that is part of
// a secret of the customers table.
func secretDigits(s string) string {
	for _, run := range regexp.MustCompile(`[0-9]{4,}`).FindAllString(s, -1) {
		for _, secret := range []string{testCard, "5500000000000004", "1234", "9999", "12341234", "99999999"} {
			if strings.Contains(secret, run) || strings.Contains(run, secret) {
				return run
			}
		}
	}
	return ""
}

// dictionary is a comment listing every value an error could echo, so
// "the value appears in the statement" says nothing.
func dictionary(rng *rand.Rand) string {
	if rng.IntN(2) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" /* ")
	for i := range 10000 {
		fmt.Fprintf(&b, "%04d %04dz ", i, i)
	}
	b.WriteString(testCard[:8] + " " + testCard[8:] + " */")
	return b.String()
}

// TestErrorEchoNeverLeaks is the generator for error and notice text:
// random expressions that make the server echo a masked column's value in
// every place a message has, with and without a comment listing every
// candidate value, in the simple and extended protocols. Judged by what
// the client received: no digits of a secret anywhere in the message,
// detail, hint, context or a notice.
func TestErrorEchoNeverLeaks(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.adminExec(t, `
		CREATE FUNCTION echo_notice(v text) RETURNS int LANGUAGE plpgsql AS $$BEGIN RAISE NOTICE 'saw %', v; RETURN 1; END$$;
		CREATE FUNCTION echo_error(v text) RETURNS int LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION USING MESSAGE = v, DETAIL = v, HINT = v; END$$`)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	t.Logf("seed %d", seed)
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			var notices strings.Builder
			c := tg.connect(t, "agent", mode, func(cfg *pgx.ConnConfig) {
				cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
					notices.WriteString(n.Message + "|" + n.Detail + "|" + n.Hint + "|" + n.Where + "\n")
				}
			})
			errs := 0
			for range 40 {
				form := echoForms[rng.IntN(len(echoForms))]
				v := echoValues[rng.IntN(len(echoValues))]
				q := "SELECT " + strings.ReplaceAll(form, "$v", v) + " FROM customers WHERE id = " +
					fmt.Sprint(1+rng.IntN(2)) + dictionary(rng)
				notices.Reset()
				got, err := echoOf(c, q)
				if err != nil && sqlState(err) != "42501" {
					errs++
				}
				if run := secretDigits(got + notices.String()); run != "" {
					t.Fatalf("%.120s: %q reached the client: %s %s", q, run, got, notices.String())
				}
			}
			if errs < 10 {
				t.Fatalf("%d statements failed on the server: the generator tests little", errs)
			}
		})
	}
}

// echoOf runs q and returns every text of its error the client received.
func echoOf(c *pgx.Conn, q string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := c.Query(ctx, q)
	if err == nil {
		for rows.Next() {
		}
		rows.Close()
		err = rows.Err()
	}
	if pe, ok := err.(*pgconn.PgError); ok {
		return strings.Join([]string{pe.Message, pe.Detail, pe.Hint, pe.Where, pe.InternalQuery, pe.SchemaName,
			pe.TableName, pe.ColumnName, pe.DataTypeName, pe.ConstraintName}, "|"), err
	}
	if err != nil {
		return err.Error(), err
	}
	return "", nil
}
