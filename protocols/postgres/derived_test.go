package postgres

import (
	"context"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// derivedRules let agents run anything and cover serial and identity ids,
// a column with statistics and a column whose default is the secret.
var derivedRules = allowAllMasked("derived", "tickets.id", "tickets.pin", "badges.id", "defaults.pin")

// derivedFixture puts lateSecret where objects derived from covered
// columns show it: the next value of a serial's and an identity's
// sequence, the most common value and histogram of an analysed column
// (and of extended statistics on it), and a column default.
var derivedFixture = `
CREATE TABLE tickets (id serial PRIMARY KEY, pin int, note text);
INSERT INTO tickets (id, pin, note) SELECT g, CASE WHEN g % 3 = 0 THEN g ELSE ` + strconv.Itoa(lateSecret) + ` END, 'n' || g % 2
	FROM generate_series(1, 300) g;
SELECT setval('tickets_id_seq', ` + strconv.Itoa(lateSecret-1) + `);
CREATE STATISTICS tickets_stx (mcv) ON pin, note FROM tickets;
ANALYZE tickets;
CREATE TABLE badges (id int GENERATED ALWAYS AS IDENTITY (START WITH ` + strconv.Itoa(lateSecret) + `), v text);
CREATE TABLE defaults (pin int DEFAULT ` + strconv.Itoa(lateSecret) + `, v text);
`

// derivedReads are the ways to read a covered column's value through an
// object derived from it, each run after the writes that assign the
// secret as an id. Each must return a row.
var derivedReads = []string{
	"INSERT INTO tickets (pin, note) VALUES (1, 'agent') RETURNING id",
	"INSERT INTO badges (v) VALUES ('agent') RETURNING id",
	"SELECT last_value FROM tickets_id_seq",
	"SELECT * FROM badges_id_seq",
	"SELECT last_value::text FROM public.tickets_id_seq",
	"SELECT currval('tickets_id_seq')",
	"SELECT currval(pg_get_serial_sequence('badges', 'id'))::text",
	"SELECT lastval()",
	"SELECT pg_sequence_last_value('tickets_id_seq'::regclass)",
	"SELECT last_value FROM pg_sequences WHERE sequencename = 'tickets_id_seq'",
	"SELECT * FROM pg_sequences",
	"SELECT seqstart FROM pg_sequence",
	"SELECT start_value FROM pg_sequence_parameters('badges_id_seq'::regclass)",
	"SELECT * FROM information_schema.sequences",
	"SELECT nextval('tickets_id_seq') - 1",
	"SELECT most_common_vals::text, histogram_bounds::text FROM pg_stats WHERE tablename = 'tickets'",
	"SELECT * FROM pg_stats WHERE tablename = 'tickets'",
	"SELECT stavalues1::text, stavalues2::text FROM pg_statistic",
	"SELECT most_common_vals::text FROM pg_stats_ext WHERE statistics_name = 'tickets_stx'",
	"SELECT m.values::text FROM pg_statistic_ext_data d, pg_mcv_list_items(d.stxdmcv) m",
	"SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef",
	"SELECT column_default FROM information_schema.columns WHERE table_name = 'defaults'",
}

// TestDerivedObjectsNeverLeak is the table of objects derived from a
// covered column: sequences owned by it or feeding its default (serial and
// identity), the functions that read them, catalog statistics after
// ANALYZE (pg_stats, pg_statistic, pg_stats_ext, pg_mcv_list_items) and
// column defaults. In the simple and extended protocols (the latter with
// binary results), judged by every byte the client read.
func TestDerivedObjectsNeverLeak(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(derivedRules))
	tg.adminExec(t, derivedFixture)
	for mode, set := range map[string]func(*pgx.ConnConfig){"simple": simpleMode, "extended": func(*pgx.ConnConfig) {}} {
		t.Run(mode, func(t *testing.T) {
			tg.adminExec(t, "DELETE FROM tickets WHERE note = 'agent'; DELETE FROM badges; SELECT setval('tickets_id_seq', "+strconv.Itoa(lateSecret-1)+
				"); ALTER TABLE badges ALTER COLUMN id RESTART WITH "+strconv.Itoa(lateSecret))
			tap, c := tg.tapped(t, set)
			ctx := context.Background()
			for _, q := range derivedReads {
				before := len(tap.bytes())
				n, err := countRows(ctx, c, q)
				if err != nil || n == 0 {
					t.Fatalf("%s: %d rows, %v: the case tests nothing", q, n, err)
				}
				if f := secretIn(tap.bytes()[before:]); f != "" {
					t.Errorf("%s: the secret reached the client (%s)", q, f)
				}
			}
		})
	}
}

// countRows runs q in the connection's query mode and counts its rows.
func countRows(ctx context.Context, c *pgx.Conn, q string) (int, error) {
	rows, err := c.Query(ctx, q)
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	return n, rows.Err()
}
