package postgres

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// stateRules allow an agent everything (DO blocks and calls of the
// database's functions included) and mask customers.name, card and pin
// by field rules: whatever the rules allow, no masked value may come back.
const stateRules = "default: allow\nrules:" + lineageMasking

// stateFixture gives the agent code of the database's to call: a helper
// that runs the SQL it is given, a trigger that runs the SQL a row holds,
// a cursor opener, and a sequence.
const stateFixture = `
CREATE SEQUENCE sq;
CREATE FUNCTION run_sql(q text) RETURNS int LANGUAGE plpgsql AS $$ BEGIN EXECUTE q; RETURN 1; END $$;
CREATE FUNCTION open_cur(n text) RETURNS text LANGUAGE plpgsql AS $$
  DECLARE c refcursor := n; BEGIN OPEN c FOR SELECT 1; RETURN 'ok'; END $$;
CREATE TABLE trig (q text);
CREATE FUNCTION trig_run() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN EXECUTE NEW.q; RETURN NULL; END $$;
CREATE TRIGGER trig_run AFTER INSERT ON trig FOR EACH ROW EXECUTE FUNCTION trig_run();
INSERT INTO scratch VALUES (0, 'seed');
`

// stateCase is one laundering attempt: steps that store a masked value in
// the session's state, then steps that read the state back.
type stateCase struct {
	state string
	write []string
	read  []string
}

// stateWriters are the shapes that evaluate the expression w (over
// customers row 1) in the statement, or in code the gateway cannot see.
func stateWriters(w string) [][]string {
	q := "SELECT " + w + " FROM customers WHERE id = 1"
	lit := strings.ReplaceAll(q, "'", "''")
	return [][]string{
		{q},
		{"SELECT 1 FROM customers WHERE id = 1 AND " + w + " IS NOT NULL"},
		{"WITH s AS (SELECT " + w + " AS x FROM customers WHERE id = 1) SELECT count(*) FROM s"},
		{"SELECT count(*) FROM (SELECT " + w + " FROM customers WHERE id = 1) s"},
		{"UPDATE scratch SET v = (" + w + ")::text FROM customers WHERE customers.id = 1 AND scratch.id = 0"},
		{"PREPARE pw AS " + q, "EXECUTE pw"},
		{"SELECT run_sql('" + lit + "')"},
		{"INSERT INTO trig VALUES ('" + lit + "')"},
		{"DO $$ BEGIN PERFORM " + w + " FROM customers WHERE id = 1; END $$"},
		{"BEGIN", "SELECT " + strings.Replace(w, ", false)", ", true)", 1) + " FROM customers WHERE id = 1"},
	}
}

// codeWriters are the shapes that run the SQL that the expression s (over
// customers row 1) computes: only code the gateway cannot see can.
func codeWriters(s string) [][]string {
	return [][]string{
		{"SELECT run_sql(" + s + ") FROM customers WHERE id = 1"},
		{"INSERT INTO trig SELECT " + s + " FROM customers WHERE id = 1"},
		{"DO $$ BEGIN EXECUTE (SELECT " + s + " FROM customers WHERE id = 1); END $$"},
	}
}

// stateCases generates every write shape of every kind of session state
// times every way of reading that state back; pairs, when not nil,
// keeps only the pairs (write i of nw, read j of nr) it accepts.
func stateCases(pairs func(i, j, nw, nr int) bool) []stateCase {
	var out []stateCase
	add := func(state string, writes [][]string, reads [][]string) {
		for i, w := range writes {
			for j, r := range reads {
				if pairs != nil && !pairs(i, j, len(writes), len(reads)) {
					continue
				}
				out = append(out, stateCase{state, w, r})
			}
		}
	}
	letters := "regexp_replace(name, '[^A-Za-z]', '', 'g')"
	for g, v := range map[string]string{"x.y": "name", "application_name": "name", "search_path": letters} {
		add("setting "+g, stateWriters(fmt.Sprintf("set_config('%s', %s, false)", g, v)), [][]string{
			{"SHOW " + g},
			{"SELECT current_setting('" + g + "')"},
			{"SELECT upper(current_setting('" + g + "', true))"},
			{"SELECT setting FROM pg_settings WHERE name = '" + g + "'"},
			{"SELECT s.setting FROM pg_show_all_settings() s WHERE s.name = '" + g + "'"},
			{"SELECT current_setting('" + g + "')::int"},
			{"SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"},
			{"SELECT 1"}, // the settings the next request carries, the reported ones
		})
	}
	add("setting timezone", stateWriters("set_config('timezone', '<' || "+letters+" || '>+3', false)"), [][]string{
		{"SHOW timezone"},
		{"SELECT to_char(now(), 'TZ')"},
		{"SET datestyle = postgres", "SELECT now()", "RESET datestyle"},
		{"SET datestyle = sql", "SELECT now()::text", "RESET datestyle"},
		{"SELECT 1"},
	})
	add("advisory lock", stateWriters("pg_advisory_lock(card::int8)"), [][]string{
		{"SELECT (classid::int8 << 32) | objid::int8 FROM pg_locks WHERE locktype = 'advisory'"},
		{"SELECT l.classid, l.objid FROM pg_lock_status() l WHERE l.locktype = 'advisory'"},
	})
	add("sequence", stateWriters("setval('sq', card::int8)"), [][]string{
		{"SELECT currval('sq')"},
		{"SELECT lastval()"},
		{"SELECT last_value FROM sq"},
		{"SELECT last_value FROM pg_sequences WHERE sequencename = 'sq'"},
		{"SELECT pg_sequence_last_value('sq')"},
	})
	add("listen", codeWriters("format('LISTEN %I', name)"), [][]string{
		{"SELECT pg_listening_channels()"},
		{"SELECT pg_notify(c, 'hello') FROM pg_listening_channels() c"},
	})
	add("notify", [][]string{{"LISTEN ch", "SELECT pg_notify('ch', name) FROM customers WHERE id = 1"}}, [][]string{{"SELECT 1"}})
	add("prepared statement", codeWriters("format('PREPARE %I AS SELECT 1', "+letters+")"), [][]string{
		{"SELECT name, statement FROM pg_prepared_statements"},
	})
	add("cursor", [][]string{
		{"BEGIN", "SELECT open_cur(name) FROM customers WHERE id = 1"},
		{"BEGIN", "SELECT open_cur(x) FROM (SELECT name AS x FROM customers WHERE id = 1) s"},
	}, [][]string{
		{"SELECT name, statement FROM pg_cursors"},
	})
	add("temp table", [][]string{
		{"CREATE TEMP TABLE tt AS SELECT name AS v FROM customers"},
		{"CREATE TEMP TABLE tt (v text)", "INSERT INTO tt SELECT name FROM customers"},
	}, [][]string{
		{"SELECT v FROM tt"},
		{"TABLE tt"},
	})
	return out
}

