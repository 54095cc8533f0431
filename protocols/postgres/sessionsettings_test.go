package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// meaningFixture: tables whose rows an UPDATE changes differently under
// other settings. public.ev and other.ev differ (search_path); ev.at is a
// date ('01/12/2026': January under MDY, December under DMY); evt.ts a
// timestamptz (a wall-clock literal under another TimeZone); blocked has
// a trigger that drops every update (off under session_replication_role
// replica); ev.note is NULL in some rows (note = NULL under
// transform_null_equals).
const meaningFixture = `
CREATE SCHEMA other;
CREATE TABLE ev (id int PRIMARY KEY, at date, note text, hit int NOT NULL DEFAULT 0);
INSERT INTO ev VALUES (1, '2026-01-05', 'a', 0), (2, '2026-03-01', NULL, 0), (3, '2026-06-01', NULL, 0), (4, '2026-11-20', 'b', 0);
CREATE TABLE other.ev (id int PRIMARY KEY, at date, note text, hit int NOT NULL DEFAULT 0);
INSERT INTO other.ev VALUES (1, '2026-01-05', 'a', 0);
CREATE TABLE evt (id int PRIMARY KEY, ts timestamptz, hit int NOT NULL DEFAULT 0);
INSERT INTO evt VALUES (1, '2026-01-11 05:00+00', 0), (2, '2026-01-11 12:00+00', 0), (3, '2026-01-11 23:00+00', 0);
CREATE TABLE blocked (id int PRIMARY KEY, hit int NOT NULL DEFAULT 0);
INSERT INTO blocked VALUES (1, 0), (2, 0), (3, 0);
CREATE FUNCTION drop_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER blocked_t BEFORE UPDATE ON blocked FOR EACH ROW EXECUTE FUNCTION drop_update();
`

// meaningCase is a setting, a value that changes what stmt does, and
// the spellings of that value.
type meaningCase struct {
	name     string // as SHOW and set_config name it
	setValue string // as SET takes it
	cfgValue string // as set_config takes it
	stmt     string // an UPDATE whose row count differs under the value; %d: probe number
}

var meaningCases = []meaningCase{
	{"datestyle", "'DMY'", "ISO, DMY", "UPDATE ev SET hit = hit + 1 WHERE at < '01/12/2026' AND %d > 0"},
	{"timezone", "'Pacific/Kiritimati'", "Pacific/Kiritimati", "UPDATE evt SET hit = hit + 1 WHERE ts < '2026-01-12 00:00' AND %d > 0"},
	{"search_path", "other, public", "other, public", "UPDATE ev SET hit = hit + 1 WHERE id > 0 AND %d > 0"},
	{"session_replication_role", "replica", "replica", "UPDATE blocked SET hit = hit + 1 WHERE id > 0 AND %d > 0"},
	{"transform_null_equals", "on", "on", "UPDATE ev SET hit = hit + 1 WHERE note = NULL AND %d > 0"},
}

// meaningSpelling changes a setting in a session and runs the statement:
// run(stmt) runs it through the gateway and reports its row count, or
// that it was held or refused.
type meaningSpelling struct {
	name string
	// undo, when set, is how a change is undone: the statement is
	// approved under the change and runs again after undo. Otherwise it
	// is approved before the change and runs again after it.
	undo string
	// change returns the statements that change the setting, sent one
	// message each.
	change func(m meaningCase) []string
	inTx   bool // change and statement run in one transaction
	same   bool // change and statement in one message (simple Query or batch)
	// startup: the change is a startup parameter (runtime) or the
	// role's setting in the database (ALTER ROLE ... SET), made before a
	// new session.
	startup string
}

func setStmt(m meaningCase) string { return "SET " + m.name + " = " + m.setValue }

