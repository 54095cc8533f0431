package record

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestSyncLoopFsyncsEveryWrite: under DurabilityWrite each write, however
// far apart, is fsynced in the background within a few intervals, by the
// one loop goroutine; Close ends it.
func TestSyncLoopFsyncsEveryWrite(t *testing.T) {
	testSyncLoop(t, time.Millisecond, 3)
}

// TestSyncLoopEndsAtClose: Close ends the loop at once, in the middle of
// a wait far longer than the test.
func TestSyncLoopEndsAtClose(t *testing.T) {
	testSyncLoop(t, time.Hour, 0)
}

// testSyncLoop writes to a File with interval, waiting for the background
// fsync of the first syncs writes, then closes it and waits for its loop to
// end (for at most two seconds).
func testSyncLoop(t *testing.T, interval time.Duration, syncs int) {
	before := runtime.NumGoroutine()
	fs, err := OpenFile(filepath.Join(t.TempDir(), "r.jsonl"), FileOptions{SyncInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	var synced atomic.Int32
	fs.flushMu.Lock()
	fs.syncFile = func(f *os.File) error { synced.Add(1); return f.Sync() }
	fs.flushMu.Unlock()
	for i := range max(syncs, 1) {
		ev := Event{Version: Version, SessionID: "s", Seq: uint64(i + 1), Kind: "decision", Body: []byte(`{"a":1}`)}
		if err := fs.Write(context.Background(), []Event{ev}); err != nil {
			t.Fatal(err)
		}
		if syncs == 0 {
			break // the loop waits an interval the test does not
		}
		deadline := time.Now().Add(2 * time.Second)
		for synced.Load() < int32(i+1) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := synced.Load(); n != int32(i+1) {
			t.Fatalf("write %d: %d background fsyncs, want %d", i+1, n, i+1)
		}
		fs.flushMu.Lock()
		unsynced := fs.unsynced
		fs.flushMu.Unlock()
		if unsynced {
			t.Fatalf("write %d: still unsynced after its fsync", i+1)
		}
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before OpenFile: the fsync loop did not end", n, before)
	}
}

// TestSyncLoopWriteDuringSlowFsync: a write made while an fsync runs on a
// disk slower than SyncInterval is fsynced as soon as that fsync ends, not
// an interval later (its deadline has passed by then).
func TestSyncLoopWriteDuringSlowFsync(t *testing.T) {
	const interval, slow = 200 * time.Millisecond, 400 * time.Millisecond
	fs, err := OpenFile(filepath.Join(t.TempDir(), "r.jsonl"), FileOptions{SyncInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	type span struct{ start, end time.Time }
	spans := make(chan span, 4)
	fs.flushMu.Lock()
	fs.syncFile = func(f *os.File) error {
		s := span{start: time.Now()}
		time.Sleep(slow)
		s.end = time.Now()
		spans <- s
		return f.Sync()
	}
	fs.flushMu.Unlock()
	write := func(seq uint64) {
		ev := Event{Version: Version, SessionID: "s", Seq: seq, Kind: "decision", Body: []byte(`{"a":1}`)}
		if err := fs.Write(context.Background(), []Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	write(1)
	time.Sleep(interval + slow/2) // into the first fsync
	write(2)
	first := <-spans
	var second span
	select {
	case second = <-spans:
	case <-time.After(5 * time.Second):
		t.Fatal("the write made during the first fsync was never fsynced")
	}
	if gap := second.start.Sub(first.end); gap > interval/2 {
		t.Fatalf("second fsync started %v after the first ended; want at once (the write's deadline had passed)", gap)
	}
}

// TestSyncLoopEndsWhenIdle: the loop of a File nobody closes ends once no
// write has come for syncIdle, and the next write starts another.
func TestSyncLoopEndsWhenIdle(t *testing.T) {
	const idle = 50 * time.Millisecond
	fs, err := OpenFile(filepath.Join(t.TempDir(), "r.jsonl"), FileOptions{SyncInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	var synced atomic.Int32
	fs.flushMu.Lock()
	fs.syncFile = func(f *os.File) error { synced.Add(1); return f.Sync() }
	fs.bg.idle = idle
	fs.flushMu.Unlock()
	running := func() bool {
		fs.flushMu.Lock()
		defer fs.flushMu.Unlock()
		return fs.bg.running
	}
	for i := range 2 {
		ev := Event{Version: Version, SessionID: "s", Seq: uint64(i + 1), Kind: "decision", Body: []byte(`{"a":1}`)}
		if err := fs.Write(context.Background(), []Event{ev}); err != nil {
			t.Fatal(err)
		}
		if !running() {
			t.Fatalf("write %d: no fsync loop runs", i+1)
		}
		deadline := time.Now().Add(5 * time.Second)
		for (synced.Load() < int32(i+1) || running()) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := synced.Load(); n != int32(i+1) {
			t.Fatalf("write %d: %d background fsyncs, want %d", i+1, n, i+1)
		}
		if running() {
			t.Fatalf("write %d: the loop still runs %v after its last write", i+1, idle*100)
		}
	}
}
