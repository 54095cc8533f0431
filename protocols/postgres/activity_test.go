package postgres

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// sessionReaders lists, from the live catalog, the built-ins that may
// show another session's state: pg_stat_*, pg_get_*, pg_show_* and
// pg_current_* functions that take nothing or one integer (a backend id
// or a process id).
const sessionReaders = `SELECT p.proname, p.pronargs FROM pg_catalog.pg_proc p
	WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname ~ '^pg_(stat|get|show|current)_'
	AND (p.pronargs = 0 OR (p.pronargs = 1 AND p.proargtypes[0] = 'int4'::regtype))
	AND p.prorettype <> 'void'::regtype ORDER BY p.proname`

// backendArgs are what a function of one integer is given: a backend
// id, a process id, NULL (every backend, for some).
var backendArgs = []string{"s", "pg_stat_get_backend_pid(s)", "NULL"}

// activityShape calls fn with args (none, or one of backendArgs) over
// every backend in a random query shape, rendered as text.
func activityShape(r *rand.Rand, fn, arg string) string {
	call := fn + "(" + arg + ")"
	from := "pg_stat_get_backend_idset() s"
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf("SELECT string_agg(%s::text, ',') FROM %s", call, from)
	case 1:
		return fmt.Sprintf("SELECT x::text FROM %s, LATERAL %s x", from, call)
	case 2:
		return fmt.Sprintf("SELECT upper(%s::text) FROM %s", call, from)
	case 3:
		return fmt.Sprintf("SELECT (SELECT array_agg(%s::text) FROM %s)::text", call, from)
	case 4:
		return fmt.Sprintf("WITH a AS (SELECT %s AS v FROM %s) SELECT v::text FROM a", call, from)
	}
	return fmt.Sprintf("SELECT %s::text FROM %s", call, from)
}

// TestSessionStateFunctionsMasked: an application (around the gateway)
// writes a customer's pin and stays idle, its statement in the server's
// activity; the agent then calls every built-in that may show another
// session's state, in random shapes, and the pin must not reach its
// socket. At least one shape must show the pin directly, or the test
// proves nothing.
func TestSessionStateFunctionsMasked(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	r := testSeed(t)
	secret := fmt.Sprintf("zq%016x", r.Uint64())
	app := tg.adminConn(t)
	if _, err := app.Exec(t.Context(), "UPDATE customers SET pin = '"+secret+"' WHERE id = 1").ReadAll(); err != nil {
		t.Fatal(err)
	}
	direct := tg.adminConn(t)
	res, err := direct.Exec(t.Context(), sessionReaders).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	agent := dialTap(t, tg, "agent")
	shown := 0
	for _, row := range res[0].Rows {
		args := []string{""}
		if string(row[1]) == "1" {
			args = backendArgs
		}
		for _, arg := range args {
			sql := activityShape(r, string(row[0]), arg)
			if strings.Contains(string(directBytes(direct, sql)), secret) {
				shown++
			}
			got, err := agent.run(r, sql)
			if strings.Contains(string(got), secret) {
				t.Fatalf("%s: another session's statement reached the agent (err %v)", sql, err)
			}
		}
	}
	// The plainest shape too, whatever the random ones were: the control
	// must not hang on the seed.
	sql := "SELECT query FROM pg_stat_activity"
	if strings.Contains(string(directBytes(direct, sql)), secret) {
		shown++
	}
	if got, err := agent.run(r, sql); strings.Contains(string(got), secret) {
		t.Fatalf("%s: another session's statement reached the agent (err %v)", sql, err)
	}
	if shown == 0 {
		t.Fatalf("no shape of %d functions showed the statement directly: the test proves nothing", len(res[0].Rows))
	}
	t.Logf("%d calls of %d functions showed the statement directly", shown, len(res[0].Rows))
}
