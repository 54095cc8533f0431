package record

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

func TestOutputFastPathMatchesEncodingJSON(t *testing.T) {
	code := 3
	tm := time.Date(2026, 11, 29, 1, 2, 3, 4005, time.UTC)
	cases := []gate.Event{
		{Kind: gate.EventOutput, SessionID: "s", Time: tm, Output: &gate.Output{}},
		{Kind: gate.EventOutput, SessionID: "s\"\\\n<>&\u2028é\xff", Time: tm,
			Identity: &gate.Identity{Subject: "a\x00b", Name: "Zoë", Groups: []string{"x", "y\"z"}, Kind: gate.KindAgent},
			Output: &gate.Output{DecisionID: "d", Stream: "stdout", Data: []byte("\x00\x01binary\xff"),
				Findings:  []gate.Finding{{Detector: "email", Field: "f", Count: 2}, {Detector: "ssn", Count: 1}},
				Truncated: true, Final: true, ExitStatus: &code}},
		{Kind: gate.EventOutput, SessionID: "s", Time: tm.In(time.FixedZone("X", 3600)), Identity: &gate.Identity{}, Output: &gate.Output{ExitStatus: new(int)}},
		{Kind: gate.EventOutput, SessionID: "s", Time: tm, Output: &gate.Output{Final: true, ExitSignal: "TERM", ExitCoreDumped: true, ExitMessage: "killed \"x\""}},
	}
	for i, e := range cases {
		fast, ok := appendOutputEvent(nil, &e)
		if !ok {
			t.Fatalf("case %d: fast path refused", i)
		}
		if !json.Valid(fast) {
			t.Fatalf("case %d: invalid JSON %s", i, fast)
		}
		slow, _ := json.Marshal(e)
		var a, b gate.Event
		if err := json.Unmarshal(fast, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(slow, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("case %d differs:\nfast %s\nslow %s", i, fast, slow)
		}
	}
	withClaims := gate.Event{Kind: gate.EventOutput, Identity: &gate.Identity{Claims: map[string]any{"a": 1}}, Output: &gate.Output{}}
	if _, ok := appendOutputEvent(nil, &withClaims); ok {
		t.Fatal("claims must take the slow path")
	}
}
