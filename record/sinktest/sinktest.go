// Package sinktest checks that a record.Sink keeps the contract the record
// package documents, the way testing/slogtest checks a slog.Handler. Run it
// from the tests of every Sink:
//
//	func TestConformance(t *testing.T) {
//		sinktest.Run(t, func(t testing.TB) sinktest.Harness {
//			mem := &record.Memory{}
//			return sinktest.Harness{Sink: mem, Open: func() (record.Reader, error) { return mem.Reader(), nil }}
//		})
//	}
//
// What it checks, each on a fresh sink:
//
//   - durability on acknowledgement: once Write returned nil, a reader
//     opened afresh holds every event of the batch, byte for byte;
//   - order: a session's events read back in sequence order, across
//     batches, and sessions listed in the order of their first entry;
//   - the batch is the caller's: changing its slice after Write returned
//     changes nothing stored;
//   - an empty batch is accepted and stores nothing;
//   - concurrent use: Writes from many goroutines, and Close racing them;
//   - Close: it returns nil, and what was acknowledged stays readable;
//   - after Close, and with a cancelled context, a Write either fails or
//     stores its batch: it never acknowledges what it dropped.
//
// The kit writes sealed, chained entries (as a record.Recorder would), so
// sinks that check hashes and chains (the HTTP Collector) take them.
package sinktest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/conformance"
	"github.com/airlock-sdk/airlock/record"
)

// Harness is one sink under test and the way to read back what it stored.
type Harness struct {
	// Sink is the sink under test, open and unused.
	Sink record.Sink
	// Open returns a reader of everything the sink stored so far, as a
	// process that opened the store anew would see it. It is called
	// before and after the sink is closed, and must work in both cases.
	Open func() (record.Reader, error)
}

// NewFunc returns a fresh Harness for one check. It may use t for cleanup
// and to fail.
type NewFunc func(t testing.TB) Harness

var checks = []conformance.Check[Harness]{
	{Name: "AckedIsDurable", Run: checkAckedIsDurable},
	{Name: "OrderAcrossBatches", Run: checkOrder},
	{Name: "BatchIsTheCallers", Run: checkBatchReuse},
	{Name: "EmptyBatch", Run: checkEmptyBatch},
	{Name: "Concurrent", Run: checkConcurrent},
	{Name: "Close", Run: checkClose},
	{Name: "WriteAfterClose", Run: checkWriteAfterClose},
	{Name: "CloseRacingWrites", Run: checkCloseRacingWrites},
	{Name: "CancelledContext", Run: checkCancelledContext},
}

// Run checks the sinks newSink makes against the contract of record.Sink
// and reports every violation through t. With a *testing.T each check is
// a subtest; with another testing.TB they run one after another.
func Run(t testing.TB, newSink NewFunc) {
	t.Helper()
	conformance.Run(t, checks, newSink)
}

// gen makes sealed, chained entries of sessions, with times that grow in
// the order they are made.
type gen struct {
	mu    sync.Mutex
	run   string
	t0    int64
	n     int64
	heads map[string]record.Event
}

func newGen() *gen {
	return &gen{run: conformance.Nonce(4), t0: time.Now().UnixNano(), heads: map[string]record.Event{}}
}

// session names a session of this run.
func (g *gen) session(name string) string { return "sinktest-" + g.run + "-" + name }

// next seals the next entry of session.
func (g *gen) next(session string) record.Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	ts := g.t0 + g.n*1000
	prev := g.heads[session]
	ev := gate.Event{Kind: gate.EventOutput, SessionID: session, Time: time.Unix(0, ts).UTC(),
		Output: &gate.Output{Stream: "stdout", Data: fmt.Appendf(nil, "line %d of %s\n", prev.Seq+1, session)}}
	body, err := json.Marshal(ev)
	if err != nil {
		panic(err) // a gate.Event always marshals
	}
	e := record.Event{Version: record.Version, SessionID: session, Seq: prev.Seq + 1, PrevHash: prev.Hash,
		Kind: string(gate.EventOutput), Time: ts, Body: body}
	e.Hash = e.ComputeHash()
	_ = e.Decode()
	g.heads[session] = e
	return e
}

