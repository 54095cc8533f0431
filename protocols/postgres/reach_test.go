package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// reachProbe is one way to change the target database's airlock_reviews
// (or a server file) from a database without the gateway's tables:
// statements with {fn:name} (a function name, spelled), {ext:name} (an
// extension or wrapper name, spelled), {C} (a connection string to the
// target), {Q} (the marker INSERT, as a literal), {F} (the marker file)
// and {N} (a suffix unique to the probe).
type reachProbe struct {
	route string
	stmts []string
	file  bool // the effect is a server file, not a row
}

// reachRoutes are the routes of TestServerReachGenerated; those of the
// bare database first create the extension they use (in reachBare).
var reachRoutes = []reachProbe{
	{route: "dblink_exec", stmts: []string{"SELECT {fn:dblink_exec}({C}, {Q})"}},
	{route: "dblink srf", stmts: []string{"SELECT * FROM {fn:dblink}({C}, {Q} || ' RETURNING id') AS t(id text)"}},
	{route: "named connection", stmts: []string{"SELECT {fn:dblink_connect}('c{N}', {C})",
		"SELECT {fn:dblink_exec}('c{N}', {Q})", "SELECT dblink_disconnect('c{N}')"}},
	{route: "send_query", stmts: []string{"SELECT {fn:dblink_connect}('c{N}', {C})",
		"SELECT {fn:dblink_send_query}('c{N}', {Q})", "SELECT * FROM {fn:dblink_get_result}('c{N}') AS t(s text)"}},
	{route: "dblink_open", stmts: []string{"SELECT {fn:dblink_connect}('c{N}', {C})",
		"SELECT {fn:dblink_open}('c{N}', 'k', 'SELECT 1')", "SELECT {fn:dblink_exec}('c{N}', {Q})",
		"SELECT {fn:dblink_close}('c{N}', 'k')"}},
	{route: "view", stmts: []string{"CREATE VIEW v{N} AS SELECT {fn:dblink_exec}({C}, {Q}) AS r", "SELECT * FROM v{N}"}},
	{route: "sql function", stmts: []string{
		"CREATE FUNCTION f{N}() RETURNS text LANGUAGE sql AS $f$ SELECT {fn:dblink_exec}({C}, {Q}) $f$", "SELECT f{N}()"}},
	{route: "plpgsql function", stmts: []string{
		"CREATE FUNCTION f{N}() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN PERFORM {fn:dblink_exec}({C}, {Q}); END $f$",
		"SELECT f{N}()"}},
	{route: "DO", stmts: []string{"DO $d$ BEGIN PERFORM {fn:dblink_exec}({C}, {Q}); END $d$"}},
	{route: "PREPARE", stmts: []string{"PREPARE p{N} AS SELECT {fn:dblink_exec}({C}, {Q})", "EXECUTE p{N}"}},
	{route: "CALL", stmts: []string{
		"CREATE PROCEDURE pr{N}() LANGUAGE plpgsql AS $f$ BEGIN PERFORM {fn:dblink_exec}({C}, {Q}); END $f$",
		"CALL pr{N}()"}},
	{route: "trigger", stmts: []string{"CREATE TABLE tt{N} (x int)",
		"CREATE FUNCTION tf{N}() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN PERFORM {fn:dblink_exec}({C}, {Q}); RETURN NEW; END $f$",
		"CREATE TRIGGER tg{N} AFTER INSERT ON tt{N} FOR EACH ROW EXECUTE FUNCTION tf{N}()", "INSERT INTO tt{N} VALUES (1)"}},
	{route: "renamed", stmts: []string{"ALTER FUNCTION {fn:dblink_exec}(text, text) RENAME TO innocent{N}",
		"SELECT innocent{N}({C}, {Q})"}},
	{route: "fdw foreign table", stmts: []string{
		"CREATE SERVER s{N} FOREIGN DATA WRAPPER {ext:postgres_fdw} OPTIONS (host '127.0.0.1', port '5432', dbname '{T}')",
		"CREATE USER MAPPING FOR CURRENT_USER SERVER s{N} OPTIONS (user 'postgres')",
		"CREATE FOREIGN TABLE ft{N} (id text, digest text, state text, request jsonb, created_at timestamptz, expires_at timestamptz) SERVER s{N} OPTIONS (table_name 'airlock_reviews')",
		"INSERT INTO ft{N} " + reachMarkerValues}},
	{route: "fdw import", stmts: []string{
		"CREATE SERVER s{N} FOREIGN DATA WRAPPER {ext:postgres_fdw} OPTIONS (host '127.0.0.1', port '5432', dbname '{T}')",
		"CREATE USER MAPPING FOR PUBLIC SERVER s{N} OPTIONS (user 'postgres')",
		"CREATE SCHEMA i{N}", "IMPORT FOREIGN SCHEMA public LIMIT TO (airlock_reviews) FROM SERVER s{N} INTO i{N}",
		"INSERT INTO i{N}.airlock_reviews (id, digest, state, request, created_at, expires_at, votes, reason, break_glass) " +
			strings.Replace(reachMarkerValues, "now())", "now(), '[]', '', false)", 1)}},
	{route: "fdw through DO", stmts: []string{
		"CREATE SERVER s{N} FOREIGN DATA WRAPPER {ext:postgres_fdw} OPTIONS (host '127.0.0.1', port '5432', dbname '{T}')",
		"CREATE USER MAPPING FOR CURRENT_USER SERVER s{N} OPTIONS (user 'postgres')",
		"CREATE FOREIGN TABLE ft{N} (id text, digest text, state text, request jsonb, created_at timestamptz, expires_at timestamptz) SERVER s{N} OPTIONS (table_name 'airlock_reviews')",
		"DO $d$ BEGIN INSERT INTO ft{N} " + reachMarkerValues + "; END $d$"}},
	{route: "COPY PROGRAM", stmts: []string{"COPY (SELECT 1) TO PROGRAM {P}"}},
	{route: "lo_export", file: true, stmts: []string{"SELECT lo_from_bytea(900000 + {N}, 'x')",
		"SELECT {fn:lo_export}(900000 + {N}, {F})", "SELECT lo_unlink(900000 + {N})"}},
	{route: "COPY TO file", file: true, stmts: []string{"COPY (SELECT 'x') TO {F}"}},
	{route: "pg_file_write", file: true, stmts: []string{"SELECT {fn:pg_file_write}({F}, 'x', false)"}},
}