var meaningSpellings = []meaningSpelling{
	{name: "SET", change: func(m meaningCase) []string { return []string{setStmt(m)} }},
	{name: "SET SESSION", change: func(m meaningCase) []string { return []string{"SET SESSION " + m.name + " TO " + m.setValue} }},
	{name: "SET LOCAL in a transaction", inTx: true, change: func(m meaningCase) []string { return []string{"SET LOCAL " + m.name + " = " + m.setValue} }},
	{name: "set_config session", change: func(m meaningCase) []string {
		return []string{fmt.Sprintf("SELECT set_config('%s', '%s', false)", m.name, m.cfgValue)}
	}},
	{name: "set_config local in a transaction", inTx: true, change: func(m meaningCase) []string {
		return []string{fmt.Sprintf("SELECT pg_catalog.set_config('%s', '%s', true)", m.name, m.cfgValue)}
	}},
	{name: "SET then statement in one message", same: true, change: func(m meaningCase) []string { return []string{setStmt(m)} }},
	{name: "set_config then statement in one message", same: true, change: func(m meaningCase) []string {
		return []string{fmt.Sprintf("SELECT set_config('%s', '%s', false)", m.name, m.cfgValue)}
	}},
	{name: "user function calling set_config", change: func(m meaningCase) []string {
		return []string{fmt.Sprintf("SELECT setter('%s', '%s')", m.name, m.cfgValue)}
	}},
	{name: "startup parameter", startup: "param"},
	{name: "startup options", startup: "options"},
	{name: "ALTER ROLE IN DATABASE SET and reconnect", startup: "role"},
	{name: "approved under SET, then RESET", undo: "RESET %s"},
	{name: "approved under SET, then RESET ALL", undo: "RESET ALL"},
	{name: "approved under SET, then DISCARD ALL", undo: "DISCARD ALL"},
	{name: "approved under SET in a transaction, then ROLLBACK", undo: "ROLLBACK"},
	{name: "approved under SET after a savepoint, then ROLLBACK TO", undo: "ROLLBACK TO s1"},
}

// meaningRules allow what changes settings and hold UPDATE for review
// with grants of an hour.
const meaningRules = `
default: deny
rules:
  - name: settings-and-reads
    when: sql.statements.all(s, s.kind in ["SET", "RESET", "SHOW", "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "DISCARD", "SELECT"])
    action: allow
  - name: hold-updates
    when: sql.statements.exists(s, s.kind == "UPDATE")
    action: review
    review: {max_grant: 1h}
`

// outcome is what one run of the statement through the gateway did.
type outcome struct {
	n    int64 // rows updated
	held bool  // held for review (and denied by the test)
	err  error // refused or failed
}

