package record_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/uring"
	"github.com/airlock-sdk/airlock/record"
)

// Under DurabilityWrite a batch is in the file when Write returns (another
// process reading the file sees it), before any fsync; under
// DurabilityFsync too, after its fsync. Both are read back whole.
func TestDurabilityLevels(t *testing.T) {
	for _, d := range []record.Durability{record.DurabilityWrite, record.DurabilityFsync} {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		fs, err := record.OpenFile(path, record.FileOptions{Durability: d, SyncInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		rec := record.New(fs, record.Options{SigningKey: testKey})
		s := &gate.Session{ID: "s1", Protocol: "tool"}
		if err := rec.Record(context.Background(), gate.Event{Kind: gate.EventSessionStart, SessionID: s.ID, Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), `"session_start"`) {
			t.Fatalf("durability %d: the acknowledged event is not in the file yet", d)
		}
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := record.ReadFile(path); err != nil {
			t.Fatalf("durability %d: %v", d, err)
		}
	}
}

// A failed background fsync fails every later write (fail closed).
func TestDurabilityWriteFsyncFailureFailsClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{SyncInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: testKey})
	ctx := context.Background()
	s := &gate.Session{ID: "s1", Protocol: "tool"}
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionStart, SessionID: s.ID, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	record.FailFileSyncs(fs)
	// Written, its fsync failing in the background; or refused already,
	// when the first event's fsync ran (and failed) before it: on a
	// loaded machine the 1 ms interval can pass in between.
	_ = rec.Record(ctx, gate.Event{Kind: gate.EventSessionEnd, SessionID: s.ID, Time: time.Now()})
	time.Sleep(50 * time.Millisecond)
	s2 := &gate.Session{ID: "s2", Protocol: "tool"}
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionStart, SessionID: s2.ID, Time: time.Now()}); err == nil {
		t.Fatal("a write after a failed fsync was accepted")
	}
	_ = rec.Close()
}

// On Linux the background fsync goes through io_uring, and an fsync the
// ring fails fails every later write, as a failed fsync(2) does.
func TestDurabilityWriteRingFailureFailsClosed(t *testing.T) {
	if s, err := uring.New(); err != nil {
		t.Skipf("io_uring unavailable on this machine (CI has it): %v", err)
	} else {
		s.Close()
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{SyncInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: testKey, CloseTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	s := &gate.Session{ID: "s1", Protocol: "tool"}
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionStart, SessionID: s.ID, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // its fsync, through the ring
	if !record.FileRing(fs, true) {
		t.Fatal("DurabilityWrite does not fsync through io_uring on this machine")
	}
	_ = rec.Record(ctx, gate.Event{Kind: gate.EventSessionEnd, SessionID: s.ID, Time: time.Now()})
	time.Sleep(50 * time.Millisecond)
	s2 := &gate.Session{ID: "s2", Protocol: "tool"}
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionStart, SessionID: s2.ID, Time: time.Now()}); err == nil {
		t.Fatal("a write after a failed fsync through the ring was accepted")
	}
	_ = rec.Close()
}

// TestDurabilityWriteNotHeldByFsync: under DurabilityWrite a slow disk
// holds up no write: while the background fsync waits on the disk,
// writes go on (each in the file when it returns), and Close waits for
// that fsync and a last one before it closes the file.
func TestDurabilityWriteNotHeldByFsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	fs, err := record.OpenFile(path, record.FileOptions{SyncInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}, 16), make(chan struct{})
	record.HoldFileSyncs(fs, started, release)
	ctx := context.Background()
	write := func(seq uint64) error {
		body := []byte(`{"kind":"session_start","n":` + string(rune('0'+seq)) + `}`)
		return fs.Write(ctx, []record.Event{{Version: 2, SessionID: "s1", Seq: seq, Kind: "session_start", Body: body}})
	}
	if err := write(1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started: // the background fsync of the first write waits on the disk
	case <-time.After(5 * time.Second):
		t.Fatal("no background fsync started")
	}
	done := make(chan error, 1)
	go func() {
		for seq := uint64(2); seq <= 5; seq++ {
			if err := write(seq); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("writes waited for a background fsync")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"session_start"`); n < 5 {
		t.Fatalf("%d of 5 written events in the file while the fsync waits", n)
	}
	closed := make(chan error, 1)
	go func() { closed <- fs.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while an fsync of its file was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	select {
	case <-started: // Close's own fsync of the later writes
	default:
		t.Fatal("Close did not fsync the writes made during the background fsync")
	}
}
