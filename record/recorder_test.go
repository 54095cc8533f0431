package record_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

var errSinkDown = errors.New("sink down")

func TestGateDeniesWhileSinkCannotRecord(t *testing.T) {
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{SigningKey: testKey, RetryBackoff: 5 * time.Millisecond})
	rs, err := gate.ParseRules("t.yaml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Recorder: rec})
	ctx := context.Background()
	s := &gate.Session{Protocol: gate.ProtocolSSH, Identity: gate.Identity{Subject: "agent"}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, &gate.Request{Session: s, Command: "cat /a"}); err != nil {
		t.Fatalf("healthy sink: %v", err)
	}
	mem.SetErr(errSinkDown)
	for i := 0; i < 3; i++ {
		_, err := g.Check(ctx, &gate.Request{Session: s, Command: "cat /b"})
		if !errors.Is(err, gate.ErrDenied) {
			t.Fatalf("sink down: Check = %v, want ErrDenied", err)
		}
	}
	s2 := &gate.Session{Protocol: gate.ProtocolSSH, Identity: gate.Identity{Subject: "agent"}}
	if err := g.OpenSession(ctx, s2); err == nil {
		t.Fatal("session opened while the sink is down")
	}
	mem.SetErr(nil)
	checkUntilAllowed(t, g, s, "cat /c")
	if err := g.CloseSession(ctx, s, "done"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	evs := mem.Events(s.ID)
	if err := record.Verify(evs, testPub); err != nil {
		t.Fatal(err)
	}
	// The refused decision is in the record, followed by a note that it was
	// refused.
	var notes int
	for _, e := range evs {
		if e.Kind == string(gate.EventError) && strings.Contains(e.Event.Error, "not durable in time") {
			notes++
		}
	}
	if notes == 0 {
		t.Fatal("no note about the refused entries")
	}
}

// blockingSink blocks every Write until released.
type blockingSink struct {
	record.Memory
	release chan struct{}
}

func (b *blockingSink) Write(ctx context.Context, batch []record.Event) error {
	<-b.release
	return b.Memory.Write(ctx, batch)
}

func TestAsyncOutputBackpressure(t *testing.T) {
	sink := &blockingSink{release: make(chan struct{})}
	rec := record.New(sink, record.Options{AsyncOutput: true, QueueSize: 4, BatchSize: 2})
	ctx := context.Background()
	accepted := 0
	var err error
	for i := 0; i < 20; i++ {
		c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err = rec.Record(c, gate.Event{Kind: gate.EventOutput, SessionID: "s", Output: &gate.Output{Data: []byte("x")}})
		cancel()
		if err != nil {
			break
		}
		accepted++
	}
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("full queue did not push back: accepted %d, err %v", accepted, err)
	}
	close(sink.release)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(sink.Events("s")); got != accepted {
		t.Fatalf("accepted %d, stored %d", accepted, got)
	}
}

func TestAsyncOutputNothingAcceptedIsLost(t *testing.T) {
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{AsyncOutput: true, SigningKey: testKey, RetryBackoff: 2 * time.Millisecond})
	ctx := context.Background()
	id := "sess"
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionStart, SessionID: id, Session: &gate.SessionInfo{Protocol: "ssh"}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[string]bool{}
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // flap the sink
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				mem.SetErr(nil)
				return
			case <-time.After(3 * time.Millisecond):
			}
			if i%2 == 0 {
				mem.SetErr(errSinkDown)
			} else {
				mem.SetErr(nil)
			}
		}
	}()
	failures := 0
	for i := 0; i < 2000; i++ {
		data := strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Now().String()
		err := rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: id, Output: &gate.Output{Data: []byte(data)}})
		if err == nil {
			mu.Lock()
			accepted[data] = true
			mu.Unlock()
		} else {
			failures++
		}
	}
	close(stop)
	wg.Wait()
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionEnd, SessionID: id, Session: &gate.SessionInfo{Protocol: "ssh"}}); err != nil {
		// The end may be refused while the last failure is being retried;
		// it is queued regardless.
		t.Logf("session end: %v", err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	evs := mem.Events(id)
	if err := record.Verify(evs, testPub); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Event != nil && e.Event.Output != nil {
			delete(accepted, string(e.Event.Output.Data))
		}
	}
	if len(accepted) > 0 {
		t.Fatalf("%d accepted outputs lost (%d refused)", len(accepted), failures)
	}
	if failures == 0 {
		t.Log("the sink never failed during the run")
	}
}

func TestRecorderClosedRefuses(t *testing.T) {
	rec := record.New(&record.Memory{}, record.Options{})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Record(context.Background(), gate.Event{Kind: gate.EventOutput, SessionID: "s"}); !errors.Is(err, record.ErrClosed) {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRecorderCloseReportsLostEvents(t *testing.T) {
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{AsyncOutput: true, CloseTimeout: 50 * time.Millisecond, RetryBackoff: 5 * time.Millisecond})
	if err := rec.Record(context.Background(), gate.Event{Kind: gate.EventSessionStart, SessionID: "s"}); err != nil {
		t.Fatal(err)
	}
	mem.SetErr(errSinkDown)
	_ = rec.Record(context.Background(), gate.Event{Kind: gate.EventOutput, SessionID: "s"})
	if err := rec.Close(); err == nil || !errors.Is(err, errSinkDown) {
		t.Fatalf("Close = %v, want the sink error", err)
	}
}

func TestCheckpointByTimeProvesAnOpenSession(t *testing.T) {
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{SigningKey: testKey, CheckpointInterval: 20 * time.Millisecond})
	defer rec.Close()
	ctx := context.Background()
	for _, k := range []gate.EventKind{gate.EventSessionStart, gate.EventOutput, gate.EventOutput} {
		if err := rec.Record(ctx, gate.Event{Kind: k, SessionID: "quiet", Output: &gate.Output{Data: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		// Under load a checkpoint may also fall between the records; wait
		// for the one over the last record.
		evs := mem.Events("quiet")
		last := evs[len(evs)-1]
		if last.Kind == record.KindCheckpoint && evs[len(evs)-2].Kind == string(gate.EventOutput) && last.Checkpoint.HeadSeq == last.Seq-1 {
			if last.Checkpoint.Final {
				t.Fatal("a time checkpoint must not be final")
			}
			err := record.Verify(evs, testPub)
			var ve *record.VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, record.ErrUnterminated) || !strings.Contains(ve.Reason, fmt.Sprintf("last checkpoint at seq %d", last.Seq)) {
				t.Fatalf("open session: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint by time")
		}
		time.Sleep(5 * time.Millisecond)
	}
	n := len(mem.Events("quiet"))
	// Only one: nothing new to cover.
	time.Sleep(60 * time.Millisecond)
	if got := len(mem.Events("quiet")); got != n {
		t.Fatalf("%d entries, want %d", got, n)
	}
}

func TestRecordAfterSessionEndIsRefused(t *testing.T) {
	mem := &record.Memory{}
	rec := record.New(mem, record.Options{AsyncOutput: true})
	ctx := context.Background()
	for _, k := range []gate.EventKind{gate.EventSessionStart, gate.EventSessionEnd} {
		if err := rec.Record(ctx, gate.Event{Kind: k, SessionID: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: "s", Output: &gate.Output{}}); err == nil {
		t.Fatal("output after the session end accepted")
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := record.Verify(mem.Events("s"), nil); err != nil {
		t.Fatal(err)
	}
}
