package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

const allowAllRules = `
default: deny
rules:
  - name: everything
    when: "true"
    action: allow
  - name: mask-pii
    when: "true"
    mask: [credit_card, email, ssn]
`

// outputs returns the recorded outputs of stream, by decision id.
func (tg *testGateway) outputs(stream string) map[string][]string {
	out := map[string][]string{}
	for _, e := range tg.gateEvents() {
		if e.Kind == gate.EventOutput && e.Output != nil && e.Output.Stream == stream {
			out[e.Output.DecisionID] = append(out[e.Output.DecisionID], string(e.Output.Data))
		}
	}
	return out
}

// decisionFor returns the id of the allowed decision whose command holds text.
func (tg *testGateway) decisionFor(t *testing.T, text string) *gate.Event {
	t.Helper()
	for _, e := range tg.gateEvents() {
		if e.Kind == gate.EventDecision && e.Request != nil && strings.Contains(e.Request.Command, text) {
			return &e
		}
	}
	t.Fatalf("no decision for %q", text)
	return nil
}

// Item 7: the record shows what the client saw per statement: the
// CommandComplete tag, the upstream's errors and notices (masked), linked
// to the decision.
func TestRecordWhatClientSaw(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(allowAllRules))
	tg.adminExec(t, `CREATE FUNCTION noisy() RETURNS int LANGUAGE plpgsql AS $$
		BEGIN RAISE NOTICE 'card on file %', '4111111111111111'; RETURN 1; END $$`)
	ctx := context.Background()
	for _, simple := range []bool{true, false} {
		var c = tg.connect(t, "agent")
		if simple {
			c = tg.connect(t, "agent", simpleMode)
		}
		if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1, 'x')"); err != nil {
			t.Fatal(err)
		}
		_, err := c.Exec(ctx, "SELECT * FROM no_such_table_"+map[bool]string{true: "s", false: "e"}[simple])
		if sqlState(err) != "42P01" {
			t.Fatalf("want 42P01, got %v", err)
		}
		_, err = c.Exec(ctx, "SELECT 1/0 AS \"4111111111111111\"")
		if sqlState(err) != "22012" {
			t.Fatalf("want 22012, got %v", err)
		}
		if _, err := c.Exec(ctx, "SELECT noisy()"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	status, errs, notices := tg.outputs("status"), tg.outputs("error"), tg.outputs("notice")
	ins := tg.decisionFor(t, "INSERT INTO scratch")
	if !strings.Contains(strings.Join(status[ins.Decision.ID], ","), "INSERT 0 1") {
		t.Fatalf("INSERT tag not recorded: %v", status)
	}
	for _, table := range []string{"no_such_table_s", "no_such_table_e"} {
		d := tg.decisionFor(t, table)
		if got := strings.Join(errs[d.Decision.ID], ","); !strings.Contains(got, "42P01") || !strings.Contains(got, table) {
			t.Fatalf("error of %s not recorded: %v", table, errs)
		}
	}
	n := tg.decisionFor(t, "noisy()")
	got := strings.Join(notices[n.Decision.ID], ",")
	// A PL/pgSQL function's notice may quote any transform of a carrier:
	// under detectors it is withheld, and recorded as the client saw it.
	if !strings.Contains(got, "NOTICE 00000: [masked]") || strings.Contains(got, "card on file") || strings.Contains(got, testCard) {
		t.Fatalf("notice recorded as %q", got)
	}
	for _, e := range errs {
		if strings.Contains(strings.Join(e, ","), testCard) {
			t.Fatalf("an error recorded unmasked: %v", errs)
		}
	}
}

// Item 5: the parameters of an extended-protocol Execute reach the
// request, decoded for review.
func TestReviewParams(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(allowAllRules))
	c := tg.connect(t, "admin")
	ctx := context.Background()
	id := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var n int
	err := c.QueryRow(ctx, "SELECT $1::int8 + 0 * length($2::text) + 0 * length($3::bytea) + 0 * extract(year from $4::timestamptz)::int + 0 * length($5::uuid::text) + 0 * $6::float8::int + ($7::bool)::int",
		int64(41), "hello", []byte{0xde, 0xad}, ts, id, 2.5, true).Scan(&n)
	if err != nil || n != 42 {
		t.Fatalf("%d %v", n, err)
	}
	d := tg.decisionFor(t, "$1::int8")
	got := strings.Join(d.Request.SQL.Params, "|")
	want := []string{"41", "hello", `\xdead`, "2026-01-02", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "2.5", "t"}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("params %q lack %q", got, w)
		}
	}
}

// Config.RecordLimit bounds the recorded rendering of a result: the client
// receives every row, the record is cut and says so, and the statement's
// CommandComplete tag is recorded as its status when the cut took it.
func TestRecordLimit(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(allowAllRules), func(_ *gate.Config, c *Config) { c.RecordLimit = 64 })
	c := tg.connect(t, "admin", simpleMode)
	rows, err := c.Query(context.Background(), "SELECT g, repeat('x', 20) FROM generate_series(1, 50) g")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Err() != nil || n != 50 {
		t.Fatalf("client got %d rows (%v), want 50", n, rows.Err())
	}
	d := tg.decisionFor(t, "generate_series")
	var rec *gate.Output
	for _, e := range tg.gateEvents() {
		if e.Kind == gate.EventOutput && e.Output.DecisionID == d.Decision.ID && e.Output.Stream == "rows" {
			rec = e.Output
		}
	}
	if rec == nil || !rec.Truncated || len(rec.Data) != 64 || !strings.HasPrefix(string(rec.Data), "g\trepeat\n1\txxx") {
		t.Fatalf("recorded rows: %+v", rec)
	}
	if got := tg.outputs("status")[d.Decision.ID]; len(got) != 1 || got[0] != "SELECT 50" {
		t.Fatalf("status after the cut: %q", got)
	}
}

// What the proxy masks column by column is reported with the result's
// recorded rows (Premasked output, findings added by the proxy).
func TestRecordFindings(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	c := tg.connect(t, "agent", simpleMode)
	var card string
	if err := c.QueryRow(context.Background(), "SELECT card FROM customers WHERE id = 1").Scan(&card); err != nil {
		t.Fatal(err)
	}
	if card == testCard {
		t.Fatal("the card reached the client")
	}
	d := tg.decisionFor(t, "SELECT card FROM customers")
	for _, e := range tg.gateEvents() {
		if e.Kind != gate.EventOutput || e.Output.DecisionID != d.Decision.ID || e.Output.Stream != "rows" {
			continue
		}
		if strings.Contains(string(e.Output.Data), testCard) || len(e.Output.Findings) == 0 {
			t.Fatalf("recorded rows %q with findings %+v", e.Output.Data, e.Output.Findings)
		}
		return
	}
	t.Fatal("no rows recorded")
}

// TestRecordedRowsEndWithTag: a result's recorded rows end with its
// command tag in parentheses on a line of its own.
func TestRecordedRowsEndWithTag(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, withRules(allowAllRules))
	c := tg.connect(t, "admin", simpleMode)
	if _, err := c.Exec(context.Background(), "SELECT 7 AS seven_tagged"); err != nil {
		t.Fatal(err)
	}
	d := tg.decisionFor(t, "seven_tagged")
	if got := tg.outputs("rows")[d.Decision.ID]; len(got) != 1 || got[0] != "seven_tagged\n7\n(SELECT 1)\n" {
		t.Fatalf("recorded rows %q", got)
	}
}
