package record_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
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
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionEnd, SessionID: s.ID, Time: time.Now()}); err != nil {
		t.Fatal(err) // written; its fsync fails in the background
	}
	time.Sleep(50 * time.Millisecond)
	s2 := &gate.Session{ID: "s2", Protocol: "tool"}
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionStart, SessionID: s2.ID, Time: time.Now()}); err == nil {
		t.Fatal("a write after a failed fsync was accepted")
	}
	_ = rec.Close()
}
