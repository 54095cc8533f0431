package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// settingsRules allow reads and SET: a session may change its settings,
// not its data.
const settingsRules = `
default: deny
rules:
  - name: reads-and-settings
    when: >
      sql.statements.all(s, (s.read_only && !s.opaque) ||
        s.kind in ["SET", "RESET", "BEGIN", "COMMIT", "ROLLBACK"] ||
        (s.kind == "INSERT" && s.tables.all(t, t.name == "scratch")))
    action: allow
`

// parseChangers are statements that turn standard_conforming_strings off,
// after which the server reads 'a\' || ' ...' as one string and what the
// gateway's parser took for a string as code.
var parseChangers = []string{
	"SET standard_conforming_strings = off",
	"SET standard_conforming_strings TO off",
	"SET SESSION standard_conforming_strings = 'off'",
	"set STANDARD_CONFORMING_STRINGS = false",
	`SET "standard_conforming_strings" = 0`,
	"SET standard_conforming_strings = no",
	// A write the rules allow, whose trigger (the owner's) turns it off.
	"INSERT INTO scratch VALUES (1, 'x')",
}

// parseSmuggles are read-only to a parser with standard strings, and a
// DELETE or a nextval (one statement, as a Parse must be) to one without.
var parseSmuggles = []string{`SELECT 'a\' || ' ; DELETE FROM victims; --'`, `SELECT 'a\' || ', nextval($$ps_seq$$) --'`}

// TestParseStateRaces: a statement that changes how the server reads SQL,
// followed at once by one judged under the old reading — in the same
// Query, in a pipelined Query, in the same extended batch, after a Flush
// in the same sync group, in a pipelined batch — must not run the
// smuggled DELETE. Judged by effects: the victims' rows.
func TestParseStateRaces(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(settingsRules))
	ctx := context.Background()
	up := tg.upstream(t)
	if _, err := up.Exec(ctx, `INSERT INTO victims SELECT generate_series(1, 5); CREATE SEQUENCE ps_seq;
		CREATE FUNCTION ps_trig() RETURNS trigger LANGUAGE plpgsql AS
		  $$BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); RETURN NULL; END$$;
		CREATE TRIGGER ps_trig AFTER INSERT ON scratch FOR EACH STATEMENT EXECUTE FUNCTION ps_trig()`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	victims := func() string {
		r, err := up.Exec(ctx, "SELECT count(*) || '|' || (SELECT last_value || is_called::text FROM ps_seq) FROM victims").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return string(r[0].Rows[0][0])
	}
	initial := victims()
	extended := func(sql string) []pgproto3.FrontendMessage {
		return []pgproto3.FrontendMessage{&pgproto3.Parse{Query: sql}, &pgproto3.Bind{}, &pgproto3.Execute{}}
	}
	type shape struct {
		name  string
		sends [][]pgproto3.FrontendMessage // each sent in one write, without waiting
	}
	for i, set := range parseChangers {
		parseSmuggle := parseSmuggles[i%len(parseSmuggles)]
		shapes := []shape{
			{"one-query", [][]pgproto3.FrontendMessage{{&pgproto3.Query{String: set + "; " + parseSmuggle}}}},
			{"pipelined-queries", [][]pgproto3.FrontendMessage{{&pgproto3.Query{String: set}, &pgproto3.Query{String: parseSmuggle}}}},
			{"in-transaction", [][]pgproto3.FrontendMessage{{&pgproto3.Query{String: "BEGIN; " + strings.Replace(set, "SET ", "SET LOCAL ", 1) + "; " + parseSmuggle + "; COMMIT"}}}},
			{"one-batch", [][]pgproto3.FrontendMessage{append(append(extended(set), extended(parseSmuggle)...), &pgproto3.Sync{})}},
			{"after-flush", [][]pgproto3.FrontendMessage{append(extended(set), &pgproto3.Flush{}), append(extended(parseSmuggle), &pgproto3.Sync{})}},
			{"pipelined-batches", [][]pgproto3.FrontendMessage{append(append(extended(set), &pgproto3.Sync{}), append(extended(parseSmuggle), &pgproto3.Sync{})...)}},
			{"batch-then-query", [][]pgproto3.FrontendMessage{append(extended(set), &pgproto3.Sync{}, &pgproto3.Query{String: parseSmuggle})}},
		}
		for _, sh := range shapes {
			base := victims()
			r := tg.raw(t, "admin")
			for i, msgs := range sh.sends {
				if i > 0 {
					time.Sleep(50 * time.Millisecond) // a separate write
				}
				r.send(msgs...)
			}
			r.until(repliesOwed(sh.sends), time.Second)
			if after := victims(); after != base {
				t.Errorf("%s %q: the smuggled code ran (victims|sequence %s -> %s)", sh.name, set, base, after)
				if _, err := up.Exec(ctx, "DELETE FROM victims; INSERT INTO victims SELECT generate_series(1, 5); ALTER SEQUENCE ps_seq RESTART").ReadAll(); err != nil {
					t.Fatal(err)
				}
			}
			_ = r.nc.Close()
		}
	}
	// Each shape waits only for the replies it is owed; code that ran
	// later than its reply still shows at the end.
	time.Sleep(200 * time.Millisecond)
	if after := victims(); after != initial {
		t.Errorf("the smuggled code ran late (victims|sequence %s -> %s)", initial, after)
	}
}

// repliesOwed is how many ReadyForQuery messages the server owes for sends:
// one per Query and one per Sync. The smuggled statement's effect, if it
// ran, is visible once the last has arrived.
func repliesOwed(sends [][]pgproto3.FrontendMessage) int {
	n := 0
	for _, msgs := range sends {
		for _, m := range msgs {
			switch m.(type) {
			case *pgproto3.Query, *pgproto3.Sync:
				n++
			}
		}
	}
	return n
}
