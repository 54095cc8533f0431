package record_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// benchRecord records b.N output events of about 120 bytes from parallel
// goroutines (one session each) and reports events per second, Close (the
// final flush) included.
func benchRecord(b *testing.B, sink record.Sink, opts record.Options, parallelism int) {
	opts.SigningKey = testKey
	rec := record.New(sink, opts)
	ctx := context.Background()
	data := []byte("id | name  | plan\n42 | alice | pro \n43 | bob   | free\n44 | carol | pro \n45 | dave  | free\n")
	now := time.Now()
	parallelSessions(b, rec, parallelism, "event", func(id string) error {
		return rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: id, Time: now,
			Output: &gate.Output{Stream: "stdout", Data: data}})
	})
}

// parallelSessions runs record b.N times from parallel goroutines, each
// its own session (parallelism per CPU; 0: one goroutine), closes rec (the final flush is timed) and reports the
// rate and the process's CPU time per unit.
func parallelSessions(b *testing.B, rec *record.Recorder, parallelism int, unit string, record func(session string) error) {
	var sess atomic.Int64
	cpu0 := cpuTime()
	b.ReportAllocs()
	b.ResetTimer()
	if parallelism == 0 { // one session, one goroutine
		for range b.N {
			if err := record("bench-serial"); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			id := fmt.Sprintf("bench-%d", sess.Add(1))
			for pb.Next() {
				if err := record(id); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	if err := rec.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"s/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/"+unit)
}

// cpuTime returns the process's user+system CPU time in ns: on a shared,
// loaded machine it says what an event costs, whatever the wall clock says.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkRecordMemoryBaseline(b *testing.B) {
	benchRecord(b, &record.Memory{}, record.Options{AsyncOutput: true}, 8)
}

func BenchmarkRecordFileGroupCommitAsync(b *testing.B) {
	fs, err := record.OpenFile(filepath.Join(b.TempDir(), "r.jsonl"), record.FileOptions{GroupCommit: 5 * time.Millisecond, MaxSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	benchRecord(b, fs, record.Options{AsyncOutput: true}, 8)
}

func BenchmarkRecordFileGroupCommitSync(b *testing.B) {
	fs, err := record.OpenFile(filepath.Join(b.TempDir(), "r.jsonl"), record.FileOptions{GroupCommit: 5 * time.Millisecond, MaxSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	benchRecord(b, fs, record.Options{}, 512)
}

func BenchmarkRecordFileFsyncEachEvent(b *testing.B) {
	fs, err := record.OpenFile(filepath.Join(b.TempDir(), "r.jsonl"), record.FileOptions{MaxSize: -1, Durability: record.DurabilityFsync})
	if err != nil {
		b.Fatal(err)
	}
	// One synchronous writer: every event is its own write and fsync.
	rec := record.New(fs, record.Options{SigningKey: testKey})
	ctx := context.Background()
	data := []byte("id | name  | plan\n42 | alice | pro \n")
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: "s", Output: &gate.Output{Stream: "stdout", Data: data}}); err != nil {
			b.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/event")
}

func BenchmarkRecordFileFsyncPerWriteConcurrentSync(b *testing.B) {
	fs, err := record.OpenFile(filepath.Join(b.TempDir(), "r.jsonl"), record.FileOptions{MaxSize: -1, Durability: record.DurabilityFsync})
	if err != nil {
		b.Fatal(err)
	}
	// Synchronous writers; the recorder batches whatever queued during the
	// previous fsync into the next one.
	benchRecord(b, fs, record.Options{}, 512)
}

func BenchmarkRecordPostgresAsync(b *testing.B) {
	dsn := testDB(b)
	sink := openPG(b, dsn)
	benchRecord(b, sink, record.Options{AsyncOutput: true, BatchSize: 4096}, 8)
}