// reachBare are the routes that first create, in a database without
// them, the extension they use.
var reachBare = []reachProbe{
	{route: "DO creates the extension", stmts: []string{
		"DO $d$ BEGIN EXECUTE 'CREATE EXTENSION IF NOT EXISTS dblink'; PERFORM dblink_exec({C}, {Q}); END $d$"}},
}

// reachMarkerValues is the marker row, {M} its id.
const reachMarkerValues = "VALUES ('{M}', 'd', 'approved', '{}', now(), now())"

// spellName spells name the i-th way: plain, qualified, quoted, upper
// case, quoted and qualified, U& escaped.
func spellName(name, schema string, i int) string {
	switch i % 6 {
	case 1:
		return schema + "." + name
	case 2:
		return `"` + name + `"`
	case 3:
		return strings.ToUpper(name)
	case 4:
		return `"` + schema + `"."` + name + `"`
	case 5:
		return `U&"` + strings.ReplaceAll(name, "_", `\005f`) + `"`
	}
	return name
}

// reachExtensionFor is the extension a route's functions come from.
func reachExtensionFor(p reachProbe) string {
	s := strings.Join(p.stmts, " ")
	switch {
	case strings.Contains(s, "{ext:postgres_fdw}"):
		return "postgres_fdw"
	case strings.Contains(s, "{fn:pg_file_write}"):
		return "adminpack"
	case strings.Contains(s, "{fn:dblink"):
		return "dblink"
	}
	return ""
}

