package gatetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
)

func TestFailingRecorder(t *testing.T) {
	ctx := context.Background()
	output := gate.Event{Kind: gate.EventOutput}
	decision := gate.Event{Kind: gate.EventDecision}
	for _, tc := range []struct {
		name   string
		kind   gate.EventKind
		events []gate.Event
		want   []bool // whether each event fails
	}{
		{"every kind counts", "", []gate.Event{decision, output, decision, output}, []bool{false, false, true, true}},
		{"only outputs count", gate.EventOutput, []gate.Event{decision, output, decision, output, output, decision}, []bool{false, false, false, false, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recorded int
			next := gate.RecorderFunc(func(context.Context, gate.Event) error { recorded++; return nil })
			f := &gatetest.FailingRecorder{Next: next, Kind: tc.kind}
			if err := f.Record(ctx, decision); err != nil {
				t.Fatalf("unarmed: %v", err)
			}
			f.FailAfter(2)
			var failed int64
			for i, e := range tc.events {
				err := f.Record(ctx, e)
				if got := errors.Is(err, gatetest.ErrDiskFull); got != tc.want[i] {
					t.Fatalf("event %d (%s): failed %v, want %v", i, e.Kind, got, tc.want[i])
				}
				if err != nil {
					failed++
				}
			}
			if f.Failed() != failed || recorded != 1+len(tc.events)-int(failed) {
				t.Fatalf("Failed() = %d, want %d; recorded %d", f.Failed(), failed, recorded)
			}
			f.Heal()
			if err := f.Record(ctx, output); err != nil {
				t.Fatalf("healed: %v", err)
			}
		})
	}
}
