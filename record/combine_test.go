package record_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// combineRun is one generated workload: concurrent sessions recording
// synchronous and asynchronous events through one Recorder while the sink
// may fail, with the batch and queue bounds it runs under.
type combineRun struct {
	sessions, events int
	batch, queue     int
	async, flap      bool
	// remote: the sink is not quick (see record.File), so the writer
	// goroutine alone writes it.
	remote bool
}

// recorded is what a caller was told about one event.
type recorded struct {
	session, data string
	sync          bool
	err           error
}

// TestCombiningKeepsEveryAcceptedEvent drives the Recorder's write side
// (callers writing the queue themselves, the writer goroutine picking up
// what they leave, retries after sink failures) with generated workloads
// and checks what a reader of the record relies on: every event a caller
// was told is recorded is stored exactly once, in its session's order,
// each session's chain verifies, a synchronous event refused to its
// caller but stored later is followed by the note that says so, no caller
// waits forever, and an asynchronous event reaches the sink soon without
// any synchronous caller coming along to write it. Timed checkpoints are
// off, so nothing but the write side itself can rescue a stranded event.
func TestCombiningKeepsEveryAcceptedEvent(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("AIRLOCK_TEST_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (AIRLOCK_TEST_SEED)", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	runs := []combineRun{
		{sessions: 8, events: 300, batch: 4096, queue: 16384, async: true},
		{sessions: 8, events: 300, batch: 1, queue: 4, async: true},
		{sessions: 16, events: 150, batch: 3, queue: 8, async: false},
		{sessions: 8, events: 300, batch: 4096, queue: 16384, async: true, flap: true},
		{sessions: 8, events: 200, batch: 2, queue: 5, async: true, flap: true},
		{sessions: 4, events: 200, batch: 7, queue: 64, async: false, flap: true},
		{sessions: 8, events: 200, batch: 4096, queue: 16384, async: true, remote: true},
		{sessions: 8, events: 200, batch: 3, queue: 6, async: true, flap: true, remote: true},
	}
	for i := 0; i < 4; i++ { // and some drawn at random
		runs = append(runs, combineRun{sessions: 1 + rng.IntN(16), events: 50 + rng.IntN(200), batch: 1 + rng.IntN(9),
			queue: 1 + rng.IntN(32), async: rng.IntN(2) == 0, flap: rng.IntN(2) == 0, remote: rng.IntN(4) == 0})
	}
	for i, run := range runs {
		t.Run(fmt.Sprintf("%d_s%d_b%d_q%d_async%v_flap%v_remote%v", i, run.sessions, run.batch, run.queue, run.async, run.flap, run.remote), func(t *testing.T) {
			checkCombineRun(t, run, rng.Uint64())
		})
	}
}

func checkCombineRun(t *testing.T, run combineRun, seed uint64) {
	mem := &record.Memory{}
	var sink record.Sink = mem
	if run.remote {
		sink = remoteSink{mem}
	}
	rec := record.New(sink, record.Options{AsyncOutput: run.async, SigningKey: testKey, BatchSize: run.batch, QueueSize: run.queue,
		RetryBackoff: time.Millisecond, CheckpointEvery: 17, LogCheckpointEvery: 23,
		CheckpointInterval: -1, LogCheckpointInterval: -1})
	ctx := context.Background()
	stop := make(chan struct{})
	var flapper sync.WaitGroup
	if run.flap {
		flapper.Add(1)
		go func() {
			defer flapper.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					mem.SetErr(nil)
					return
				case <-time.After(time.Duration(1+i%3) * time.Millisecond):
				}
				if i%2 == 0 {
					mem.SetErr(errSinkDown)
				} else {
					mem.SetErr(nil)
				}
			}
		}()
	}
	results := make([][]recorded, run.sessions)
	var wg sync.WaitGroup
	for s := range run.sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(s)))
			id := fmt.Sprintf("sess-%d", s)
			info := &gate.SessionInfo{Protocol: "ssh"}
			add := func(e gate.Event, data string, sync bool) {
				e.SessionID = id
				results[s] = append(results[s], recorded{session: id, data: data, sync: sync, err: rec.Record(ctx, e)})
			}
			add(gate.Event{Kind: gate.EventSessionStart, Session: info}, "", true)
			for n := range run.events {
				data := fmt.Sprintf("%s/%d/%s", id, n, strings.Repeat("x", rng.IntN(40)))
				if rng.IntN(3) == 0 {
					add(gate.Event{Kind: gate.EventRequest, Request: &gate.Request{Protocol: "ssh", Command: data}}, data, true)
				} else {
					add(gate.Event{Kind: gate.EventOutput, Output: &gate.Output{Stream: "stdout", Data: []byte(data)}}, data, !run.async)
				}
				if rng.IntN(50) == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("callers still waiting after 20s:\n%s", buf[:runtime.Stack(buf, true)])
	}
	close(stop)
	flapper.Wait()

	// Asynchronous events already accepted reach the sink with no further
	// caller: the writer goroutine picks them up.
	accepted := func() (missing int) {
		stored := map[string]bool{}
		for s := range run.sessions {
			for _, e := range mem.Events(fmt.Sprintf("sess-%d", s)) {
				stored[eventData(e)] = true
			}
		}
		for _, rs := range results {
			for _, r := range rs {
				if r.err == nil && r.data != "" && !stored[r.data] {
					missing++
				}
			}
		}
		return missing
	}
	deadline := time.Now().Add(10 * time.Second)
	for accepted() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := accepted(); n > 0 {
		t.Fatalf("%d accepted events still not in the sink 10s after the last Record", n)
	}

	for s := range run.sessions {
		id := fmt.Sprintf("sess-%d", s)
		if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionEnd, SessionID: id, Session: &gate.SessionInfo{Protocol: "ssh"}}); err != nil {
			t.Fatalf("session end of %s: %v", id, err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	refusals := 0
	for s, rs := range results {
		id := fmt.Sprintf("sess-%d", s)
		evs := mem.Events(id)
		if err := record.Verify(evs, testPub); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		where := map[string][]uint64{} // data → seqs it is stored at
		var notes []string
		for _, e := range evs {
			if d := eventData(e); d != "" {
				where[d] = append(where[d], e.Seq)
			}
			if e.Event != nil && e.Event.Kind == gate.EventError {
				notes = append(notes, e.Event.Error)
			}
		}
		var last uint64
		for _, r := range rs {
			if r.data == "" {
				continue
			}
			seqs := where[r.data]
			if len(seqs) > 1 {
				t.Fatalf("%s: %q stored %d times", id, r.data, len(seqs))
			}
			if r.err != nil {
				refusals++
				if len(seqs) == 1 && r.sync && !noted(notes, seqs[0]) {
					t.Fatalf("%s: %q was refused to its caller (%v) but stored at seq %d with no note saying so", id, r.data, r.err, seqs[0])
				}
				continue
			}
			if len(seqs) == 0 {
				t.Fatalf("%s: %q accepted but not stored", id, r.data)
			}
			if seqs[0] <= last {
				t.Fatalf("%s: %q stored at seq %d, before an event recorded earlier (seq %d)", id, r.data, seqs[0], last)
			}
			last = seqs[0]
		}
	}
	if run.flap && refusals == 0 {
		t.Log("the sink's failures refused no event in this run")
	}
}

// eventData is the command or output an event of checkCombineRun carries.
func eventData(e record.Event) string {
	switch {
	case e.Event == nil:
	case e.Event.Output != nil:
		return string(e.Event.Output.Data)
	case e.Event.Request != nil:
		return e.Event.Request.Command
	}
	return ""
}

// noted reports whether one of the error notes says entry seq was refused.
func noted(notes []string, seq uint64) bool {
	for _, n := range notes {
		if strings.Contains(n, fmt.Sprintf("entry seq %d was not durable", seq)) {
			return true
		}
	}
	return false
}

// remoteSink hides that its Memory is quick: a Recorder writes it from
// its writer goroutine only, as it would a sink across a network.
type remoteSink struct{ m *record.Memory }

func (s remoteSink) Write(ctx context.Context, batch []record.Event) error {
	return s.m.Write(ctx, batch)
}
func (s remoteSink) Close() error { return s.m.Close() }

// hangingSink blocks every Write until release is closed.
type hangingSink struct{ release chan struct{} }

func (s hangingSink) Write(ctx context.Context, batch []record.Event) error { <-s.release; return nil }
func (s hangingSink) Close() error                                          { return nil }

// TestRecordGivesUpOnAHangingRemoteSink: a caller whose context ends gets
// its error while a sink that is not quick hangs (the gate then refuses),
// rather than hanging with it.
func TestRecordGivesUpOnAHangingRemoteSink(t *testing.T) {
	sink := hangingSink{release: make(chan struct{})}
	rec := record.New(sink, record.Options{})
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		done := make(chan error, 1)
		go func() {
			done <- rec.Record(ctx, gate.Event{Kind: gate.EventRequest, SessionID: "s", Request: &gate.Request{Protocol: "ssh", Command: fmt.Sprint("ls ", i)}})
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("Record reported an event durable while the sink hangs")
			}
		case <-time.After(5 * time.Second):
			close(sink.release) // let the stuck caller go
			t.Fatalf("Record still waiting 5s after its 50ms context ended")
		}
		cancel()
	}
	close(sink.release)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
}
