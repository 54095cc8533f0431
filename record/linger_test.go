package record

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// outputEvent is an asynchronous event of session whose data is n.
func outputEvent(session string, n int) gate.Event {
	return gate.Event{Kind: gate.EventOutput, SessionID: session,
		Output: &gate.Output{Stream: "rows", Data: []byte(fmt.Sprint(n)), Final: true}}
}

// outputsIn counts the output entries of session in mem.
func outputsIn(mem *Memory, session string) int {
	n := 0
	for _, e := range mem.Events(session) {
		if e.Kind == string(gate.EventOutput) {
			n++
		}
	}
	return n
}

// waitUntil polls cond every millisecond for at most limit.
func waitUntil(limit time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(limit); !cond(); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// lingerOnly records output asynchronously with no timed checkpoints, so
// that no ticker but the linger's writes the queue.
var lingerOnly = Options{AsyncOutput: true, CheckpointInterval: -1, LogCheckpointInterval: -1}

// TestLingerWritesLoneAsyncEvents: asynchronous events that no
// synchronous caller follows reach the sink through the linger (no timed
// checkpoint is there to write them), burst after burst across gaps
// shorter and longer than a linger; once events stop coming no linger
// stays armed (no timer keeps waking an idle recorder), and the next
// event arms one again.
func TestLingerWritesLoneAsyncEvents(t *testing.T) {
	mem := &Memory{}
	rec := New(mem, lingerOnly)
	defer rec.Close()
	ctx := context.Background()
	n := 0
	for burst := range 8 {
		for range 1 + burst%3 {
			n++
			if err := rec.Record(ctx, outputEvent("s", n)); err != nil {
				t.Fatal(err)
			}
		}
		if !waitUntil(5*time.Second, func() bool { return outputsIn(mem, "s") == n }) {
			t.Fatalf("burst %d: %d of %d outputs in the sink 5s after their Record, with no caller after them", burst, outputsIn(mem, "s"), n)
		}
		if !waitUntil(5*time.Second, func() bool { return !rec.lingering.Load() }) {
			t.Fatalf("burst %d: a linger still armed 5s after the last event", burst)
		}
		time.Sleep(time.Duration(burst) * asyncLinger / 3)
	}
}

// TestLingerRaceLeavesNoEventBehind: goroutines queue asynchronous events
// at gaps around asyncLinger, so that events come just as a linger ends;
// each must reach the sink with no caller after it. An event whose caller
// saw a linger armed just as it ended would wait until some later event.
func TestLingerRaceLeavesNoEventBehind(t *testing.T) {
	mem := &Memory{}
	rec := New(mem, lingerOnly)
	defer rec.Close()
	ctx := context.Background()
	stop := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			session := fmt.Sprintf("s%d", g)
			for n := 1; time.Now().Before(stop); n++ {
				if err := rec.Record(ctx, outputEvent(session, n)); err != nil {
					errs <- err
					return
				}
				if !waitUntil(5*time.Second, func() bool { return outputsIn(mem, session) == n }) {
					errs <- fmt.Errorf("%s: output %d not in the sink 5s after its Record", session, n)
					return
				}
				time.Sleep(time.Duration(rand.Int64N(int64(2 * asyncLinger))))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
