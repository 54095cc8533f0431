package record_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/record"
	"github.com/airlock-sdk/airlock/record/sinktest"
)

// Every Sink of this package keeps the contract of record.Sink; the
// PostgreSQL sink runs the same kit in record/pgsink.

func TestSinkConformanceMemory(t *testing.T) {
	sinktest.Run(t, func(testing.TB) sinktest.Harness {
		mem := &record.Memory{}
		return sinktest.Harness{Sink: mem, Open: readBack(mem)}
	})
}

// readBack is a kit's Open for what mem holds.
func readBack(mem *record.Memory) func() (record.Reader, error) {
	return func() (record.Reader, error) { return mem.Reader(), nil }
}

// fileHarness is a File sink with opts and a reader of its file.
func fileHarness(t testing.TB, opts record.FileOptions) sinktest.Harness {
	path := filepath.Join(t.TempDir(), "record.jsonl")
	fs, err := record.OpenFile(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.Close() })
	return sinktest.Harness{Sink: fs, Open: func() (record.Reader, error) { return record.OpenFileReader(path) }}
}

func TestSinkConformanceFile(t *testing.T) {
	for name, opts := range map[string]record.FileOptions{
		"fsync per write": {},
		"group commit":    {GroupCommit: time.Millisecond},
		"rotating":        {MaxSize: 2048},
	} {
		t.Run(name, func(t *testing.T) {
			sinktest.Run(t, func(t testing.TB) sinktest.Harness { return fileHarness(t, opts) })
		})
	}
}

func TestSinkConformanceHTTP(t *testing.T) {
	sinktest.Run(t, func(t testing.TB) sinktest.Harness {
		mem := &record.Memory{}
		srv := httptest.NewServer(&record.Collector{Sink: mem, Token: "tok"})
		t.Cleanup(srv.Close)
		return sinktest.Harness{Sink: record.NewHTTP(srv.URL, "tok", record.HTTPOptions{}),
			Open: readBack(mem)}
	})
}

func TestSinkConformanceTee(t *testing.T) {
	sinktest.Run(t, func(t testing.TB) sinktest.Harness {
		mem := &record.Memory{}
		file := fileHarness(t, record.FileOptions{GroupCommit: time.Millisecond})
		tee := record.NewTee([]record.Sink{mem, file.Sink}, "memory", "file")
		// Read the file: the member that can fail, and the one that is
		// closed with the tee.
		return sinktest.Harness{Sink: tee, Open: file.Open}
	})
}