// TestServerReachGenerated: from a database without the gateway's
// tables, with rules that allow everything, no route (dblink's
// functions, postgres_fdw, COPY PROGRAM, server file writes; directly,
// through views, functions, DO, PREPARE, CALL, triggers, a rename) in
// any spelling changes the gateway's airlock_reviews in another database
// of the same server, or writes a server file — in a database where the
// agent must create the extension itself and in one where it is
// installed, in both protocols. Judged by effects: marker rows and
// files.
func TestServerReachGenerated(t *testing.T) {
	ctx := context.Background()
	targetURL := pgtest.Database(t, "airlock_target")
	tcfg, err := pgconn.ParseConfig(targetURL)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, targetURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pgapproval.Migrate(ctx, pool, pgapproval.Options{}); err != nil {
		t.Fatal(err)
	}
	connStr := fmt.Sprintf("'host=127.0.0.1 port=5432 user=postgres dbname=%s'", tcfg.Database)
	bare := startGateway(t, withRules(selfAllowRules))
	installed := startGateway(t, withRules(selfAllowRules))
	bareUp := bare.upstream(t)
	instUp := installed.upstream(t)
	if _, err := instUp.Exec(ctx, "CREATE EXTENSION dblink; CREATE EXTENSION postgres_fdw; CREATE EXTENSION adminpack").ReadAll(); err != nil {
		t.Fatal(err)
	}
	type result struct{ marker, file, desc string }
	var probes []result
	n := 0
	run := func(tg *testGateway, where string, p reachProbe, spelling int, createExt bool) {
		n++
		id := fmt.Sprintf("reach%d", n)
		file := fmt.Sprintf("%s/airlock_reach_%s_%d", os.TempDir(), tg.db, n)
		_ = os.Remove(file)
		marker := "INSERT INTO airlock_reviews (id, digest, state, request, created_at, expires_at) " +
			strings.ReplaceAll(reachMarkerValues, "{M}", id)
		shell := fmt.Sprintf(`psql -X -q -h 127.0.0.1 -U postgres -d %s -c "%s"`, tcfg.Database, marker)
		r := strings.NewReplacer("{C}", connStr, "{Q}", "'"+strings.ReplaceAll(marker, "'", "''")+"'",
			"{P}", "'"+strings.ReplaceAll(shell, "'", "''")+"'", "{F}", "'"+file+"'", "{N}", fmt.Sprint(n),
			"{T}", tcfg.Database, "{M}", id)
		stmts := append([]string(nil), p.stmts...)
		ext := reachExtensionFor(p)
		if createExt && ext != "" {
			stmts = append([]string{"CREATE EXTENSION " + spellName(ext, "", []int{0, 2, 3, 5}[spelling%4])}, stmts...)
		}
		// Even spellings in the simple protocol, odd ones in the extended.
		mode := simpleMode
		if spelling%2 == 1 {
			mode = func(*pgx.ConnConfig) {}
		}
		c := tg.connect(t, "admin", mode)
		var last error
		for _, s := range stmts {
			s = r.Replace(s)
			for _, f := range []string{"dblink_exec", "dblink_connect", "dblink_send_query", "dblink_get_result",
				"dblink_open", "dblink_close", "dblink", "lo_export", "pg_file_write"} {
				schema := "public"
				if f == "lo_export" || f == "pg_file_write" {
					schema = "pg_catalog"
				}
				s = strings.ReplaceAll(s, "{fn:"+f+"}", spellName(f, schema, spelling))
			}
			s = strings.ReplaceAll(s, "{ext:postgres_fdw}", spellName("postgres_fdw", "", []int{0, 2, 3, 5}[spelling%4]))
			if _, last = c.Exec(ctx, s); last != nil {
				break
			}
		}
		_ = c.Close(ctx)
		desc := fmt.Sprintf("%s/%s/spelling %d (last error: %v)", where, p.route, spelling, last)
		if p.file {
			probes = append(probes, result{file: file, desc: desc})
		} else {
			probes = append(probes, result{marker: id, desc: desc})
		}
		if !createExt {
			cleanup := fmt.Sprintf(`DROP SCHEMA IF EXISTS i%[1]d CASCADE; DROP SERVER IF EXISTS s%[1]d CASCADE;
				DO $$ BEGIN IF to_regproc('innocent%[1]d') IS NOT NULL THEN ALTER FUNCTION innocent%[1]d(text, text) RENAME TO dblink_exec; END IF; END $$`, n)
			if _, err := instUp.Exec(ctx, cleanup).ReadAll(); err != nil {
				t.Fatal(err)
			}
		}
		if createExt {
			if _, err := bareUp.Exec(ctx, "DROP EXTENSION IF EXISTS dblink, postgres_fdw, adminpack CASCADE").ReadAll(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for spelling := 0; spelling < 6; spelling++ {
		for _, p := range reachRoutes {
			if p.route == "renamed" && spelling > 0 && spelling != 5 {
				continue
			}
			run(bare, "bare", p, spelling, true)
			run(installed, "installed", p, spelling, false)
		}
	}
	for _, p := range reachBare {
		run(bare, "bare", p, 0, false)
	}
	leaked := 0
	for _, p := range probes {
		hit := false
		if p.file != "" {
			_, err := os.Stat(p.file)
			hit = err == nil
			_ = os.Remove(p.file)
		} else {
			var k int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM airlock_reviews WHERE id = $1", p.marker).Scan(&k); err != nil {
				t.Fatal(err)
			}
			hit = k > 0
		}
		if !hit {
			t.Logf("held: %s", p.desc)
		}
		if hit {
			leaked++
			t.Errorf("reached: %s", p.desc)
		}
	}
	t.Logf("%d of %d probes reached past the database", leaked, len(probes))
}
