package record_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/record"
)

// BenchmarkSinkIntegrity measures the recorder with the sink-level log
// off (as before it existed) and on, in the same run, on the in-memory
// sink (where the recorder's own CPU is all there is to measure) and on
// a file with group commit. Compare the medians of -count 5.
func BenchmarkSinkIntegrity(b *testing.B) {
	for _, mode := range []struct {
		name  string
		every int
	}{{"off", -1}, {"on", 0}} {
		b.Run("memory/"+mode.name, func(b *testing.B) {
			benchRecord(b, &record.Memory{}, record.Options{AsyncOutput: true, LogCheckpointEvery: mode.every}, 8)
		})
		b.Run("file/"+mode.name, func(b *testing.B) {
			fs, err := record.OpenFile(filepath.Join(b.TempDir(), "r.jsonl"), record.FileOptions{GroupCommit: 5 * time.Millisecond, MaxSize: -1})
			if err != nil {
				b.Fatal(err)
			}
			benchRecord(b, fs, record.Options{AsyncOutput: true, LogCheckpointEvery: mode.every}, 8)
		})
	}
}
