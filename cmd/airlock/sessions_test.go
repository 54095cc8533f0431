package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// sessionsFixture records, through a real gate, a closed session with
// refusals and holds, then a live one that stays open.
func sessionsFixture(t *testing.T) (lg *liveGate, closed, open *gate.Session) {
	lg = newLiveGate(t, record.FileOptions{})
	closed = lg.standardSession()
	time.Sleep(5 * time.Millisecond) // distinct start times
	open = lg.open("agent-7", "", "db-1", "10.9.9.9:5555")
	_ = lg.run(open, "ls /tmp", "x\n")
	_ = lg.run(open, "drop everything", "")
	return lg, closed, open
}

func TestSessionsTable(t *testing.T) {
	lg, closed, open := sessionsFixture(t)
	var out, errb ttyBuffer
	if code := sessionsCtx(context.Background(), &out, &errb, lg.path); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want header and 2 rows:\n%s", out.String())
	}
	for _, want := range []string{"START", "DURATION", "WHO", "PROTOCOL", "TARGET", "CLIENT", "REQUESTS", "REFUSED", "HELD", "STATE", "SESSION"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header lacks %s: %s", want, lines[0])
		}
	}
	row := strings.Fields(lines[1])
	// START is two fields (date, time); WHO is three.
	if got := strings.Join(row[3:], " "); got != "agent-42 (Deploy Bot) [agent] ssh web-1 10.1.2.3:40000 5 2 2 closed "+closed.ID {
		t.Errorf("closed row: %q", got)
	}
	row = strings.Fields(lines[2])
	if got := strings.Join(row[3:], " "); got != "agent-7 [agent] ssh db-1 10.9.9.9:5555 2 1 0 open "+open.ID {
		t.Errorf("open row: %q", got)
	}
	if !strings.HasSuffix(row[2], "+") {
		t.Errorf("open session's duration not marked as lower bound: %q", row[2])
	}
	if t.Failed() {
		t.Fatal(out.String())
	}

	// Closing the live session closes its row.
	lg.close(open)
	out = ttyBuffer{}
	if code := sessionsCtx(context.Background(), &out, &errb, lg.path); code != 0 || strings.Contains(out.String(), " open ") {
		t.Fatalf("after close: %d\n%s", code, out.String())
	}

	// A record someone edited shows as broken, and exits 1.
	lg.rec.Close()
	b, _ := os.ReadFile(lg.path)
	if err := os.WriteFile(lg.path, []byte(strings.Replace(string(b), `"ls /tmp"`, `"ls /etc"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	out = ttyBuffer{}
	if code := sessionsCtx(context.Background(), &out, &errb, lg.path); code != 1 || !strings.Contains(out.String(), " broken ") {
		t.Fatalf("edited record: %d\n%s", code, out.String())
	}
	// A torn line is reported and exits 1.
	if err := os.WriteFile(lg.path, append(b, `{"v":1,"session":"x`...), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errb = ttyBuffer{}, ttyBuffer{}
	if code := sessionsCtx(context.Background(), &out, &errb, lg.path); code != 1 || !strings.Contains(errb.String(), "torn line") {
		t.Fatalf("torn record: %d %s\n%s", code, errb.String(), out.String())
	}
}

func TestSessionsJSON(t *testing.T) {
	lg, closed, open := sessionsFixture(t)
	var out, errb ttyBuffer
	if code := sessionsCtx(context.Background(), &out, &errb, "--json", lg.path); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got []sessionSummary
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if len(got) != 2 || got[0].ID != closed.ID || got[1].ID != open.ID {
		t.Fatalf("sessions: %+v", got)
	}
	c, o := got[0], got[1]
	if c.Subject != "agent-42" || c.Name != "Deploy Bot" || c.Kind != gate.KindAgent || c.Protocol != "ssh" ||
		c.Target != "web-1" || c.ClientAddr != "10.1.2.3:40000" || c.Requests != 5 || c.Refusals != 2 || c.Holds != 2 ||
		!c.Ended || !c.Final || !c.Signed || !c.ChainOK || c.State != "closed" || c.End == nil || c.Duration <= 0 ||
		c.Start.IsZero() || c.Start.After(*c.End) {
		t.Errorf("closed session: %+v", c)
	}
	if o.Ended || o.Final || !o.ChainOK || o.State != "open" || o.Requests != 2 || o.Refusals != 1 || o.End != nil ||
		!o.Start.After(c.Start) {
		t.Errorf("open session: %+v", o)
	}
	// An empty record is an empty array.
	empty := lg.path + ".empty"
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out = ttyBuffer{}
	if code := sessionsCtx(context.Background(), &out, &errb, empty, "--json"); code != 0 || strings.TrimSpace(out.String()) != "[]" {
		t.Fatalf("empty: %d %q", code, out.String())
	}
}

func TestSessionsUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{{nil, 2}, {[]string{"a", "b"}, 2}, {[]string{"--nope", "a"}, 2}, {[]string{"/nonexistent"}, 1}} {
		var out, errb ttyBuffer
		if code := sessionsCtx(context.Background(), &out, &errb, c.args...); code != c.code {
			t.Errorf("%q: exit %d, want %d", c.args, code, c.code)
		}
	}
	var out, errb ttyBuffer
	if code := cmdSessions([]string{"--help"}, &out, &errb); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, want := range []string{"usage: airlock sessions", "-json", "closed", "open", "broken", "Exit status: 0 ok, 1 failure", "2 bad usage"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSessionsFromPostgres(t *testing.T) {
	ctx := context.Background()
	dsn, id, _ := pgRecord(t, "airlock_sessions")
	var out, errb ttyBuffer
	if code := sessionsCtx(ctx, &out, &errb, dsn, "--json"); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got []sessionSummary
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil || len(got) != 1 {
		t.Fatalf("%v: %s", err, out.String())
	}
	if s := got[0]; s.ID != id || s.State != "closed" || s.Requests != 4 || s.Refusals != 1 || s.Holds != 1 || s.Subject != "agent-42" {
		t.Fatalf("summary: %+v", s)
	}
	// replay --detail reads the table too.
	out = ttyBuffer{}
	if code := replayCtx(ctx, &out, &errb, dsn, "--detail"); code != 0 || !strings.Contains(out.String(), "decision.rule: default") {
		t.Fatalf("replay --detail: %s", out.String())
	}
}

// TestReplayManySessions replays a file of several sessions in one pass,
// in recorded order, each line tagged with its session.
func TestReplayManySessions(t *testing.T) {
	lg, closed, open := sessionsFixture(t)
	var out, errb ttyBuffer
	if code := replayCtx(context.Background(), &out, &errb, lg.path); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	a := strings.Index(got, closed.ID[:8]+" +    0.000s  start      ssh agent-42")
	b := strings.Index(got, open.ID[:8]+" +    0.000s  start      ssh agent-7")
	c := strings.Index(got, open.ID[:8]+" +")
	if a < 0 || b < 0 || b < a || !strings.Contains(got, "deny       drop everything") || c < strings.Index(got, closed.ID[:8]+" +    0.0") {
		t.Fatalf("interleaved replay:\n%s", got)
	}
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if !strings.HasPrefix(l, closed.ID[:8]+" ") && !strings.HasPrefix(l, open.ID[:8]+" ") {
			t.Fatalf("untagged line %q", l)
		}
	}
}
