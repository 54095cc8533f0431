package record

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// panickingSink is a quick sink with a bug: its Write panics.
type panickingSink struct{}

func (panickingSink) Write(context.Context, []Event) error { panic("sink bug") }
func (panickingSink) Close() error                         { return nil }
func (panickingSink) quick() bool                          { return true }

// TestSinkPanicInACallerEndsTheProcess: a quick sink that panics while a
// caller writes its own events must not leave the recorder locked when
// the caller's goroutine recovers (net/http's server recovers handler
// panics): the process ends, as it does when the writer goroutine panics.
func TestSinkPanicInACallerEndsTheProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestSinkPanicChild$", "-test.v")
	cmd.Env = append(os.Environ(), "AIRLOCK_SINK_PANIC_CHILD=1")
	done := make(chan error, 1)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || !strings.Contains(out.String(), "sink bug") {
			t.Fatalf("child ended with %v, want a crash on the sink's panic:\n%s", err, out.String())
		}
		if strings.Contains(out.String(), "recovered, recording on") {
			t.Fatalf("the recorder went on after the panic:\n%s", out.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("child still running 20s after the sink panicked (a caller's recover left the recorder locked?):\n%s", out.String())
	}
}

// TestSinkPanicChild is the process TestSinkPanicInACallerEndsTheProcess
// runs: it records under a recover, as an HTTP handler would, then
// records again.
func TestSinkPanicChild(t *testing.T) {
	if os.Getenv("AIRLOCK_SINK_PANIC_CHILD") == "" {
		return // only runs as the helper process
	}
	rec := New(panickingSink{}, Options{})
	record := func() {
		defer func() { _ = recover() }()
		_ = rec.Record(context.Background(), gate.Event{Kind: gate.EventRequest, SessionID: "s", Request: &gate.Request{Protocol: "http", Command: "GET /"}})
	}
	record()
	println("recovered, recording on")
	record()
	println("recorded twice")
}
