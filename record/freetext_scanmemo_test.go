package record

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// memoSession generates the events of one session: decisions and
// outputs whose fields are drawn from small pools of generated texts
// (credentials among them, in every field), so that the pieces of an
// event often repeat those of the last one, and whose optional fields
// come and go, so that the pieces shift (a JSON piece where the last
// event had a raw one).
type memoSession struct {
	g                                     textGen
	id                                    string
	subjects, commands, tables, rules, ds []string
}

func newMemoSession(g textGen, id string) *memoSession {
	pool := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			if g.rng.IntN(2) == 0 {
				out[i] = g.clean()
			} else {
				out[i] = g.text()
			}
		}
		return out
	}
	return &memoSession{g: g, id: id, subjects: pool(2), commands: pool(3), tables: pool(3), rules: pool(2), ds: pool(3)}
}

func (s *memoSession) pick(p []string) string { return p[s.g.rng.IntN(len(p))] }

func (s *memoSession) event() gate.Event {
	now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	id := &gate.Identity{Subject: s.pick(s.subjects), Name: s.pick([]string{"bench", "", `a"b`}), Kind: gate.KindAgent}
	switch s.g.rng.IntN(4) {
	case 0:
		id.Groups = []string{"agents"}
	case 1:
		id.Groups = []string{"agents", s.pick(s.subjects)}
	case 2:
		id.Kind = ""
	}
	if s.g.rng.IntN(8) == 0 {
		id.Claims = map[string]any{"email": s.pick(s.subjects)}
	}
	if s.g.rng.IntN(2) == 0 {
		e := gate.Event{Kind: gate.EventOutput, SessionID: s.id, Time: now, Identity: id,
			Output: &gate.Output{DecisionID: "1187fef7940967771fa62a05ff51d1ae", Stream: s.pick(s.rules), Data: []byte(s.pick(s.ds)), Final: true}}
		if s.g.rng.IntN(4) == 0 {
			e.Output.Data = nil
		}
		return e
	}
	cmd := s.pick(s.commands)
	req := &gate.Request{Protocol: "postgres", Command: cmd, Time: now,
		SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: s.pick(s.commands), ReadOnly: true,
			Tables: []gate.SQLTable{{Name: s.pick(s.tables), Access: "read"}}, Columns: []string{s.pick(s.tables), "aid"},
			FilterColumns: []string{"pgbench_accounts.aid"}}}}}
	if s.g.rng.IntN(3) == 0 {
		req.Reason = s.pick(s.rules)
	}
	if s.g.rng.IntN(3) == 0 {
		req.Payload = []byte(s.pick(s.ds))
	}
	if s.g.rng.IntN(3) == 0 {
		req.SQL.Statements[0].HasWhere = true
	}
	d := &gate.Decision{ID: "1187fef7940967771fa62a05ff51d1ae", Action: gate.Allow, Rule: s.pick(s.rules), Rules: []string{s.pick(s.rules)},
		RuleSetVersion: "sha256:48e73d70f2804257", Time: now, Elapsed: 2400}
	return gate.Event{Kind: gate.EventDecision, SessionID: s.id, Time: now, Identity: id, Request: req, Decision: d}
}

// TestScanMemoMatchesFullScan holds the free-text search with the scan
// memory (a piece equal to a clean piece of the session's last event of
// its kind is not read again) to the search without it, on generated
// sessions whose events repeat pieces with credentials in every field:
// what it finds, and the bodies stored, must be the same. Events of
// several sessions are interleaved, and some sessions end and start
// again.
func TestScanMemoMatchesFullScan(t *testing.T) {
	t.Parallel()
	names := mask.CompileSecretNames(nil)
	filter := newNameFilter(nil)
	key := []byte("0123456789abcdef0123456789abcdef")
	memo := &redactor{key: key, names: names, nameFilter: filter}
	whole := &redactor{key: key, names: names, nameFilter: filter}
	g := textGen{rng: rand.New(rand.NewPCG(17, 19))}
	sessions := make([]*memoSession, 6)
	for i := range sessions {
		sessions[i] = newMemoSession(g, "s"+g.chars(alnum, 31))
	}
	n := 12000
	if testing.Short() {
		n = 3000
	}
	skipped, dirty := 0, 0
	for i := range n {
		k := g.rng.IntN(len(sessions))
		s := sessions[k]
		if g.rng.IntN(200) == 0 {
			end := gate.Event{Kind: gate.EventSessionEnd, SessionID: s.id, Time: time.Now()}
			if _, err := memo.body(end); err != nil {
				t.Fatal(err)
			}
			if _, err := whole.body(end); err != nil {
				t.Fatal(err)
			}
			sessions[k] = newMemoSession(g, "s"+g.chars(alnum, 31))
			continue
		}
		e := s.event()
		var gaps textGaps
		b, _, err := appendEventGaps(nil, &e, &gaps)
		if err != nil {
			t.Fatal(err)
		}
		want := sortedCopy(memo.freeTextSecrets(&e, b, gaps.list()))
		m := memo.memos.get(e.SessionID, e.Kind)
		if m == nil {
			t.Fatalf("event %d: no scan memory for session %s", i, e.SessionID)
		}
		before := len(m.pieces)
		// The identity's JSON from the memory: the bytes and gaps of
		// the encoder without it.
		var mg textGaps
		mb, _, err := appendEventMemo(nil, &e, &mg, m)
		if err != nil || !bytes.Equal(mb, b) || !slices.Equal(mg.list(), gaps.list()) {
			t.Fatalf("event %d: with the memory encoded %s %v (%v), without %s %v", i, mb, mg.list(), err, b, gaps.list())
		}
		got := sortedCopy(memo.freeTextPieces(&e, b, gaps.list(), m))
		m.unlock()
		if !slices.Equal(got, want) {
			t.Fatalf("event %d: with the scan memory found %q, without %q, in %s", i, got, want, b)
		}
		if before != 0 {
			skipped++
		}
		if len(want) > 0 {
			dirty++
		}
		// The stored bodies: the memory's redactor against one that
		// forgets it before each event.
		whole.memos.forget(e.SessionID)
		wb, werr := whole.body(e)
		mb, merr := memo.body(e)
		if (werr == nil) != (merr == nil) || !bytes.Equal(wb, mb) {
			t.Fatalf("event %d: stored %s (%v) with the scan memory, %s (%v) without", i, mb, merr, wb, werr)
		}
	}
	if skipped < n/2 || dirty < n/10 {
		t.Fatalf("%d of %d events met a scan memory, %d held a credential: the generator is too weak", skipped, n, dirty)
	}
}

