package gatetest

import (
	"context"
	"errors"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
)

// ErrDiskFull is what a FailingRecorder returns once it fails.
var ErrDiskFull = errors.New("disk full")

// FailingRecorder passes every event on to Next until it is armed with
// FailAfter; once the armed budget of counted events is spent it fails
// every event, of every kind, as a full disk would, until Heal.
type FailingRecorder struct {
	// Next records the events while the recorder works.
	Next gate.Recorder
	// Kind, when set, counts only events of that kind against the budget;
	// events of other kinds pass until the recorder fails. When empty,
	// every event counts.
	Kind gate.EventKind

	mu      sync.Mutex
	armed   bool
	left    int64
	failing bool
	failed  int64
}

// Record fails with ErrDiskFull once the armed budget is spent, and
// otherwise records e in Next.
func (f *FailingRecorder) Record(ctx context.Context, e gate.Event) error {
	if f.fails(e.Kind) {
		return ErrDiskFull
	}
	return f.Next.Record(ctx, e)
}

func (f *FailingRecorder) fails(kind gate.EventKind) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.failing && f.armed && (f.Kind == "" || kind == f.Kind) {
		f.left--
		f.failing = f.left < 0
	}
	if f.failing {
		f.failed++
	}
	return f.failing
}

// FailAfter arms the recorder: it records n more counted events, and
// fails every event from the one after.
func (f *FailingRecorder) FailAfter(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed, f.left = true, n
}

// Heal disarms the recorder: it records every event again.
func (f *FailingRecorder) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed, f.failing = false, false
}

// Failed returns how many events the recorder refused.
func (f *FailingRecorder) Failed() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}