// runReviewed runs stmt on c; a review it is held for is approved with
// an exact grant when approve is set, denied otherwise.
func runReviewed(t *testing.T, tg *testGateway, c *pgx.Conn, approve bool, send func() (int64, error)) outcome {
	t.Helper()
	type res struct {
		n   int64
		err error
	}
	done := make(chan res, 1)
	go func() {
		n, err := send()
		done <- res{n, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pend := make(chan string, 1)
	go func() {
		if p, err := tg.approver.WaitPending(ctx); err == nil {
			pend <- p.ID
		}
	}()
	select {
	case r := <-done:
		return outcome{n: r.n, err: r.err}
	case id := <-pend:
		if approve {
			if _, err := tg.approver.ApproveGrant(ctx, id, reviewer, "ok", gate.GrantSpec{Scope: gate.GrantExact, Uses: 100}); err != nil {
				t.Fatal(err)
			}
			r := <-done
			return outcome{n: r.n, err: r.err}
		}
		if _, err := tg.approver.Deny(ctx, id, reviewer, "not under these settings"); err != nil {
			t.Fatal(err)
		}
		r := <-done
		return outcome{held: true, err: r.err}
	case <-ctx.Done():
		t.Fatal("neither an answer nor a review in 30s")
	}
	return outcome{}
}

// openConn connects through the gateway as admin and adds the
// connection to opened, for the caller to close: a generator opens more
// sessions than the server takes at once.
func openConn(t *testing.T, tg *testGateway, opened *[]*pgx.Conn, mutate ...func(*pgx.ConnConfig)) *pgx.Conn {
	t.Helper()
	c := tg.dial(t, "admin", mutate...)
	*opened = append(*opened, c)
	return c
}

func closeAll(cs []*pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range cs {
		_ = c.Close(ctx)
	}
}

func execCount(ctx context.Context, c *pgx.Conn, sql string) (int64, error) {
	tag, err := c.Exec(ctx, sql)
	return tag.RowsAffected(), err
}

// TestSessionSettingsBindMeaning: the meaning of an approved statement
// depends on session settings a reviewer does not see in its text
// (DateStyle, TimeZone, search_path, session_replication_role,
// transform_null_equals). For every setting and every spelling of a
// change (SET, SET SESSION, SET LOCAL and set_config local in a
// transaction, set_config, a user function calling it, the change and
// the statement in one message, a startup parameter, startup options,
// ALTER ROLE ... IN DATABASE SET and a reconnect; and an approval under a
// change that RESET, RESET ALL, DISCARD ALL, ROLLBACK or ROLLBACK TO
// undoes), in every query mode: the statement approved (with an exact
// grant) under one set of settings runs again under the other; it must
// be held again or refused, or change exactly the rows approved.
func TestSessionSettingsBindMeaning(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(meaningRules))
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, meaningFixture+`
		CREATE FUNCTION setter(n text, v text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN set_config(n, v, false); END $$;`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	// Control: each value changes the statement's row count.
	for _, m := range meaningCases {
		var counts [2]int64
		for i, set := range []string{"", "SET LOCAL " + m.name + " = " + m.setValue + ";"} {
			rr, err := up.Exec(ctx, "BEGIN;"+set+fmt.Sprintf(m.stmt, 1)+"; ROLLBACK").ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			counts[i] = rr[len(rr)-2].CommandTag.RowsAffected()
		}
		if counts[0] == counts[1] {
			t.Fatalf("control: %s = %s does not change %q (%d rows)", m.name, m.setValue, m.stmt, counts[0])
		}
	}
	probe, leaks := 0, 0
	var leaked []string
	for modeName, mode := range modes {
		for _, m := range meaningCases {
			for _, sp := range meaningSpellings {
				probe++
				stmt := fmt.Sprintf(m.stmt, probe)
				label := fmt.Sprintf("%s/%s/%s", modeName, m.name, sp.name)
				approved, after := meaningProbe(t, tg, up, mode, m, sp, stmt)
				if after.err == nil && !after.held && after.n != approved {
					leaks++
					leaked = append(leaked, fmt.Sprintf("%s: approved %d rows, ran %d", label, approved, after.n))
				}
			}
		}
	}
	t.Logf("%d of %d probes ran an approved statement under other settings", leaks, probe)
	if leaks > 0 {
		t.Fatalf("%d of %d leaked:\n%s", leaks, probe, strings.Join(leaked, "\n"))
	}
}

// meaningProbe approves stmt under one set of settings and runs it under
// the other, as spelling sp says; it returns the approved row count and
// what the second run did.
func meaningProbe(t *testing.T, tg *testGateway, up *pgconn.PgConn, mode func(*pgx.ConnConfig), m meaningCase, sp meaningSpelling, stmt string) (int64, outcome) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var opened []*pgx.Conn
	defer func() { closeAll(opened) }()
	run := func(c *pgx.Conn) func() (int64, error) {
		return func() (int64, error) { return execCount(ctx, c, stmt) }
	}
	mustExec := func(c *pgx.Conn, sql string) {
		t.Helper()
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	approve := func(c *pgx.Conn) int64 {
		t.Helper()
		o := runReviewed(t, tg, c, true, run(c))
		if o.err != nil {
			t.Fatalf("%s: approved run: %v", stmt, o.err)
		}
		return o.n
	}
	switch {
	case sp.startup != "":
		c := openConn(t, tg, &opened, mode)
		approved := approve(c)
		var mut func(*pgx.ConnConfig)
		switch sp.startup {
		case "param":
			mut = func(cc *pgx.ConnConfig) { cc.RuntimeParams[m.name] = m.cfgValue }
		case "options":
			mut = func(cc *pgx.ConnConfig) {
				cc.RuntimeParams["options"] = "-c " + m.name + "=" + strings.ReplaceAll(m.cfgValue, " ", `\ `)
			}
		case "role":
			mut = func(*pgx.ConnConfig) {}
			if _, err := up.Exec(ctx, fmt.Sprintf("ALTER ROLE CURRENT_USER IN DATABASE %s SET %s = %s", tg.db, m.name, m.setValue)).ReadAll(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if _, err := up.Exec(ctx, fmt.Sprintf("ALTER ROLE CURRENT_USER IN DATABASE %s RESET %s", tg.db, m.name)).ReadAll(); err != nil {
					t.Fatal(err)
				}
			}()
		}
		c2 := openConn(t, tg, &opened, mode, mut)
		return approved, runReviewed(t, tg, c2, false, run(c2))
	case sp.undo != "":
		c := openConn(t, tg, &opened, mode)
		tx := sp.undo == "ROLLBACK" || sp.undo == "ROLLBACK TO s1"
		if tx {
			mustExec(c, "BEGIN")
			if sp.undo == "ROLLBACK TO s1" {
				mustExec(c, "SAVEPOINT s1")
			}
		}
		mustExec(c, setStmt(m))
		approved := approve(c)
		undo := sp.undo
		if strings.Contains(undo, "%s") {
			undo = fmt.Sprintf(undo, m.name)
		}
		mustExec(c, undo)
		o := runReviewed(t, tg, c, false, run(c))
		if sp.undo == "ROLLBACK TO s1" {
			_, _ = c.Exec(ctx, "ROLLBACK")
		}
		return approved, o
	case sp.same:
		c := openConn(t, tg, &opened, mode)
		approved := approve(c)
		change := sp.change(m)[0]
		o := runReviewed(t, tg, c, false, func() (int64, error) {
			return oneMessage(ctx, c, change, stmt, false)
		})
		if o.err == nil && !o.held {
			return approved, o
		}
		// One Query with both, as psql -c sends it.
		o2 := runReviewed(t, tg, c, false, func() (int64, error) {
			return oneMessage(ctx, c, change, stmt, true)
		})
		if o2.err == nil && !o2.held {
			return approved, o2
		}
		return approved, o
	default:
		c := openConn(t, tg, &opened, mode)
		approved := approve(c)
		if sp.inTx {
			mustExec(c, "BEGIN")
		}
		for _, s := range sp.change(m) {
			mustExec(c, s)
		}
		o := runReviewed(t, tg, c, false, run(c))
		if sp.inTx {
			_, _ = c.Exec(ctx, "ROLLBACK")
		}
		return approved, o
	}
}

// TestSessionSettingsSeenByRules: a rule that allows an UPDATE only
// under the settings the session started with (sql.settings) sees every
// change, in every spelling: the statement runs with the row count of
// those settings or is refused.
func TestSessionSettingsSeenByRules(t *testing.T) {
	t.Parallel()
	tg := settingsRulesGateway(t)
	ctx := context.Background()
	up := tg.upstream(t)
	probes, leaks := 0, 0
	var leaked []string
	for modeName, mode := range modes {
		for _, m := range meaningCases {
			for _, sp := range meaningSpellings {
				if sp.undo != "" {
					continue // an approval's binding: TestSessionSettingsBindMeaning
				}
				probes++
				stmt := fmt.Sprintf(m.stmt, probes)
				var opened []*pgx.Conn
				c := openConn(t, tg, &opened, mode)
				baseline, err := execCount(ctx, c, stmt)
				closeAll(opened)
				if err != nil {
					t.Fatalf("%s under the starting settings: %v", stmt, err)
				}
				_, o := meaningProbeRules(t, tg, up, mode, m, sp, stmt)
				if o.err == nil && o.n != baseline {
					leaks++
					leaked = append(leaked, fmt.Sprintf("%s/%s/%s: %d rows, %d under the starting settings", modeName, m.name, sp.name, o.n, baseline))
				}
			}
		}
	}
	t.Logf("%d of %d probes ran under settings the rule did not see", leaks, probes)
	if leaks > 0 {
		t.Fatalf("%d of %d leaked:\n%s", leaks, probes, strings.Join(leaked, "\n"))
	}
}

// startingSettingsConds reads the settings a new session of the server
// starts with and returns a rule condition per probed setting holding
// its value, but for those named in skip.
func startingSettingsConds(t *testing.T, skip ...string) []string {
	t.Helper()
	base := startGateway(t)
	rr, err := base.upstream(t).Exec(context.Background(), probeSQL).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var conds []string
	for i, n := range probedSettings {
		if !slices.Contains(skip, n) {
			conds = append(conds, fmt.Sprintf("sql.settings[%q] == %q", n, string(rr[i].Rows[0][0])))
		}
	}
	return conds
}

// settingsRulesGateway starts a gateway in front of meaningFixture whose
// rules allow an UPDATE only under the settings a session starts with,
// read from the server.
func settingsRulesGateway(t *testing.T) *testGateway {
	t.Helper()
	ctx := context.Background()
	conds := startingSettingsConds(t, "is_superuser", "session_authorization")
	rules := `
default: deny
rules:
  - name: settings-and-reads
    when: sql.statements.all(s, s.kind in ["SET", "RESET", "SHOW", "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "DISCARD", "SELECT"])
    action: allow
  - name: updates-under-known-settings
    when: sql.statements.all(s, s.kind == "UPDATE") && ` + strings.Join(conds, " && ") + `
    action: allow
`
	tg := startGateway(t, withRules(rules))
	if _, err := tg.upstream(t).Exec(ctx, meaningFixture+`
		CREATE FUNCTION setter(n text, v text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN set_config(n, v, false); END $$;`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestPsqlSessionSettings: psql changes DateStyle and TimeZone from its
// environment (PGDATESTYLE, PGTZ: startup parameters), PGOPTIONS (the
// options parameter), a SET in the same -c as the statement, or a SET of
// its own before it: an UPDATE the rules allow only under the starting
// settings runs with their row count or is refused.
func TestPsqlSessionSettings(t *testing.T) {
	t.Parallel()
	psql := gatetest.NeedTool(t, "psql")
	tg := settingsRulesGateway(t)
	stmt := meaningCases[0].stmt // datestyle
	tzStmt := meaningCases[1].stmt
	probes := []struct {
		name string
		env  []string
		args []string
		stmt string
	}{
		{"PGDATESTYLE", []string{"PGDATESTYLE=DMY"}, nil, stmt},
		{"PGTZ", []string{"PGTZ=Pacific/Kiritimati"}, nil, tzStmt},
		{"PGOPTIONS datestyle", []string{"PGOPTIONS=-c datestyle=DMY"}, nil, stmt},
		{"PGOPTIONS timezone", []string{"PGOPTIONS=-c timezone=Pacific/Kiritimati"}, nil, tzStmt},
		{"SET in the same -c", nil, []string{"-c", "SET datestyle = DMY; " + fmt.Sprintf(stmt, 1)}, ""},
		{"SET before", nil, []string{"-c", "SET datestyle = DMY", "-c", fmt.Sprintf(stmt, 1)}, ""},
		{"set_config before", nil, []string{"-c", "SELECT set_config('timezone', 'Pacific/Kiritimati', false)", "-c", fmt.Sprintf(tzStmt, 1)}, ""},
		{"BEGIN, SET LOCAL, UPDATE", nil, []string{"-c", "BEGIN", "-c", "SET LOCAL datestyle = DMY", "-c", fmt.Sprintf(stmt, 1), "-c", "COMMIT"}, ""},
	}
	count := func(out string) int {
		n := -1
		for _, l := range strings.Split(out, "\n") {
			if _, err := fmt.Sscanf(strings.TrimSpace(l), "UPDATE %d", &n); err == nil {
				return n
			}
		}
		return n
	}
	baseline := map[string]int{}
	for _, st := range []string{stmt, tzStmt} {
		out, err := runTool(t, tg.clientEnv("admin"), "", psql, "-X", "-c", fmt.Sprintf(st, 1))
		if err != nil || count(out) < 0 {
			t.Fatalf("control: %v\n%s", err, out)
		}
		baseline[st] = count(out)
	}
	leaks := 0
	for _, p := range probes {
		args := append([]string{"-X"}, p.args...)
		st := p.stmt
		if st != "" {
			args = append(args, "-c", fmt.Sprintf(st, 1))
		} else if strings.Contains(strings.Join(p.args, " "), "timezone") {
			st = tzStmt
		} else {
			st = stmt
		}
		out, _ := runTool(t, append(tg.clientEnv("admin"), p.env...), "", psql, args...)
		t.Logf("%s: %d rows (%d under the starting settings); refused: %v", p.name, count(out), baseline[st], strings.Contains(out, "airlock: denied"))
		if n := count(out); n >= 0 && n != baseline[st] {
			leaks++
			t.Errorf("%s: %d rows, %d under the starting settings:\n%s", p.name, n, baseline[st], out)
		}
	}
	t.Logf("%d of %d psql probes ran under settings the rule did not see", leaks, len(probes))
}

// meaningProbeRules is meaningProbe without a review: the rules allow or
// refuse the statement.
func meaningProbeRules(t *testing.T, tg *testGateway, up *pgconn.PgConn, mode func(*pgx.ConnConfig), m meaningCase, sp meaningSpelling, stmt string) (int64, outcome) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var opened []*pgx.Conn
	defer func() { closeAll(opened) }()
	o, err := func() (outcome, error) {
		switch {
		case sp.startup != "":
			var mut func(*pgx.ConnConfig)
			switch sp.startup {
			case "param":
				mut = func(cc *pgx.ConnConfig) { cc.RuntimeParams[m.name] = m.cfgValue }
			case "options":
				mut = func(cc *pgx.ConnConfig) {
					cc.RuntimeParams["options"] = "-c " + m.name + "=" + strings.ReplaceAll(m.cfgValue, " ", `\ `)
				}
			case "role":
				mut = func(*pgx.ConnConfig) {}
				if _, err := up.Exec(ctx, fmt.Sprintf("ALTER ROLE CURRENT_USER IN DATABASE %s SET %s = %s", tg.db, m.name, m.setValue)).ReadAll(); err != nil {
					return outcome{}, err
				}
				defer func() {
					_, _ = up.Exec(ctx, fmt.Sprintf("ALTER ROLE CURRENT_USER IN DATABASE %s RESET %s", tg.db, m.name)).ReadAll()
				}()
			}
			c := openConn(t, tg, &opened, mode, mut)
			n, err := execCount(ctx, c, stmt)
			return outcome{n: n, err: err}, nil
		case sp.same:
			c := openConn(t, tg, &opened, mode)
			n, err := oneMessage(ctx, c, sp.change(m)[0], stmt, true)
			return outcome{n: n, err: err}, nil
		default:
			c := openConn(t, tg, &opened, mode)
			if sp.inTx {
				if _, err := c.Exec(ctx, "BEGIN"); err != nil {
					return outcome{}, err
				}
				defer func() { _, _ = c.Exec(ctx, "ROLLBACK") }()
			}
			for _, s := range sp.change(m) {
				if _, err := c.Exec(ctx, s); err != nil {
					return outcome{}, fmt.Errorf("%s: %w", s, err)
				}
			}
			n, err := execCount(ctx, c, stmt)
			return outcome{n: n, err: err}, nil
		}
	}()
	if err != nil {
		t.Fatal(err)
	}
	if o.err != nil && sqlState(o.err) != "42501" && !errors.Is(o.err, context.Canceled) {
		t.Logf("%s: %v", stmt, o.err)
	}
	return 0, o
}
