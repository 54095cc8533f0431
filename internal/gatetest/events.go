package gatetest

import (
	"slices"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// Events returns the gate events mem holds, session by session, each
// session's in order; only those of the given kinds when kinds are given.
func Events(mem *record.Memory, kinds ...gate.EventKind) []gate.Event {
	var out []gate.Event
	for _, s := range mem.Sessions() {
		for _, e := range mem.GateEvents(s) {
			if len(kinds) == 0 || slices.Contains(kinds, e.Kind) {
				out = append(out, e)
			}
		}
	}
	return out
}
