package pgsql

import (
	"context"
	"testing"
	"time"
)

// Prepared statements whose remembered plans EXECUTE each other, several
// under one name, made lineage resolution fan out exponentially (found by
// the protocol fuzzer: a CPU spun for minutes). The work is bounded, and
// what was cut short is unknown lineage, which is masked.
func TestLineageFanOutIsBounded(t *testing.T) {
	sess := &Session{}
	for _, name := range []string{"p", "q"} {
		for _, target := range []string{"p", "q", "p"} {
			sess.remember(false, name, &qQuery{kind: qExecute, name: target})
		}
	}
	r := &resolver{ctx: context.Background(), sess: sess}
	start := time.Now()
	r.query(&qQuery{kind: qExecute, name: "p"}, nil)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("resolution took %v", d)
	}
	if !r.touch.unknown {
		t.Fatal("a resolution cut short did not mark its lineage unknown")
	}
}