// batch seals n entries of each session, interleaved.
func (g *gen) batch(n int, sessions ...string) []record.Event {
	var out []record.Event
	for range n {
		for _, s := range sessions {
			out = append(out, g.next(s))
		}
	}
	return out
}

// stored reads back what h's sink stored for the sessions, by session.
func stored(t testing.TB, h Harness, sessions ...string) map[string][]record.Event {
	t.Helper()
	r, err := h.Open()
	if err != nil {
		t.Fatalf("open a reader: %v", err)
	}
	out := map[string][]record.Event{}
	for _, s := range sessions {
		evs, err := record.ReadSession(context.Background(), r, s)
		if err != nil {
			t.Fatalf("read session %s: %v", s, err)
		}
		out[s] = evs
	}
	return out
}

// wantStored fails unless h's sink holds exactly want, per session, in
// order and byte for byte.
func wantStored(t testing.TB, h Harness, what string, want []record.Event) {
	t.Helper()
	var sessions []string
	bySession := map[string][]record.Event{}
	for _, e := range want {
		if _, ok := bySession[e.SessionID]; !ok {
			sessions = append(sessions, e.SessionID)
		}
		bySession[e.SessionID] = append(bySession[e.SessionID], e)
	}
	got := stored(t, h, sessions...)
	for _, s := range sessions {
		if err := sameEntries(got[s], bySession[s]); err != nil {
			t.Errorf("%s: session %s: %v", what, s, err)
		}
	}
}

// sameEntries compares stored entries with the written ones.
func sameEntries(got, want []record.Event) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d entries stored, want %d (seqs %v, want %v)", len(got), len(want), seqs(got), seqs(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Seq != w.Seq {
			return fmt.Errorf("entry %d has seq %d, want %d (seqs %v): out of order", i, g.Seq, w.Seq, seqs(got))
		}
		if g.SessionID != w.SessionID || g.Hash != w.Hash || g.PrevHash != w.PrevHash || g.Kind != w.Kind ||
			g.Time != w.Time || g.Version != w.Version || string(g.Body) != string(w.Body) {
			return fmt.Errorf("seq %d differs from what was written:\n got  %+v\n want %+v", w.Seq, brief(g), brief(w))
		}
	}
	return nil
}

func seqs(evs []record.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

// brief is an entry without its decoded forms, for messages.
func brief(e record.Event) string {
	return fmt.Sprintf("{v%d %s/%d prev=%.8s hash=%.8s %s ts=%d body=%q}", e.Version, e.SessionID, e.Seq, e.PrevHash, e.Hash, e.Kind, e.Time, e.Body)
}

func write(t testing.TB, s record.Sink, batch []record.Event) {
	t.Helper()
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatalf("Write of %d entries: %v", len(batch), err)
	}
}

func closeSink(t testing.TB, s record.Sink) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func checkAckedIsDurable(t testing.TB, h Harness) {
	g := newGen()
	a, b := g.session("a"), g.session("b")
	var all []record.Event
	for i := range 3 {
		batch := g.batch(2+i, a, b)
		write(t, h.Sink, batch)
		all = append(all, batch...)
		wantStored(t, h, fmt.Sprintf("after batch %d was acknowledged", i+1), all)
	}
	closeSink(t, h.Sink)
}

func checkOrder(t testing.TB, h Harness) {
	g := newGen()
	names := []string{g.session("first"), g.session("second"), g.session("third")}
	var all []record.Event
	// Sessions start in order, then their entries interleave over batches
	// of varying shape.
	for _, batch := range [][]record.Event{
		g.batch(1, names[0]),
		g.batch(2, names[1], names[0]),
		g.batch(1, names[2]),
		g.batch(3, names[2], names[1], names[0]),
		g.batch(1, names[0]),
	} {
		write(t, h.Sink, batch)
		all = append(all, batch...)
	}
	wantStored(t, h, "interleaved batches", all)
	r, err := h.Open()
	if err != nil {
		t.Fatalf("open a reader: %v", err)
	}
	listed, err := r.Sessions(context.Background())
	if err != nil {
		t.Fatalf("Sessions: %v", err)
	}
	var ours []string
	for _, s := range listed {
		if slices.Contains(names, s) {
			ours = append(ours, s)
		}
	}
	if !slices.Equal(ours, names) {
		t.Errorf("Sessions lists %v, want %v (the order of their first entries)", ours, names)
	}
	closeSink(t, h.Sink)
}

