package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// hiddenWriteAttacks generates spellings of three families a read-only
// policy must not let through: session-state changes hidden in reads
// (set_config), EXPLAIN ANALYZE of a write, and writes nested in reads
// (writable CTEs, CREATE TABLE AS, SELECT INTO, DECLARE).
func hiddenWriteAttacks() []string {
	var out []string
	// Family 2: set_config spellings.
	names := []string{"set_config", "pg_catalog.set_config", `"set_config"`, `pg_catalog."set_config"`, `PG_CATALOG.SET_CONFIG`}
	settings := []string{"'role', 'hw_victim'", "'search_path', 'evil'", "'session_authorization', 'hw_victim'", "'default_transaction_read_only', 'on'", "'standard_conforming_strings', 'off'", "'client_encoding', 'SJIS'", "'statement_timeout', '1'"}
	for _, n := range names {
		for _, s := range settings {
			call := fmt.Sprintf("%s(%s, false)", n, s)
			out = append(out,
				"SELECT "+call,
				"WITH x AS (SELECT "+call+") SELECT * FROM x",
				"SELECT * FROM (SELECT "+call+") s",
				"VALUES ("+call+")",
				"SELECT length("+call+")",
				"SELECT 1 WHERE "+call+" IS NOT NULL",
				"SELECT * FROM "+call,
				"SELECT ("+call+")::text::varchar",
			)
		}
	}
	// Family 3: EXPLAIN ANALYZE spellings of a write.
	opts := []string{"ANALYZE", "ANALYSE", "analyze", "AnAlYzE", "ANALYZE true", "ANALYZE on", "ANALYZE 1", "ANALYZE yes", "ANALYZE 'on'", "analyse TRUE", "VERBOSE, ANALYZE", "ANALYZE, BUFFERS", "COSTS off, ANALYZE on, TIMING off", `"analyze"`, "FORMAT JSON, ANALYZE"}
	writes := []string{"DELETE FROM victims", "UPDATE victims SET id = -id", "INSERT INTO victims VALUES (99)", "CREATE TABLE hw_made AS SELECT 1", "SELECT * INTO hw_made FROM victims", "WITH d AS (DELETE FROM victims RETURNING 1) SELECT * FROM d"}
	for _, w := range writes {
		out = append(out, "EXPLAIN ANALYZE "+w, "EXPLAIN ANALYSE "+w, "explain analyze verbose "+w)
		for _, o := range opts {
			out = append(out, "EXPLAIN ("+o+") "+w)
		}
	}
	// Family 4: writes nested in reads.
	out = append(out,
		"WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d",
		"WITH i AS (INSERT INTO victims VALUES (99) RETURNING *) SELECT 1",
		"WITH u AS (UPDATE victims SET id = -id RETURNING *) SELECT count(*) FROM u",
		"SELECT * FROM (WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d) s",
		"WITH a AS (SELECT * FROM (WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d) s) SELECT * FROM a",
		"WITH RECURSIVE d AS (DELETE FROM victims RETURNING *) SELECT * FROM d",
		"WITH x AS MATERIALIZED (DELETE FROM victims RETURNING *) SELECT 1",
		"WITH x AS NOT MATERIALIZED (SELECT 1), d AS (DELETE FROM victims RETURNING *) SELECT * FROM x",
		"COPY (WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d) TO STDOUT",
		"CREATE TABLE hw_made AS SELECT * FROM victims",
		"CREATE TEMP TABLE hw_made AS SELECT * FROM victims",
		"CREATE UNLOGGED TABLE hw_made AS SELECT 1",
		"CREATE TABLE hw_made AS WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d",
		"CREATE MATERIALIZED VIEW hw_made AS SELECT * FROM victims",
		"SELECT * INTO hw_made FROM victims",
		"SELECT * INTO TEMP hw_made FROM victims",
		"SELECT * INTO TEMPORARY TABLE hw_made FROM victims",
		"SELECT 1 AS x INTO UNLOGGED hw_made",
		"WITH s AS (SELECT 1) SELECT * INTO hw_made FROM s",
		"SELECT * INTO hw_made FROM victims UNION SELECT 1",
		"DECLARE c CURSOR FOR DELETE FROM victims RETURNING *",
		"DECLARE c CURSOR WITH HOLD FOR WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d",
		"DECLARE c CURSOR FOR SELECT * FROM victims FOR UPDATE",
		"PREPARE hw AS DELETE FROM victims",
		"PREPARE hw AS WITH d AS (DELETE FROM victims RETURNING *) SELECT * FROM d",
		"PREPARE hw AS SELECT set_config('role', 'hw_victim', false)",
		"EXPLAIN ANALYZE SELECT set_config('role', 'hw_victim', false)",
	)
	return out
}

// createVictimRole makes the role the attacks try to become, once per
// cluster (roles outlive the test's database); of tests running at once
// that race to make it, the losers find it made.
const createVictimRole = `DO $$ BEGIN CREATE ROLE hw_victim; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`

