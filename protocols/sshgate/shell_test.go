package sshgate

import (
	"context"
	"path/filepath"
	"time"

	"bytes"
	"github.com/airlock-sdk/airlock/record"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

func TestShellDeniedForAgents(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	args := append([]string{"-tt"}, sshArgs(g.addr, g.agent, "-p")...)
	r := run(t, "echo hi\nexit\n", "ssh", args...)
	if r.code != ExitRefused || !strings.Contains(r.stdout+r.stderr, "airlock: denied") {
		t.Fatalf("agent shell not refused: %+v", r)
	}
}

// TestShellRecorded opens an interactive shell with a terminal as a human,
// and checks that the record holds the session's output, which replays to
// what the client saw.
func TestShellRecorded(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	args := append([]string{"-tt"}, sshArgs(g.addr, g.human, "-p")...)
	r := run(t, "stty -echo; echo shell-$((40+2)); exit 7\n", "ssh", args...)
	if r.code != 7 || !strings.Contains(r.stdout, "shell-42") {
		t.Fatalf("shell: %+v", r)
	}
	var shellDecision string
	for _, e := range g.events(gate.EventDecision) {
		if e.Request.SSH != nil && e.Request.SSH.Kind == "shell" && e.Decision.Action == gate.Allow {
			shellDecision = e.Decision.ID
		}
	}
	if shellDecision == "" {
		t.Fatal("shell decision not recorded")
	}
	var replay bytes.Buffer
	var exit *int
	for _, e := range g.events(gate.EventOutput) {
		if e.Output.DecisionID != shellDecision {
			continue
		}
		if e.Output.Stream == "stdin" {
			t.Fatal("input recorded although RecordInput is off")
		}
		replay.Write(e.Output.Data)
		if e.Output.Final {
			exit = e.Output.ExitStatus
		}
	}
	if replay.String() != r.stdout {
		t.Fatalf("replay differs from what the client saw:\nreplay %q\nclient %q", replay.String(), r.stdout)
	}
	if exit == nil || *exit != 7 {
		t.Fatalf("exit status not recorded: %v", exit)
	}
}

func TestShellRecordInput(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, testRules, func(c *Config) { c.RecordInput = true })
	args := append([]string{"-tt"}, sshArgs(g.addr, g.human, "-p")...)
	r := run(t, "echo typed-in; exit\n", "ssh", args...)
	if r.code != 0 {
		t.Fatalf("shell: %+v", r)
	}
	var in bytes.Buffer
	for _, e := range g.events(gate.EventOutput) {
		if e.Output.Stream == "stdin" {
			in.Write(e.Output.Data)
		}
	}
	if !strings.Contains(in.String(), "echo typed-in") {
		t.Fatalf("input not recorded: %q", in.String())
	}
}

// TestShellRecordFileReplay records a shell to a real record file (hash
// chain, signed checkpoints), reads it back, verifies it, and replays the
// terminal output events (what asciicast export plays) to exactly what the
// client saw.
func TestShellRecordFileReplay(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	priv, pub, err := record.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "record.jsonl")
	sink, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(sink, record.Options{SigningKey: priv, AsyncOutput: true})
	ended := make(chan struct{}, 1)
	g := startGatewayWith(t, up, testRules, gate.RecorderFunc(func(ctx context.Context, e gate.Event) error {
		err := rec.Record(ctx, e)
		if e.Kind == gate.EventSessionEnd {
			ended <- struct{}{}
		}
		return err
	}))
	args := append([]string{"-tt"}, sshArgs(g.addr, g.human, "-p")...)
	r := run(t, "stty -echo; printf 'replay-%s\\n' ok; exit\n", "ssh", args...)
	if r.code != 0 || !strings.Contains(r.stdout, "replay-ok") {
		t.Fatalf("shell: %+v", r)
	}
	// The session ends asynchronously after the client leaves.
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("session end not recorded")
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	sessions, err := record.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 {
		t.Fatalf("sessions: %d", len(sessions))
	}
	for id, evs := range sessions {
		if err := record.Verify(evs, pub); err != nil {
			t.Fatalf("verify %s: %v", id, err)
		}
		var replay bytes.Buffer
		for _, e := range evs {
			if e.Event != nil && e.Event.Kind == gate.EventOutput && (e.Event.Output.Stream == "stdout" || e.Event.Output.Stream == "stderr") {
				replay.Write(e.Event.Output.Data)
			}
		}
		if replay.String() != r.stdout {
			t.Fatalf("replay %q, client saw %q", replay.String(), r.stdout)
		}
	}
}