func checkBatchReuse(t testing.TB, h Harness) {
	g := newGen()
	s := g.session("reuse")
	batch := g.batch(4, s)
	want := slices.Clone(batch)
	write(t, h.Sink, batch)
	// The caller owns the slice again: a sink that kept it sees this.
	for i := range batch {
		batch[i] = record.Event{SessionID: s, Seq: batch[i].Seq, Body: json.RawMessage(`{}`)}
	}
	closeSink(t, h.Sink)
	wantStored(t, h, "after the caller reused the batch's slice", want)
}

func checkEmptyBatch(t testing.TB, h Harness) {
	g := newGen()
	s := g.session("empty")
	first := g.batch(2, s)
	write(t, h.Sink, first)
	for _, empty := range [][]record.Event{nil, {}} {
		if err := h.Sink.Write(context.Background(), empty); err != nil {
			t.Errorf("Write of an empty batch: %v", err)
		}
	}
	wantStored(t, h, "after empty batches", first)
	closeSink(t, h.Sink)
}

func checkConcurrent(t testing.TB, h Harness) {
	g := newGen()
	const writers, batches = 8, 5
	var mu sync.Mutex
	var all []record.Event
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := g.session(fmt.Sprintf("writer-%d", w))
			for range batches {
				batch := g.batch(3, s)
				if err := h.Sink.Write(context.Background(), batch); err != nil {
					t.Errorf("concurrent Write: %v", err)
					return
				}
				mu.Lock()
				all = append(all, batch...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	closeSink(t, h.Sink)
	wantStored(t, h, "after concurrent writers", all)
}

func checkClose(t testing.TB, h Harness) {
	g := newGen()
	batch := g.batch(3, g.session("close"))
	write(t, h.Sink, batch)
	closeSink(t, h.Sink)
	wantStored(t, h, "after Close", batch)
}

// nilMeansStored writes batch with ctx and fails when the sink
// acknowledged it but does not hold it.
func nilMeansStored(t testing.TB, ctx context.Context, h Harness, what string, batch []record.Event) {
	t.Helper()
	if err := h.Sink.Write(ctx, batch); err != nil {
		return // refusing is always allowed
	}
	wantStored(t, h, what+" was acknowledged", batch)
}

func checkWriteAfterClose(t testing.TB, h Harness) {
	g := newGen()
	before := g.batch(2, g.session("before"))
	write(t, h.Sink, before)
	closeSink(t, h.Sink)
	nilMeansStored(t, context.Background(), h, "a Write after Close", g.batch(2, g.session("after")))
	// A second Close must not panic; what it returns is the sink's call.
	_ = h.Sink.Close()
	wantStored(t, h, "after a second Close", before)
}

func checkCloseRacingWrites(t testing.TB, h Harness) {
	g := newGen()
	const writers = 6
	var mu sync.Mutex
	var acked []record.Event
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := g.session(fmt.Sprintf("racer-%d", w))
			<-start
			for range 4 {
				batch := g.batch(2, s)
				if err := h.Sink.Write(context.Background(), batch); err != nil {
					return // closed: the session stops here
				}
				mu.Lock()
				acked = append(acked, batch...)
				mu.Unlock()
			}
		}()
	}
	close(start)
	closed := make(chan error, 1)
	go func() { closed <- h.Sink.Close() }()
	wg.Wait()
	if err := <-closed; err != nil {
		t.Errorf("Close racing writes: %v", err)
	}
	wantStored(t, h, "acknowledged writes racing Close", acked)
}

func checkCancelledContext(t testing.TB, h Harness) {
	g := newGen()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	nilMeansStored(t, ctx, h, "a Write with a cancelled context", g.batch(2, g.session("cancelled")))
	closeSink(t, h.Sink)
}