// stateForms are the masked values as the cases store them: the names
// (any case, letters only), the card numbers and the halves of their
// int8 form's low half (an advisory lock's objid).
func stateForms() []string {
	forms := leakForms()
	for _, n := range lineageNames {
		forms = append(forms, strings.ToLower(strings.ReplaceAll(n, " ", ""))[:9])
	}
	for _, card := range []string{testCard, "5500000000000004"} {
		n, _ := strconv.ParseInt(card, 10, 64)
		forms = append(forms, card, strconv.FormatInt(n&0xffffffff, 10))
	}
	return forms
}

// TestSessionStateLaundering sends, as the masked agent, every generated
// write of a masked value into the session's state (settings, advisory
// locks, sequences, LISTEN channels, prepared statements, cursors,
// temporary tables) followed by a read of that state, each pair on a
// session of its own, and judges by the bytes the agent received and by
// the record (which reviewers read): no form of a masked value may appear
// in either.
func TestSessionStateLaundering(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(stateRules), func(_ *gate.Config, c *Config) {
		c.AllowServerReach, c.AllowClusterChanges = true, true
	})
	tg.adminExec(t, lineageFixture+stateFixture)
	forms := stateForms()
	byState := map[string][]stateCase{}
	// Every write and every read, each in at least one pair chosen by the
	// seed; AIRLOCK_STATE_FULL=1 runs every pair (376).
	r := testSeed(t)
	var pairs func(i, j, nw, nr int) bool
	if os.Getenv("AIRLOCK_STATE_FULL") == "" {
		shift := r.IntN(1 << 20)
		pairs = func(i, j, nw, nr int) bool {
			if nw >= nr {
				return j == (i+shift)%nr
			}
			return i == (j+shift)%nw
		}
	}
	for _, sc := range stateCases(pairs) {
		byState[sc.state] = append(byState[sc.state], sc)
	}
	seed := r.Uint64()
	var mu sync.Mutex
	var leaked, total int
	t.Run("cases", func(t *testing.T) {
		for state, cases := range byState {
			t.Run(state, func(t *testing.T) {
				t.Parallel()
				r := rand.New(rand.NewPCG(seed, uint64(len(state))))
				n := 0
				for _, sc := range cases {
					if leak := runStateCase(t, tg, r, "agent", sc, forms); leak != "" {
						n++
						t.Errorf("%q then %q: the agent received %q", sc.write, sc.read, leak)
					}
				}
				// The writes are real: the unmasked admin reads the value back.
				if leak := runStateCase(t, tg, r, "admin", cases[0], forms); leak == "" {
					t.Errorf("%q then %q: the admin did not read the value back", cases[0].write, cases[0].read)
				}
				mu.Lock()
				leaked, total = leaked+n, total+len(cases)
				mu.Unlock()
				t.Logf("%s: %d of %d leaked", state, n, len(cases))
			})
		}
	})
	// The record, which reviewers read, holds no form of a masked value
	// in an agent's session (the settings each request carries included).
	sessions := agentRecordsHolding(t, tg, forms)
	t.Logf("%d of %d cases leaked to the agent, %d agent sessions' records held a masked value", leaked, total, sessions)
}

// agentRecordsHolding fails the test for each session of agent-1 whose
// record holds one of forms, and returns how many did.
func agentRecordsHolding(t *testing.T, tg *testGateway, forms []string) int {
	t.Helper()
	sessions := 0
	for _, sid := range tg.rec.Sessions() {
		var b []byte
		agent := false
		for _, e := range tg.rec.Events(sid) {
			j, _ := json.Marshal(e)
			b = append(b, j...)
			agent = agent || strings.Contains(string(j), `"subject":"agent-1"`)
		}
		if leak := findLeak(b, forms); agent && leak != "" {
			sessions++
			if sessions <= 3 {
				t.Errorf("the record of an agent's session holds %q", leak)
			}
		}
	}
	return sessions
}

// runStateCase runs sc on a session of its own as user and returns the
// form of a masked value the client received, or "".
func runStateCase(t *testing.T, tg *testGateway, r *rand.Rand, user string, sc stateCase, forms []string) string {
	tp := dialTap(t, tg, user)
	defer tp.c.Close(t.Context())
	var got []byte
	for _, s := range append(append([]string{}, sc.write...), sc.read...) {
		b, _ := tp.run(r, s)
		got = append(got, b...)
	}
	return findLeak(got, forms)
}
