package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// attrCalls spells a call of the one-argument function fn on arg in
// attribute notation, every way PostgreSQL reads as f(arg): (arg).fn with
// the name plain, quoted, in upper case and U& escaped, and t.fn over a
// FROM item t whose value is arg (a scalar function in FROM). cast names
// a function of arg's type that returns it unchanged (lower, for the
// lower-case texts the callers give).
func attrCalls(fn, arg, cast string) []string {
	var out []string
	for _, n := range []string{fn, `"` + fn + `"`, strings.ToUpper(fn), `U&"` + strings.ReplaceAll(fn, "_", `\005f`) + `"`} {
		out = append(out, "SELECT ("+arg+")."+n, "SELECT t."+n+" FROM "+cast+"("+arg+") t",
			"SELECT * FROM (SELECT ("+arg+")."+n+") s")
	}
	return out
}

// TestServerReachAttributeNotation: with rules that allow everything, a
// function that reaches past the database, called in attribute notation
// ((arg).f, t.f), is refused as its call by name is: lo_import makes a
// large object of a server file, pg_read_file and its kin read server
// files (in a database without a reach extension), and dblink's
// one-argument functions change the gateway's airlock_reviews in another
// database (in one with dblink). Judged by effects: the marker row, large
// objects, the bytes the client got; every attack must be refused as
// server reach.
func TestServerReachAttributeNotation(t *testing.T) {
	t.Parallel()
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
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'::text" }
	// Server files, in a database without dblink.
	var files [][]string
	for _, f := range []string{"lo_import", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file"} {
		path := "/etc/hostname"
		if f == "pg_ls_dir" {
			path = "/etc"
		}
		for _, a := range attrCalls(f, lit(path), "lower") {
			files = append(files, []string{a})
		}
	}
	// dblink: connect the unnamed connection, then run the marker there.
	conn := lit(fmt.Sprintf("host=127.0.0.1 port=5432 user=postgres dbname=%s", tcfg.Database))
	marker := "INSERT INTO airlock_reviews (id, digest, state, request, created_at, expires_at) " +
		strings.ReplaceAll(reachMarkerValues, "{M}", "attr")
	var links [][]string
	connects, execs := attrCalls("dblink_connect", conn, "lower"), attrCalls("dblink_exec", lit(marker), "lower")
	for i := range connects {
		links = append(links, []string{connects[i], execs[i], "SELECT dblink_disconnect()"})
	}
	through, total := 0, 0
	for _, set := range []struct {
		ext     string
		attacks [][]string
	}{{"", files}, {"dblink", links}} {
		tg := startGateway(t, withRules(selfAllowRules))
		up := tg.upstream(t)
		if set.ext != "" {
			if _, err := up.Exec(ctx, "CREATE EXTENSION "+set.ext).ReadAll(); err != nil {
				t.Fatal(err)
			}
		}
		state := func() string {
			var k int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM airlock_reviews WHERE id = 'attr'").Scan(&k); err != nil {
				t.Fatal(err)
			}
			r, err := up.Exec(ctx, "SELECT count(*) FROM pg_largeobject_metadata").ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%d|%s", k, r[0].Rows[0][0])
		}
		base := state()
		for mode, m := range modes {
			c := tg.connect(t, "admin", m)
			for _, a := range set.attacks {
				var err error
				for _, s := range a {
					rows, qerr := c.Query(ctx, s)
					if qerr == nil {
						for rows.Next() {
						}
						rows.Close()
						qerr = rows.Err()
					}
					if err = qerr; err != nil {
						break
					}
				}
				total++
				if after := state(); after != base || err == nil {
					through++
					t.Errorf("%s: %q reached past the database (state %s -> %s, err %v)", mode, a, base, after, err)
					base = after
				} else if !strings.Contains(err.Error(), "server-side reach is refused") {
					t.Errorf("%s: %q refused for another reason: %v", mode, a, err)
				}
			}
		}
	}
	t.Logf("%d of %d attacks reached past the database", through, total)
}
