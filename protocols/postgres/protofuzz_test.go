package postgres

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/jackc/pgx/v5/pgproto3"
)

// fuzzRules are the agent policy plus transaction control, so the
// fuzzer reaches transaction blocks.
const fuzzRules = `
default: deny
rules:
  - name: agent-reads
    when: >
      sql.statements.all(s, (s.kind in ["SELECT", "EXPLAIN", "PREPARE", "EXECUTE"] && s.read_only && !s.opaque) ||
        s.kind in ["BEGIN", "COMMIT", "ROLLBACK", "DECLARE", "CLOSE", "FETCH"] ||
        (s.kind == "COPY" && !s.opaque && s.tables.all(t, t.name in ["pii", "scratch"])))
    action: allow
  - name: mask-pii
    when: request.command != "` + modelQuery + `"
    mask: [credit_card, email, ssn]
`

// modelQuery is how checkModel reads the server's prepared statements.
// Their names and text may be a value code computed (EXECUTE
// format('PREPARE %I ...', card)), so a masking session gets them
// withheld: the rules exempt the checker's own read from masking.
const modelQuery = "SELECT name || '=' || statement FROM pg_prepared_statements"

// fuzzSQL mixes what the rules allow, what they refuse, what the server
// refuses (bad SQL, missing tables, type errors) and what changes the
// session's prepared statements.
var fuzzSQL = []string{
	"SELECT card, email, ssn FROM pii",
	"SELECT count(*) FROM victims",
	"SELECT $1::int",
	"SELECT email FROM pii WHERE card = $1",
	"DELETE FROM victims",
	"DELETE FROM victims WHERE id = 1",
	"INSERT INTO victims VALUES (9)",
	"SELECT * FROM no_such_table",
	"SELEC broken",
	"SELECT 1/0",
	"SELECT 'x'::int",
	"PREPARE s1 AS DELETE FROM victims",
	"PREPARE s2 AS SELECT card FROM pii",
	"EXECUTE s1",
	"EXECUTE s2",
	"EXPLAIN ANALYZE EXECUTE s1",
	"DEALLOCATE s1",
	"DEALLOCATE ALL",
	"DISCARD ALL",
	"BEGIN",
	"COMMIT",
	"ROLLBACK",
	"",
	"SELECT card FROM pii; DELETE FROM victims",
	"SELECT email FROM pii; SELECT 1/0",
	"COPY pii TO STDOUT",
	"SELECT ssn, generate_series(1, 3) FROM pii",
	"DECLARE p1 CURSOR WITH HOLD FOR SELECT card, email FROM pii",
	"CLOSE p1",
	"FETCH ALL FROM p1",
	"COPY scratch FROM STDIN",
}

var (
	fuzzWrites = []string{"DELETE FROM victims", "PREPARE s1 AS DELETE FROM victims", "INSERT INTO victims VALUES (9)",
		"SELECT card FROM pii; DELETE FROM victims"}
	fuzzReads       = []string{"SELECT card, email, ssn FROM pii", "SELECT count(*) FROM victims", "PREPARE s2 AS SELECT card FROM pii", "EXECUTE s1"}
	fuzzStmtNames   = []string{"", "s1", "s1", "s2"}
	fuzzPortalNames = []string{"", "p1"}
	fuzzParams      = []string{"7", "x", piiValues[0][0], piiValues[1][1]}
)

// fuzzRegressionSeeds are seeds that once failed (against the gateway
// before the server-confirmed model: an INSERT and a DELETE ran, a Bind
// error quoted a card unmasked); they run first, always.
var fuzzRegressionSeeds = []uint64{1796357517311566103, 1796357537237878573, 1796357552892038081, 1796357571999473598,
	1796359426910902686, // a FunctionCall while the server skipped to Sync
}

