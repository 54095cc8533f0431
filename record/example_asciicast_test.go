package record_test

import (
	"fmt"
	"os"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// A terminal session's output, as the client saw it, becomes a recording
// that asciinema plays.
func ExampleWriteAsciicast() {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	out := func(after time.Duration, stream, data string) record.Event {
		return record.Event{SessionID: "s1", Time: start + int64(after), Event: &gate.Event{Kind: gate.EventOutput,
			Output: &gate.Output{Stream: stream, Data: []byte(data)}}}
	}
	session := []record.Event{
		{SessionID: "s1", Time: start, Event: &gate.Event{Kind: gate.EventSessionStart,
			Identity: &gate.Identity{Subject: "agent-1"}, Session: &gate.SessionInfo{Protocol: "ssh", Target: "web-1"}}},
		out(500*time.Millisecond, "stdout", "app\r\nlogs\r\n"),
		out(1500*time.Millisecond, "rows", "not terminal output"),
		out(2*time.Second, "stderr", "ls: cannot access 'x'\r\n"),
	}
	if err := record.WriteAsciicast(os.Stdout, session, record.AsciicastOptions{Width: 120, Height: 40}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"version":2,"width":120,"height":40,"timestamp":1767323045,"title":"airlock session s1: agent-1 -\u003e web-1","env":{"SHELL":"/bin/sh","TERM":"xterm-256color"}}
	// [0.500000,"o","app\r\nlogs\r\n"]
	// [2.000000,"o","ls: cannot access 'x'\r\n"]
}
