package gatetest_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

func TestEvents(t *testing.T) {
	ctx := context.Background()
	mem := &record.Memory{}
	g := gate.New(gate.Config{Recorder: mem})
	for _, subject := range []string{"a", "b"} {
		conn, err := g.Open(ctx, gate.Session{Protocol: gate.ProtocolTool, Identity: gate.Identity{Subject: subject}})
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Close(ctx, "done"); err != nil {
			t.Fatal(err)
		}
	}
	all := gatetest.Events(mem)
	if len(all) < 2 {
		t.Fatalf("%d events, want the events of two sessions", len(all))
	}
	starts := gatetest.Events(mem, gate.EventSessionStart)
	if len(starts) != 2 || starts[0].SessionID == starts[1].SessionID {
		t.Fatalf("session starts: %+v", starts)
	}
	for _, e := range starts {
		if e.Kind != gate.EventSessionStart {
			t.Fatalf("kind %s, want %s", e.Kind, gate.EventSessionStart)
		}
	}
}