// TestHiddenWrites sends every generated attack through the gateway as
// the admin (whose rules allow reads) in both protocols and judges by
// effects: the victims' rows, the session's role and settings, and no
// table created.
func TestHiddenWrites(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, `INSERT INTO victims SELECT generate_series(1, 5);
		`+createVictimRole+`;
		GRANT ALL ON ALL TABLES IN SCHEMA public TO hw_victim`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	attacks := hiddenWriteAttacks()
	tg.eachMode(t, "admin", func(t *testing.T, mode string, c *pgx.Conn) {
		var base string
		state := func() string {
			var s string
			err := c.QueryRow(ctx, `SELECT (SELECT count(*) FROM victims WHERE id > 0)::text || '|' || current_user || '|' || session_user || '|' ||
				current_setting('search_path') || '|' || current_setting('default_transaction_read_only') || '|' ||
				current_setting('standard_conforming_strings') || '|' || current_setting('client_encoding') || '|' ||
				current_setting('statement_timeout') || '|' || (SELECT count(*) FROM pg_class WHERE relname = 'hw_made')::text || '|' ||
				(SELECT count(*) FROM pg_prepared_statements WHERE name = 'hw')::text || '|' || (SELECT count(*) FROM pg_cursors)::text`).Scan(&s)
			if err != nil {
				return "unreadable: " + err.Error()
			}
			return s
		}
		base = state()
		if !strings.HasPrefix(base, "5|") {
			t.Fatalf("baseline state %q", base)
		}
		for _, sql := range attacks {
			_, err := c.Exec(ctx, sql)
			if after := state(); after != base {
				t.Errorf("%s: %q changed state %q -> %q (err %v)", mode, sql, base, after, err)
				// Restore for the next attempt, straight upstream and
				// through a fresh session.
				for _, q := range []string{"DROP TABLE IF EXISTS hw_made", "DROP MATERIALIZED VIEW IF EXISTS hw_made", "DELETE FROM victims", "INSERT INTO victims SELECT generate_series(1, 5)"} {
					_, _ = up.Exec(ctx, q).ReadAll()
				}
				_ = c.Close(ctx)
				c = tg.connect(t, "admin", modes[mode])
				base = state()
			} else if err == nil {
				t.Errorf("%s: %q accepted (no visible effect)", mode, sql)
			}
		}
	})
}

// TestHiddenStartupSettings sends settings in the startup packet, as
// options and as bare parameters in any case, and checks the session's
// role and settings are the gateway's.
func TestHiddenStartupSettings(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, createVictimRole).ReadAll(); err != nil {
		t.Fatal(err)
	}
	const probe = `SELECT current_user || '|' || current_setting('search_path') || '|' || current_setting('default_transaction_read_only') || '|' || current_setting('statement_timeout') || '|' || current_setting('standard_conforming_strings') || '|' || current_setting('client_encoding') || '|' || current_setting('session_preload_libraries') || '|' || current_setting('local_preload_libraries')`
	var base string
	if err := tg.connect(t, "admin").QueryRow(ctx, probe).Scan(&base); err != nil {
		t.Fatal(err)
	}
	var params []map[string]string
	for _, key := range []string{"options", "OPTIONS", "Options"} {
		for _, v := range []string{"-c role=hw_victim", "-c search_path=evil", "-c default_transaction_read_only=on", "-crole=hw_victim", "--role=hw_victim", "-c statement_timeout=1", "-c standard_conforming_strings=off"} {
			params = append(params, map[string]string{key: v})
		}
	}
	// Allow-listed names in the client's case, with values that would be
	// options elsewhere; settings the allow-list leaves out.
	params = append(params, []map[string]string{
		{"Application_Name": "-c role=hw_victim"}, {"APPLICATION_NAME": "x -c search_path=evil"},
		{"application_name": "a", "Application_name": "-c default_transaction_read_only=on"},
		{"session_preload_libraries": "auto_explain"}, {"Session_Preload_Libraries": "auto_explain"},
		{"local_preload_libraries": "auto_explain"}, {"Options": "-c session_preload_libraries=auto_explain"},
		{"Standard_Conforming_Strings": "off"}, {"CLIENT_ENCODING": "SJIS"}, {"Client_Encoding": "SJIS"},
		{"Role": "hw_victim"}, {"Search_path": "evil"}, {"Default_Transaction_Read_Only": "on"},
	}...)
	for _, key := range []string{"role", "ROLE", "search_path", "Search_Path", "session_authorization", "default_transaction_read_only", "statement_timeout", "standard_conforming_strings"} {
		v := map[string]string{"role": "hw_victim", "search_path": "evil", "session_authorization": "hw_victim", "default_transaction_read_only": "on", "statement_timeout": "1", "standard_conforming_strings": "off"}[strings.ToLower(key)]
		params = append(params, map[string]string{key: v})
	}
	for _, p := range params {
		for mode, m := range modes {
			c := tg.connect(t, "admin", m, func(cfg *pgx.ConnConfig) {
				for k, v := range p {
					cfg.RuntimeParams[k] = v
				}
			})
			var got string
			if err := c.QueryRow(ctx, probe).Scan(&got); err != nil {
				t.Errorf("%s %v: probe: %v", mode, p, err)
			} else if got != base {
				t.Errorf("%s %v: session state %q, want %q", mode, p, got, base)
			}
			_ = c.Close(ctx)
		}
	}
}
