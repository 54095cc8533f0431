package postgres

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgconn"
)

// auditLog is PostgreSQL's own statement log for a throwaway role: what
// the server actually ran, to hold against the gate's record.
type auditLog struct {
	role   string
	path   string
	offset int64
}

// withAuditRole makes the gateway connect upstream as a new role whose
// statements the server logs (log_statement = 'all').
func withAuditRole(t testing.TB, al *auditLog) gwOption {
	return func(_ *gate.Config, c *Config) {
		al.role = randomName("airlock_audit_")
		admin := adminConn(t)
		defer admin.Close(context.Background())
		for _, sql := range []string{
			"CREATE ROLE " + al.role + " LOGIN",
			"ALTER ROLE " + al.role + " SET log_statement = 'all'",
		} {
			if err := admin.Exec(context.Background(), sql).Close(); err != nil {
				t.Fatal(err)
			}
		}
		db := c.Upstream.Database
		t.Cleanup(func() {
			ctx := context.Background()
			if dc, err := pgconn.Connect(ctx, dbURL(db)); err == nil {
				_ = dc.Exec(ctx, "DROP OWNED BY "+al.role).Close()
				_ = dc.Close(ctx)
			}
			a := adminConn(t)
			defer a.Close(ctx)
			_ = a.Exec(ctx, "DROP ROLE IF EXISTS "+al.role).Close()
		})
		c.Upstream.User = al.role
		al.path, al.offset = serverLogFile(t, admin)
	}
}

