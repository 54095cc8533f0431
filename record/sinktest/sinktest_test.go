package sinktest_test

import (
	"context"
	"iter"
	"slices"
	"sync"
	"testing"

	"github.com/airlock-sdk/airlock/internal/tbrecorder"
	"github.com/airlock-sdk/airlock/record"
	"github.com/airlock-sdk/airlock/record/sinktest"
)

func TestMemoryPasses(t *testing.T) {
	sinktest.Run(t, memoryHarness)
}

// memoryHarness is a fresh record.Memory, read back as it is.
func memoryHarness(testing.TB) sinktest.Harness {
	mem := &record.Memory{}
	return sinktest.Harness{Sink: mem, Open: func() (record.Reader, error) { return mem.Reader(), nil }}
}

// runShim runs the kit against newSink on a recorder and returns what it
// reported.
func runShim(t *testing.T, newSink func() (record.Sink, *store)) []string {
	return tbrecorder.Run(t, func(tb testing.TB) {
		sinktest.Run(tb, func(testing.TB) sinktest.Harness {
			s, mem := newSink()
			return sinktest.Harness{Sink: s, Open: func() (record.Reader, error) { return mem, nil }}
		})
	})
}

// store keeps entries in the order written and reads them back in that
// order (record.Memory sorts by sequence, which would hide a reordering).
type store struct {
	mu  sync.Mutex
	all []record.Event
}

func (s *store) Write(ctx context.Context, b []record.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, b...)
	return nil
}

func (s *store) Close() error { return nil }

func (s *store) Sessions(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.all {
		if !slices.Contains(out, e.SessionID) {
			out = append(out, e.SessionID)
		}
	}
	return out, nil
}

func (s *store) Read(ctx context.Context, session string) iter.Seq2[record.Event, error] {
	s.mu.Lock()
	all := slices.Clone(s.all)
	s.mu.Unlock()
	return func(yield func(record.Event, error) bool) {
		for _, e := range all {
			if e.SessionID == session && !yield(e, nil) {
				return
			}
		}
	}
}

// The broken sinks, each over a store that holds what they stored.
type (
	// dropping acknowledges every batch but stores only its first entry.
	dropping struct{ mem *store }
	// reversing stores each batch backwards.
	reversing struct{ mem *store }
	// keeping holds on to the batch's slice and stores it at Close.
	keeping struct {
		mem     *store
		mu      sync.Mutex
		batches [][]record.Event
	}
	// forgetful acknowledges and drops everything after Close.
	forgetful struct {
		mem    *store
		mu     sync.Mutex
		closed bool
	}
)

func (s *dropping) Write(ctx context.Context, b []record.Event) error {
	if len(b) == 0 {
		return nil
	}
	return s.mem.Write(ctx, b[:1])
}
func (s *dropping) Close() error { return nil }

func (s *reversing) Write(ctx context.Context, b []record.Event) error {
	r := slices.Clone(b)
	slices.Reverse(r)
	return s.mem.Write(ctx, r)
}
func (s *reversing) Close() error { return nil }

func (s *keeping) Write(ctx context.Context, b []record.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, b)
	return nil
}

func (s *keeping) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.batches {
		_ = s.mem.Write(context.Background(), b)
	}
	s.batches = nil
	return nil
}

func (s *forgetful) Write(ctx context.Context, b []record.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return s.mem.Write(ctx, b)
}

func (s *forgetful) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func TestKitFailsBrokenSinks(t *testing.T) {
	for _, tc := range []struct {
		name string
		sink func(*store) record.Sink
		want string // a check that must fail
	}{
		{"drops entries", func(m *store) record.Sink { return &dropping{mem: m} }, "AckedIsDurable"},
		{"reorders a batch", func(m *store) record.Sink { return &reversing{mem: m} }, "OrderAcrossBatches"},
		{"keeps the batch's slice", func(m *store) record.Sink { return &keeping{mem: m} }, "BatchIsTheCallers"},
		{"acknowledges after Close", func(m *store) record.Sink { return &forgetful{mem: m} }, "WriteAfterClose"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failures := runShim(t, func() (record.Sink, *store) {
				mem := &store{}
				return tc.sink(mem), mem
			})
			if len(failures) == 0 {
				t.Fatal("the kit passed a broken sink")
			}
			tbrecorder.WantCheckFailed(t, failures, tc.want)
		})
	}
}

func TestKitPassesACorrectSinkThroughTheShim(t *testing.T) {
	tbrecorder.WantNone(t, runShim(t, func() (record.Sink, *store) {
		mem := &store{}
		return mem, mem
	}), "a correct sink")
}