// fuzzMessages builds one random message sequence. Each sequence draws
// from a few statements and names only, so names collide and statements
// meet each other often.
func fuzzMessages(rng *rand.Rand) [][]pgproto3.FrontendMessage {
	// At least one write and one read the rules allow.
	sqls := []string{fuzzWrites[rng.IntN(len(fuzzWrites))], fuzzReads[rng.IntN(len(fuzzReads))]}
	for range rng.IntN(4) {
		sqls = append(sqls, fuzzSQL[rng.IntN(len(fuzzSQL))])
	}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var out [][]pgproto3.FrontendMessage
	var cur []pgproto3.FrontendMessage
	add := func(ms ...pgproto3.FrontendMessage) { cur = append(cur, ms...) }
	bindMsg := func(portal, stmt string) *pgproto3.Bind {
		b := &pgproto3.Bind{DestinationPortal: portal, PreparedStatement: stmt}
		if rng.IntN(2) == 0 {
			b.Parameters = [][]byte{[]byte(pick(fuzzParams))}
		}
		return b
	}
	// end closes a unit the way drivers do: mostly Sync, sometimes Flush.
	end := func() {
		switch rng.IntN(6) {
		case 0:
		case 1:
			add(&pgproto3.Flush{})
		default:
			add(&pgproto3.Sync{})
		}
	}
	n := 3 + rng.IntN(20)
	for range n {
		switch k := rng.IntN(24); {
		case k < 3:
			add(&pgproto3.Parse{Name: pick(fuzzStmtNames), Query: pick(sqls)})
			if rng.IntN(2) == 0 {
				end()
			}
		case k < 5:
			add(bindMsg(pick(fuzzPortalNames), pick(fuzzStmtNames)))
		case k < 6:
			if rng.IntN(2) == 0 {
				add(&pgproto3.Describe{ObjectType: 'S', Name: pick(fuzzStmtNames)})
			} else {
				add(&pgproto3.Describe{ObjectType: 'P', Name: pick(fuzzPortalNames)})
			}
		case k < 8:
			add(&pgproto3.Execute{Portal: pick(fuzzPortalNames), MaxRows: uint32(rng.IntN(3))})
		case k < 9:
			if rng.IntN(2) == 0 {
				add(&pgproto3.Close{ObjectType: 'S', Name: pick(fuzzStmtNames)})
			} else {
				add(&pgproto3.Close{ObjectType: 'P', Name: pick(fuzzPortalNames)})
			}
		case k < 12:
			add(&pgproto3.Sync{})
		case k < 14:
			add(&pgproto3.Flush{})
		case k < 17:
			add(&pgproto3.Query{String: pick(sqls)})
		case k < 20:
			// A whole statement run, the shape drivers send.
			name, portal := pick(fuzzStmtNames), pick(fuzzPortalNames)
			add(&pgproto3.Parse{Name: name, Query: pick(sqls)}, bindMsg(portal, name), &pgproto3.Describe{ObjectType: 'P', Name: portal},
				&pgproto3.Execute{Portal: portal})
			end()
		case k < 23:
			portal := pick(fuzzPortalNames)
			add(bindMsg(portal, pick(fuzzStmtNames)), &pgproto3.Execute{Portal: portal})
			end()
		default:
			// COPY FROM STDIN with its data, ended or failed, data nobody
			// asked for, a FunctionCall.
			switch rng.IntN(4) {
			case 3:
				add(&pgproto3.FunctionCall{Function: 1})
			case 0:
				add(&pgproto3.Query{String: "COPY scratch FROM STDIN"}, &pgproto3.CopyData{Data: []byte("1\tx\n")}, &pgproto3.CopyDone{})
			case 1:
				add(&pgproto3.Query{String: "COPY scratch FROM STDIN"}, &pgproto3.CopyData{Data: []byte("2\ty\n")}, &pgproto3.CopyFail{Message: "no"})
			default:
				add(&pgproto3.CopyData{Data: []byte("9\n")})
			}
		}
		// Sometimes the client waits for replies (always after a Flush
		// or Sync, half the time): the order in which the gateway sees
		// the server's answers varies.
		last := cur[len(cur)-1]
		_, isFlush := last.(*pgproto3.Flush)
		_, isSync := last.(*pgproto3.Sync)
		if rng.IntN(6) == 0 || (isFlush || isSync) && rng.IntN(2) == 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	cur = append(cur, &pgproto3.Sync{})
	return append(out, cur)
}

// drain reads until the connection is quiet for wait or closed.
func (r *rawConn) drain(wait time.Duration) []string {
	var got []string
	for {
		m := r.until(1, wait)
		got = append(got, m...)
		if len(m) == 0 || m[len(m)-1] == "timeout" || m[len(m)-1] == "closed" {
			return got
		}
	}
}

// runFuzzSeed runs one sequence and checks the session is in step (or
// closed), no fixture value reached the client, nothing was deleted, and
// the server ran only what the gate allowed.
func runFuzzSeed(t *testing.T, tg *testGateway, al *auditLog, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	// Where this seed's part of the server's log and of the gate's
	// record start: the check reads from there, so a long run stays
	// linear in its seeds.
	al.skipToEnd(t)
	mark := tg.recordMark()
	r := tg.raw(t, "agent")
	pids := tg.sessionPIDs()
	var trace []string
	groups := fuzzMessages(rng)
	for i, group := range groups {
		for _, m := range group {
			trace = append(trace, fmt.Sprintf("%T%+v", m, m))
		}
		if i == len(groups)-1 {
			// The probe follows at once: when the session is in step, it
			// gets exactly its own answer, last.
			group = append(group, &pgproto3.Query{String: "ROLLBACK"}, &pgproto3.Query{String: "SELECT 'probe', card, email, ssn FROM pii"})
		}
		r.send(group...)
		if i < len(groups)-1 {
			r.drain(5 * time.Millisecond)
		}
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: %s\nsent:\n  %s", seed, fmt.Sprintf(format, args...), strings.Join(trace, "\n  "))
	}
	var got []string
	const tail = "C:ROLLBACK,Z:I,T,D:probe|,D:probe|,D:probe|,C:SELECT 3,Z:I"
	for deadline := time.Now().Add(10 * time.Second); ; {
		for _, m := range r.until(1, time.Until(deadline)) {
			if m != "N" {
				got = append(got, m)
			}
		}
		if r.dead {
			break
		}
		if len(got) > 0 && got[len(got)-1] == "timeout" {
			fail("no answer to the probe; got %v", got)
		}
		if len(got) >= 8 {
			var norm []string
			for _, m := range got[len(got)-8:] {
				if strings.HasPrefix(m, "D:probe|") {
					m = "D:probe|"
				}
				norm = append(norm, m)
			}
			if strings.Join(norm, ",") == tail {
				break
			}
		}
		if time.Now().After(deadline) {
			fail("out of step: the probe's answer never came last; got %v", got)
		}
	}
	if s := leaked(r.got.Bytes()); s != "" {
		fail("%q reached the client unmasked: %v", s, got)
	}
	if !r.dead {
		if msg := tg.checkModel(r); msg != "" {
			fail("%s", msg)
		}
	}
	_ = r.nc.Close()
	// A session the gateway closed because the server's replies no
	// longer matched its model is a bug in the model, whatever the client
	// sent.
	if reason := tg.lastSessionEnd(t); strings.Contains(reason, errOutOfStep.Error()) {
		fail("the gateway lost step with the server: %s", reason)
	}
	if n := tg.count(t, "victims"); n != 3 {
		fail("victims: %d rows left", n)
	}
	checkAuditSeed(t, tg, al, mark, pids, func(msg string) { fail("%s", msg) })
}

// checkAuditSeed holds what the server logged for the seed's sessions
// (pids) since the seed started (al's offset) against what the gate
// allowed in the sessions recorded since mark.
func checkAuditSeed(t *testing.T, tg *testGateway, al *auditLog, mark int, pids map[int]bool, fail func(string)) {
	t.Helper()
	allowed, _, _ := tg.decidedSince(mark)
	time.Sleep(20 * time.Millisecond)
	for _, e := range al.read(t) {
		if !pids[e.pid] {
			continue
		}
		if !allowed[norm(e.text)] && !emptySQL(e.text) && e.text != probeSQL {
			fail(fmt.Sprintf("the server ran %q, which the gate did not allow", e.text))
		}
		if e.prepare != "" && !allowed[norm(e.prepare)] {
			fail(fmt.Sprintf("the server ran %q as %q, which the gate did not allow", e.text, e.prepare))
		}
	}
}

// TestProtocolModelFuzz drives the gateway and a real PostgreSQL with
// random message sequences. AIRLOCK_PGFUZZ_SECONDS sets the budget
// (default 40), AIRLOCK_PGFUZZ_SEED the first seed.
//
// Not parallel: it runs for a fixed time, and tests beside it would
// leave it fewer cases in that time.
func TestProtocolModelFuzz(t *testing.T) {
	budget := 40 * time.Second
	if v, err := strconv.Atoi(os.Getenv("AIRLOCK_PGFUZZ_SECONDS")); err == nil && v > 0 {
		budget = time.Duration(v) * time.Second
	}
	if testing.Short() {
		budget = 5 * time.Second
	}
	base := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("AIRLOCK_PGFUZZ_SEED"), 10, 64); err == nil {
		base = v
	}
	al := &auditLog{}
	tg := startGateway(t, withRules(fuzzRules), withAuditRole(t, al))
	seedPII(t, tg)
	tg.adminExec(t, "GRANT ALL ON ALL TABLES IN SCHEMA public TO "+al.role)
	for _, seed := range fuzzRegressionSeeds {
		runFuzzSeed(t, tg, al, seed)
	}
	t.Logf("first seed %d", base)
	end := time.Now().Add(budget)
	n := 0
	for seed := base; time.Now().Before(end); seed++ {
		runFuzzSeed(t, tg, al, seed)
		n++
	}
	t.Logf("%d sequences", n)
}

