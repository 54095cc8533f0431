package record

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// TestFsyncCallersDurableWhenRecordReturns: under DurabilityFsync callers
// write their own events, and each Record returns only once an fsync that
// began after its event was written has ended, for a lone caller and for
// concurrent callers, who share fsyncs (fewer fsyncs than events).
func TestFsyncCallersDurableWhenRecordReturns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	fs, err := OpenFile(path, FileOptions{Durability: DurabilityFsync, MaxSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	var synced, fsyncs atomic.Int64 // synced: the file's size when the last finished fsync began
	fs.flushMu.Lock()
	fs.syncFile = func(f *os.File) error {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		fsyncs.Add(1)
		for old := synced.Load(); st.Size() > old && !synced.CompareAndSwap(old, st.Size()); old = synced.Load() {
		}
		return nil
	}
	fs.flushMu.Unlock()
	rec := New(fs, Options{})
	defer rec.Close()
	if !rec.callersWrite {
		t.Fatal("a File with DurabilityFsync is not written by its callers")
	}
	durable := func(g, i int) error {
		marker := fmt.Sprintf(`"stream":"m-%d-%d"`, g, i)
		e := gate.Event{Kind: gate.EventOutput, SessionID: fmt.Sprintf("s%d", g),
			Output: &gate.Output{Stream: fmt.Sprintf("m-%d-%d", g, i), Data: []byte("x"), Final: true}}
		if err := rec.Record(context.Background(), e); err != nil {
			return err
		}
		n := synced.Load()
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(data[:min(n, int64(len(data)))], []byte(marker)) {
			return fmt.Errorf("Record of %s returned before an fsync covered it (fsynced prefix %d of %d bytes)", marker, n, len(data))
		}
		return nil
	}
	for i := range 5 {
		if err := durable(0, i); err != nil {
			t.Fatal(err)
		}
	}
	const callers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for g := 1; g <= callers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := durable(g, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := fsyncs.Load(); n >= 5+callers*each {
		t.Errorf("%d fsyncs for %d events: concurrent callers did not share them", n, 5+callers*each)
	}
}

// TestFsyncHungDiskHoldsOnlyItsCaller: a caller writing its own event
// cannot give up inside an fsync that hangs (its request is not let
// through meanwhile), but callers queued behind it give up when their
// contexts end, with an error (the gate then refuses); once the disk
// answers, the first caller's Record returns.
func TestFsyncHungDiskHoldsOnlyItsCaller(t *testing.T) {
	fs, err := OpenFile(filepath.Join(t.TempDir(), "r.jsonl"), FileOptions{Durability: DurabilityFsync, MaxSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}, 1), make(chan struct{})
	fs.flushMu.Lock()
	fs.syncFile = func(f *os.File) error {
		select {
		case entered <- struct{}{}:
			<-release // the first fsync hangs until the test lets it go
		default:
		}
		return f.Sync()
	}
	fs.flushMu.Unlock()
	rec := New(fs, Options{})
	defer rec.Close()
	event := func(s string) gate.Event {
		return gate.Event{Kind: gate.EventOutput, SessionID: s, Output: &gate.Output{Stream: "rows", Data: []byte("x"), Final: true}}
	}
	first := make(chan error, 1)
	go func() { first <- rec.Record(context.Background(), event("a")) }()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	second := make(chan error, 1)
	go func() { second <- rec.Record(ctx, event("b")) }()
	select {
	case err := <-second:
		if err == nil {
			t.Fatal("a caller queued behind a hung fsync was told its event is durable")
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("a caller queued behind a hung fsync did not give up at its context's end")
	}
	select {
	case err := <-first:
		t.Fatalf("the caller inside the hung fsync returned (%v) before the disk answered", err)
	default:
	}
	close(release)
	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("the first caller's Record: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first caller's Record did not return after the disk answered")
	}
}