// TestScanMemoBounds: the memory keeps at most maxMemoSessions sessions,
// forgets a session at its end, and leaves an event of a kind it does not
// keep, or of a session whose memory is in use, to the search without it.
func TestScanMemoBounds(t *testing.T) {
	var ms scanMemos
	if ms.get("s", gate.EventSessionStart) != nil {
		t.Fatal("a memory for a session_start event")
	}
	m := ms.get("s", gate.EventDecision)
	if m == nil {
		t.Fatal("no memory for a decision")
	}
	if ms.get("s", gate.EventDecision) != nil {
		t.Fatal("a memory in use given to a second event")
	}
	m.unlock()
	for i := range maxMemoSessions + 10 {
		if m := ms.get(string(rune('a'+i%26))+string(rune(i)), gate.EventOutput); m != nil {
			m.mu.Unlock()
		}
		if len(ms.m) > maxMemoSessions {
			t.Fatalf("%d sessions remembered", len(ms.m))
		}
	}
	ms.forget("s")
	if _, ok := ms.m["s"]; ok {
		t.Fatal("session remembered after forget")
	}
	// The pieces' buffers of a kind stay within maxMemoBytes, whatever
	// their sizes and cleanness.
	m = ms.get("big", gate.EventDecision)
	rng := rand.New(rand.NewPCG(41, 43))
	for range 5000 {
		m.note(rng.IntN(maxMemoPieces), bytes.Repeat([]byte("a"), rng.IntN(1500)), false, rng.IntN(4) > 0)
		held := 0
		for _, p := range m.pieces {
			held += cap(p.text)
			if p.clean != (p.text != nil) && len(p.text) > 0 {
				t.Fatal("a piece's buffer kept with it not clean")
			}
		}
		if held != m.bytes || held > maxMemoBytes {
			t.Fatalf("%d bytes of buffers held (counted %d), more than %d", held, m.bytes, maxMemoBytes)
		}
	}
	m.unlock()
}

// TestScanMemoKeepsModesApart: a piece found clean as JSON (where
// "api_key": is a key of the event's own) is read again when the same
// bytes come as raw text at the same place, where they hold a secret.
func TestScanMemoKeepsModesApart(t *testing.T) {
	names := mask.CompileSecretNames(nil)
	json := freeText{names: names, json: true}
	raw := freeText{names: names}
	piece := []byte(`"api_key":"hunter2secret"`)
	if rules := json.triggered(piece); rules != 0 {
		t.Fatalf("JSON search triggered by %q", piece)
	}
	var ms scanMemos
	ps := newPieceScan(ms.get("s", gate.EventOutput))
	if !ps.known(piece, false) {
		ps.scan(json, nil, piece)
	}
	ps.m.unlock()
	var got []string
	ps = newPieceScan(ms.get("s", gate.EventOutput))
	if !ps.known(piece, true) {
		got = ps.scan(raw, nil, piece)
	}
	ps.m.unlock()
	if !slices.Contains(got, "hunter2secret") {
		t.Fatalf("raw search after a clean JSON piece found %q", got)
	}
}

// TestFreeTextEmptyPiece: the search finds nothing in an empty piece,
// which pieceScan.known takes for clean without reading it.
func TestFreeTextEmptyPiece(t *testing.T) {
	names := mask.CompileSecretNames(nil)
	for _, f := range []freeText{{names: names}, {names: names, json: true}, {}} {
		for _, piece := range [][]byte{nil, {}} {
			if got := f.scan([]string{"x"}, piece); !slices.Equal(got, []string{"x"}) || f.triggered(piece) != 0 {
				t.Fatalf("search of an empty piece (json %v) gave %q", f.json, got)
			}
		}
	}
}