// checkModel holds the gateway's confirmed model of the session against
// the server's own list of prepared statements: every statement the model
// knows, the server holds under that name with that text.
func (tg *testGateway) checkModel(r *rawConn) string {
	r.send(&pgproto3.Query{String: modelQuery})
	server := map[string]string{}
	for _, m := range r.until(1, step) {
		if v, ok := strings.CutPrefix(m, "D:"); ok {
			name, text, _ := strings.Cut(v, "=")
			server[name] = strings.TrimSpace(text)
		}
	}
	var c *conn
	tg.srv.mu.Lock()
	for _, sc := range tg.srv.sessions {
		c = sc
	}
	tg.srv.mu.Unlock()
	if c == nil {
		return "no session"
	}
	c.model.mu.Lock()
	defer c.model.mu.Unlock()
	for name, si := range c.model.stmts {
		if name == "" || si == nil || si.cl == nil || len(si.cl.Statements) == 0 {
			continue
		}
		want := strings.TrimSpace(si.cl.Statements[0].Text)
		got, ok := server[name]
		if !ok {
			return fmt.Sprintf("the gateway believes %q is prepared as %q; the server does not hold it", name, want)
		}
		if got != want && !strings.HasSuffix(got, " "+want) {
			return fmt.Sprintf("the gateway believes %q is %q; the server holds %q", name, want, got)
		}
	}
	return ""
}

// lastSessionEnd waits for the newest session's end and returns why it
// ended.
func (tg *testGateway) lastSessionEnd(t *testing.T) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ids := tg.rec.Sessions()
		if len(ids) == 0 {
			continue
		}
		for _, e := range tg.rec.GateEvents(ids[len(ids)-1]) {
			if e.Kind == gate.EventSessionEnd {
				if e.Session != nil {
					return e.Session.Reason
				}
				return ""
			}
		}
	}
	t.Fatal("the session did not end")
	return ""
}
