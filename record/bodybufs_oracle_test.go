package record

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// bodyOracleEvents is the first half of goldenEvents (the gateway's own events, events full
// of free-text credentials, random events with awkward values) with, per
// session, a decision carrying a bearer token and outputs that echo it,
// hold invalid UTF-8, random binary, nothing, or a large body (inside and
// past the largest recycled buffer).
func bodyOracleEvents() []gate.Event {
	evs := goldenEvents()[:1600] // half: the test's time
	rng := rand.New(rand.NewPCG(41, 17))
	base := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	id := &gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}
	var out []gate.Event
	for i, e := range evs {
		out = append(out, e)
		if i%7 != 0 {
			continue
		}
		session := fmt.Sprintf("b-%d", rng.IntN(5))
		token := fmt.Sprintf("tok-%08x%08x", rng.Uint32(), rng.Uint32())
		now := base.Add(time.Duration(i) * time.Millisecond)
		out = append(out, gate.Event{Kind: gate.EventDecision, SessionID: session, Time: now, Identity: id,
			Request: &gate.Request{Protocol: "http", Command: "GET /v1/items", Time: now,
				HTTP: &gate.HTTP{Method: "GET", Path: "/v1/items", Headers: map[string][]string{
					"authorization": {"Bearer " + token}, "user-agent": {"Go-http-client/1.1"}}}},
			Decision: &gate.Decision{ID: fmt.Sprintf("d-%d", i), Action: gate.Allow, Rule: "r", Time: now}})
		var data []byte
		switch i / 7 % 7 {
		case 0:
			data = []byte(`{"echo":"Bearer ` + token + `","n":1}`)
		case 1:
			data = []byte("caf\xc3\xa9 \xff\xfe invalid \xc3 utf-8 \xed\xa0\x80")
		case 2:
			data = make([]byte, 1+rng.IntN(3000))
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
		case 3:
			data = []byte{}
		case 4:
			data = bytes.Repeat([]byte(`{"id":12345,"name":"widget"},`), 1000+rng.IntN(1000)) // 29-58 KB
		case 5:
			data = bytes.Repeat([]byte("x"), maxBodyBuf+rng.IntN(4096)) // past the largest class
		default:
			data = []byte("token " + token + " in text; password=hunter2hunter2")
		}
		out = append(out, gate.Event{Kind: gate.EventOutput, SessionID: session, Time: now, Identity: id,
			Output: &gate.Output{DecisionID: fmt.Sprintf("d-%d", i), Stream: "response", Data: data, Final: i%2 == 0}})
	}
	return out
}

// endEverySession returns evs grouped by session (in the order sessions
// first appear, each session's events in order), each session followed
// by its end. Recorded concurrently, session after session by each
// worker, only the workers' sessions are open at once: which sessions'
// secrets the recorder remembers (it bounds them) then does not depend
// on the order the workers run in.
func endEverySession(evs []gate.Event) []gate.Event {
	bySession := map[string][]gate.Event{}
	var order []string
	for _, e := range evs {
		if _, ok := bySession[e.SessionID]; !ok {
			order = append(order, e.SessionID)
		}
		bySession[e.SessionID] = append(bySession[e.SessionID], e)
	}
	var out []gate.Event
	for _, s := range order {
		out = append(out, bySession[s]...)
		out = append(out, gate.Event{Kind: gate.EventSessionEnd, SessionID: s, Time: time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC),
			Session: &gate.SessionInfo{Protocol: "http", Reason: "done"}})
	}
	return out
}

// logFields are the fields of a line that name the sink-level log (a
// random id per recorder) and a leaf's place in it (the order in which
// concurrent sessions were written).
var logFields = regexp.MustCompile(`,"log":"[0-9a-f]+","idx":[0-9]+`)