func adminConn(t testing.TB) *pgconn.PgConn {
	t.Helper()
	c, err := pgconn.Connect(context.Background(), testUpstream)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serverLogFile finds where the server writes its log and how long it is
// now: the logging collector's file, or the Debian cluster's stderr file.
func serverLogFile(t testing.TB, admin *pgconn.PgConn) (string, int64) {
	t.Helper()
	ctx := context.Background()
	q := func(sql string) string {
		res, err := admin.Exec(ctx, sql).ReadAll()
		if err != nil || len(res) == 0 || len(res[0].Rows) == 0 || res[0].Rows[0][0] == nil {
			return ""
		}
		return string(res[0].Rows[0][0])
	}
	var candidates []string
	if p := q("SELECT pg_current_logfile()"); p != "" {
		if !strings.HasPrefix(p, "/") {
			p = q("SHOW data_directory") + "/" + p
		}
		candidates = append(candidates, p)
	}
	if v, err := strconv.Atoi(q("SHOW server_version_num")); err == nil {
		candidates = append(candidates, fmt.Sprintf("/var/log/postgresql/postgresql-%d-main.log", v/10000))
	}
	for _, p := range candidates {
		if size := q("SELECT (pg_stat_file('" + p + "', true)).size"); size != "" {
			n, _ := strconv.ParseInt(size, 10, 64)
			return p, n
		}
	}
	if inCI() {
		t.Fatalf("cannot find the server's log among %v", candidates)
	}
	t.Skipf("cannot find the server's log among %v", candidates)
	return "", 0
}

var logEntry = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (?:(\S*)@(\S*) )?([A-Z]+):  (.*)$`)

// executed is one statement the server ran, per its log.
type executed struct {
	pid     int
	text    string
	prepare string // the prepared statement an EXECUTE ran (DETAIL: prepare:)
}

// skipToEnd makes read start at the log's current end.
func (al *auditLog) skipToEnd(t testing.TB) {
	t.Helper()
	admin := adminConn(t)
	defer admin.Close(context.Background())
	al.path, al.offset = serverLogFile(t, admin)
}

// read returns what the role's sessions executed since the start.
func (al *auditLog) read(t testing.TB) []executed {
	t.Helper()
	admin := adminConn(t)
	defer admin.Close(context.Background())
	res, err := admin.Exec(context.Background(), fmt.Sprintf("SELECT pg_read_file('%s', %d, 64<<20)", al.path, al.offset)).ReadAll()
	if err != nil {
		t.Fatalf("read the server log: %v", err)
	}
	text := string(res[0].Rows[0][0])
	var out []executed
	var cur *executed
	inDetail := false
	for _, line := range strings.Split(text, "\n") {
		m := logEntry.FindStringSubmatch(line)
		if m == nil {
			// A continuation line of a multi-line statement or detail.
			if cur != nil && !inDetail {
				cur.text += "\n" + line
			} else if cur != nil && inDetail && cur.prepare != "" {
				cur.prepare += "\n" + line
			}
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		level, msg := m[4], m[5]
		if m[2] != al.role {
			cur = nil
			continue
		}
		inDetail = false
		switch {
		case level == "LOG" && strings.HasPrefix(msg, "statement: "):
			out = append(out, executed{pid: pid, text: strings.TrimPrefix(msg, "statement: ")})
			cur = &out[len(out)-1]
		case level == "LOG" && strings.HasPrefix(msg, "execute "):
			i := strings.Index(msg, ": ")
			out = append(out, executed{pid: pid, text: msg[i+2:]})
			cur = &out[len(out)-1]
		case level == "DETAIL" && strings.HasPrefix(msg, "prepare: ") && cur != nil:
			cur.prepare = strings.TrimPrefix(msg, "prepare: ")
			inDetail = true
		default:
			if cur != nil && level == "DETAIL" {
				inDetail = true
				continue
			}
			cur = nil
		}
	}
	return out
}

// sessionPIDs returns the upstream backend pids of the gateway's sessions
// open now.
func (tg *testGateway) sessionPIDs() map[int]bool {
	tg.srv.mu.Lock()
	defer tg.srv.mu.Unlock()
	out := map[int]bool{}
	for _, c := range tg.srv.sessions {
		out[int(c.upPID)] = true
	}
	return out
}

// decided returns the statement texts the gate allowed and refused.
func (tg *testGateway) decided() (allowed, refused map[string]bool) {
	allowed, refused, _ = tg.decidedSince(0)
	return allowed, refused
}

// recordMark is where what is recorded from now on starts in the gate's
// record: the number of sessions recorded so far (decidedSince).
func (tg *testGateway) recordMark() int { return len(tg.rec.Sessions()) }

// decidedSince is decided over the sessions recorded from mark on (a
// recordMark), and how many events it read: a fuzz seed reads its own
// sessions, not the whole run's record again.
func (tg *testGateway) decidedSince(mark int) (allowed, refused map[string]bool, read int) {
	allowed, refused = map[string]bool{}, map[string]bool{}
	sessions := tg.rec.Sessions()
	for _, sid := range sessions[min(mark, len(sessions)):] {
		for _, e := range tg.rec.GateEvents(sid) {
			read++
			decidedEvent(e, allowed, refused)
		}
	}
	return allowed, refused, read
}

// decidedEvent adds the statement texts of a decision event to allowed
// or refused.
func decidedEvent(e gate.Event, allowed, refused map[string]bool) {
	if e.Kind != gate.EventDecision || e.Request == nil || e.Decision == nil {
		return
	}
	set := refused
	if e.Decision.Action == gate.Allow {
		set = allowed
	}
	set[norm(e.Request.Command)] = true
	for _, part := range strings.Split(e.Request.Command, ";\n") {
		set[norm(part)] = true
	}
	if e.Request.SQL != nil {
		for _, st := range e.Request.SQL.Statements {
			set[norm(st.Text)] = true
		}
	}
}

func norm(s string) string { return strings.TrimSpace(s) }

// checkAudit holds the server's log against the record: every statement
// the server ran (and the prepared statement behind every EXECUTE) was
// allowed by the gate with that same text; nothing only refused ran.
func checkAudit(t testing.TB, tg *testGateway, al *auditLog, pids map[int]bool) []executed {
	t.Helper()
	var ran []executed
	for deadline := time.Now().Add(2 * time.Second); ; {
		ran = ran[:0]
		for _, e := range al.read(t) {
			// The gateway's own read of the session's settings
			// (sessionsettings.go) runs SHOW only.
			if pids[e.pid] && e.text != probeSQL {
				ran = append(ran, e)
			}
		}
		if len(ran) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	allowed, refused := tg.decided()
	for _, e := range ran {
		if !allowed[norm(e.text)] && !emptySQL(e.text) {
			t.Errorf("the server ran %q, which the gate did not allow (refused: %v)", e.text, refused[norm(e.text)])
		}
		if e.prepare != "" && !allowed[norm(e.prepare)] {
			t.Errorf("the server ran %q as %q, which the gate did not allow", e.text, e.prepare)
		}
	}
	return ran
}

// The audit equality on the attacks: what the server logged is
// what the gate allowed.
func TestAuditEquality(t *testing.T) {
	t.Parallel()
	al := &auditLog{}
	tg := startGateway(t, withRules(strictRules), withAuditRole(t, al))
	seedPII(t, tg)
	tg.adminExec(t, "GRANT ALL ON ALL TABLES IN SCHEMA public TO "+al.role)
	pids := map[int]bool{}
	r := tg.raw(t, "agent")
	for p := range tg.sessionPIDs() {
		pids[p] = true
	}
	r.send(query("SELECT card FROM pii"))
	r.until(1, step)
	// Attack 1 and 2 and 4, in one session.
	r.send(parse("s1", "DELETE FROM victims"), syncMsg())
	r.until(1, step)
	r.send(parse("s1", "SELECT 1"), syncMsg())
	r.until(1, step)
	r.send(bind("", "s1"), execute(""), syncMsg())
	r.until(1, step)
	r.send(parse("", "SELECT * FROM no_such_table"), flush())
	r.untilSeen("E:42P01", step)
	r.send(query("DELETE FROM victims"), syncMsg())
	r.until(1, step)
	r.send(query("PREPARE w AS DELETE FROM victims"))
	r.until(1, step)
	r.send(query("EXPLAIN ANALYZE EXECUTE w"))
	r.until(1, step)
	r.send(query("SELECT count(*) FROM victims; EXECUTE s1"))
	r.until(1, step)
	if len(pids) == 0 {
		t.Fatal("no session pid")
	}
	ran := checkAudit(t, tg, al, pids)
	if len(ran) == 0 || norm(ran[0].text) != "SELECT card FROM pii" {
		t.Fatalf("the server log holds %v", ran)
	}
	if n := tg.count(t, "victims"); n != 3 {
		t.Fatalf("victims: %d rows left", n)
	}
	// The check can fail: a statement run behind the gate's back is seen.
	url := strings.Replace(dbURL(tg.db), "postgres@", al.role+"@", 1)
	direct, err := pgconn.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	_ = direct.Exec(context.Background(), "SELECT 'behind the gate'").Close()
	pids[int(direct.PID())] = true
	_ = direct.Close(context.Background())
	allowed, _ := tg.decided()
	found := false
	for deadline := time.Now().Add(2 * time.Second); !found && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, e := range al.read(t) {
			if pids[e.pid] && !allowed[norm(e.text)] && strings.Contains(e.text, "behind the gate") {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("the audit check does not see a statement run behind the gate")
	}
}

// emptySQL reports whether text holds no statement (an empty query, a
// comment): the server logs it, runs nothing, and the gate judges nothing.
func emptySQL(text string) bool {
	cl, err := pgsql.ParserClassifier{}.Classify(text)
	return err == nil && len(cl.Statements) == 0
}

// TestAuditSeedReadsOnlyItsPart: a fuzz seed's check reads what was
// appended since the seed started, in the server's log (the offset
// skipToEnd keeps) and in the gate's record (recordMark): what earlier
// seeds left is neither read again nor counted, so a long run stays
// linear in its seeds.
func TestAuditSeedReadsOnlyItsPart(t *testing.T) {
	t.Parallel()
	al := &auditLog{}
	tg := startGateway(t, withAuditRole(t, al))
	ctx := context.Background()
	asRole := func(sql string) int {
		url := strings.Replace(dbURL(tg.db), "postgres@", al.role+"@", 1)
		c, err := pgconn.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if err := c.Exec(ctx, sql).Close(); err != nil {
			t.Fatal(err)
		}
		return int(c.PID())
	}
	decide := func(session, command string) {
		for _, e := range []gate.Event{
			{Kind: gate.EventSessionStart},
			{Kind: gate.EventDecision, Request: &gate.Request{Command: command}, Decision: &gate.Decision{ID: command, Action: gate.Allow}},
		} {
			e.SessionID, e.Time = session, time.Now()
			if err := tg.rec.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Earlier seeds: statements logged, sessions recorded.
	for i := range 20 {
		asRole(fmt.Sprintf("SELECT 'earlier %d'", i))
		decide(fmt.Sprintf("earlier-%d", i), fmt.Sprintf("SELECT 'earlier %d'", i))
	}
	al.skipToEnd(t)
	mark := tg.recordMark()
	pid := asRole("SELECT 'this seed'")
	decide("this-seed", "SELECT 'this seed'")

	var logged []string
	for deadline := time.Now().Add(2 * time.Second); len(logged) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		logged = logged[:0]
		for _, e := range al.read(t) {
			logged = append(logged, norm(e.text))
		}
	}
	if len(logged) != 1 || logged[0] != "SELECT 'this seed'" {
		t.Errorf("the seed's log read holds %q, want only its own statement", logged)
	}
	allowed, _, read := tg.decidedSince(mark)
	if read != 2 || len(allowed) != 1 || !allowed["SELECT 'this seed'"] {
		t.Errorf("the seed's record read %d events, allowed %v; want its own 2 events", read, allowed)
	}
	// The check itself passes on the seed's part and fails on a statement
	// the seed's sessions ran that only an earlier seed was allowed.
	var failed []string
	checkAuditSeed(t, tg, al, mark, map[int]bool{pid: true}, func(m string) { failed = append(failed, m) })
	if len(failed) != 0 {
		t.Errorf("the seed's own statement failed the check: %v", failed)
	}
	pid = asRole("SELECT 'earlier 3'")
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if slices.ContainsFunc(al.read(t), func(e executed) bool { return e.pid == pid }) {
			break
		}
	}
	checkAuditSeed(t, tg, al, mark, map[int]bool{pid: true}, func(m string) { failed = append(failed, m) })
	if len(failed) != 1 {
		t.Errorf("a statement allowed only before the seed passed its check: %v", failed)
	}
}