// bodyOracleRecord records evs through a Recorder (recycling body
// buffers or not) into a File and returns the file's lines per session,
// without the log's own entries and fields, and each event's error.
// With workers > 1 the sessions are recorded concurrently (each
// session's events in order, by one worker) with asynchronous output.
func bodyOracleRecord(t *testing.T, evs []gate.Event, recycle bool, workers int) (map[string][]string, map[int]string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "record.jsonl")
	f, err := OpenFile(path, FileOptions{MaxSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	rec := newRecorder(f, Options{HMACKey: []byte("0123456789abcdef0123456789abcdef"), SigningKey: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		CheckpointEvery: 50, CheckpointInterval: -1, LogCheckpointEvery: 64, LogCheckpointInterval: -1,
		AsyncOutput: workers > 1, Now: func() time.Time { return clock }}, recycle)
	errs := map[int]string{}
	var mu sync.Mutex
	record := func(i int) {
		if err := rec.Record(context.Background(), evs[i]); err != nil {
			mu.Lock()
			errs[i] = err.Error()
			mu.Unlock()
		}
	}
	if workers <= 1 {
		for i := range evs {
			record(i)
		}
	} else {
		bySession := map[string][]int{}
		var order []string
		for i, e := range evs {
			if _, ok := bySession[e.SessionID]; !ok {
				order = append(order, e.SessionID)
			}
			bySession[e.SessionID] = append(bySession[e.SessionID], i)
		}
		work := make(chan []int)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for idx := range work {
					for _, i := range idx {
						record(i)
					}
				}
			})
		}
		for _, s := range order {
			work <- bySession[s]
		}
		close(work)
		wg.Wait()
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")[1:] // after the header
	out := map[string][]string{}
	for _, l := range lines {
		if strings.Contains(l, `"kind":"log_checkpoint"`) {
			continue
		}
		l = logFields.ReplaceAllString(l, "")
		s := l[strings.Index(l, `"session":`):]
		s = s[:strings.Index(s, `,"seq":`)]
		out[s] = append(out[s], l)
	}
	return out, errs
}

// TestBodyBufsMatchUnrecycled holds the recorder that recycles its bodies'
// buffers to the one that allocates each (the code before), on the
// generated events: every session's lines must be byte for byte the same
// (the log's id is random per recorder: its fields and entries are left
// out), and every event's error.
func TestBodyBufsMatchUnrecycled(t *testing.T) {
	for _, workers := range []int{1, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			evs := bodyOracleEvents()
			if workers > 1 {
				evs = endEverySession(evs)
			}
			want, wantErrs := bodyOracleRecord(t, evs, false, workers)
			got, gotErrs := bodyOracleRecord(t, evs, true, workers)
			if len(wantErrs) != len(gotErrs) {
				t.Errorf("%d events failed, want %d", len(gotErrs), len(wantErrs))
			}
			for i, w := range wantErrs {
				if gotErrs[i] != w {
					t.Errorf("event %d: error %q, want %q", i, gotErrs[i], w)
				}
			}
			if len(want) < 10 || len(got) != len(want) {
				t.Fatalf("%d sessions recorded, want %d", len(got), len(want))
			}
			sessions := make([]string, 0, len(want))
			for s := range want {
				sessions = append(sessions, s)
			}
			sort.Strings(sessions)
			lines := 0
			for _, s := range sessions {
				w, g := want[s], got[s]
				if len(g) != len(w) {
					t.Fatalf("session %s: %d lines, want %d", s, len(g), len(w))
				}
				for i := range w {
					if g[i] != w[i] {
						t.Fatalf("session %s line %d:\n got %.300s\nwant %.300s", s, i, g[i], w[i])
					}
				}
				lines += len(w)
			}
			if lines < len(evs)/2 {
				t.Fatalf("only %d lines compared for %d events", lines, len(evs))
			}
		})
	}
}

// TestBodyBufsClasses checks the buffer pool: get gives room for what is
// asked, put keeps a buffer only within the bounds, and a buffer comes
// back empty.
func TestBodyBufsClasses(t *testing.T) {
	var p bodyBufs
	for _, n := range []int{0, 1, 511, 512, 513, 1024, 1025, 4000, maxBodyBuf - 1, maxBodyBuf, maxBodyBuf + 1} {
		b := p.get(n)
		if len(b) != 0 || cap(b) < n {
			t.Fatalf("get(%d): len %d cap %d", n, len(b), cap(b))
		}
		b = append(b, 'x')
		p.put(b)
		if c := p.get(n); len(c) != 0 || cap(c) < n {
			t.Fatalf("get(%d) after put: len %d cap %d", n, len(c), cap(c))
		}
	}
	for range 2 * maxFreeBodyBytes / maxBodyBuf {
		p.put(make([]byte, 0, maxBodyBuf))
	}
	if p.bytes > maxFreeBodyBytes {
		t.Fatalf("%d bytes kept, bound %d", p.bytes, maxFreeBodyBytes)
	}
	var nilPool *bodyBufs
	nilPool.put(make([]byte, 10))
	if b := nilPool.get(100); cap(b) < 100 {
		t.Fatalf("nil pool get: cap %d", cap(b))
	}
}
