package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

const liveRules = `
rules:
  - name: reads
    when: request.command.startsWith("cat ") || request.command.startsWith("ls")
    action: allow
    mask: [email]
  - name: prod-writes
    when: request.command.startsWith("deploy")
    action: review
    reason: deploys need a second pair of eyes
`

// liveGate is a real gate recording through a real Recorder into a record
// file, with an in-memory approver whose reviews the test decides.
type liveGate struct {
	t    *testing.T
	path string
	g    *gate.Gate
	rec  *record.Recorder
	mem  *approval.Memory
}

func newLiveGate(t *testing.T, fopts record.FileOptions) *liveGate {
	t.Helper()
	rs, err := gate.ParseRules("live.yaml", []byte(liveRules))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "live.jsonl")
	fs, err := record.OpenFile(path, fopts)
	if err != nil {
		t.Fatal(err)
	}
	priv, _, err := record.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: priv, CheckpointEvery: 4})
	mem := &approval.Memory{}
	lg := &liveGate{t: t, path: path, rec: rec, mem: mem,
		g: gate.New(gate.Config{Rules: rs, Recorder: rec, Approver: mem, ReviewMode: gate.Hold})}
	t.Cleanup(func() { _ = rec.Close(); _ = fs.Close() })
	return lg
}

func (lg *liveGate) open(subject, name, target, client string) *gate.Session {
	lg.t.Helper()
	s := &gate.Session{Protocol: gate.ProtocolSSH, Target: target, ClientAddr: client,
		Identity: gate.Identity{Subject: subject, Name: name, Kind: gate.KindAgent}}
	if err := lg.g.OpenSession(context.Background(), s); err != nil {
		lg.t.Fatal(err)
	}
	return s
}

// run checks cmd and, when allowed, records out as its stdout.
func (lg *liveGate) run(s *gate.Session, cmd, out string, findings ...gate.Finding) error {
	lg.t.Helper()
	ctx := context.Background()
	d, err := lg.g.Check(ctx, &gate.Request{Session: s, Command: cmd})
	if err != nil {
		return err
	}
	code := 0
	if err := lg.g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "stdout", Data: []byte(out),
		Findings: findings, Final: true, ExitStatus: &code}); err != nil {
		lg.t.Fatal(err)
	}
	return nil
}

// held runs cmd, which the rules hold for review, and has alice decide it.
func (lg *liveGate) held(s *gate.Session, cmd string, approve bool, reason string) error {
	lg.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		p, err := lg.mem.WaitPending(ctx)
		if err != nil {
			done <- err
			return
		}
		alice := gate.Identity{Subject: "alice", Name: "Alice", Kind: gate.KindHuman}
		if approve {
			_, err = lg.mem.Approve(ctx, p.ID, alice, reason)
		} else {
			_, err = lg.mem.Deny(ctx, p.ID, alice, reason)
		}
		done <- err
	}()
	err := lg.run(s, cmd, "deployed\n")
	if verr := <-done; verr != nil {
		lg.t.Fatal(verr)
	}
	return err
}

func (lg *liveGate) close(s *gate.Session) {
	lg.t.Helper()
	if err := lg.g.CloseSession(context.Background(), s, "client closed"); err != nil {
		lg.t.Fatal(err)
	}
}

// standardSession records a closed session with allowed, denied, held
// (approved and rejected) requests and output that tries to drive the
// terminal.
func (lg *liveGate) standardSession() *gate.Session {
	s := lg.open("agent-42", "Deploy Bot", "web-1", "10.1.2.3:40000")
	_ = lg.run(s, "ls /srv", "app\r\nlogs\r\n")
	_ = lg.run(s, "cat /srv/app/config", "user=app\r\nemail=[MASKED]\r\n\x1b]0;pwned\x07evil\x1b[2J\r\n",
		gate.Finding{Detector: "email", Field: "email", Count: 1})
	_ = lg.run(s, "rm -rf /srv", "")
	_ = lg.held(s, "deploy v2", true, "ticket OPS-7")
	_ = lg.held(s, "deploy v3", false, "not on a Friday")
	lg.close(s)
	return s
}

// ttyBuffer is a syncBuffer which can pose as a terminal.
type ttyBuffer struct {
	syncBuffer
	tty bool
}

// IsTerminal lets a test buffer pose as a terminal (see isTerminal).
func (b *ttyBuffer) IsTerminal() bool { return b.tty }

// waitFor waits until buf holds every one of want.
func waitFor(t *testing.T, buf *ttyBuffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := buf.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q:\n%s", missing, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// replayCtx runs airlock replay under ctx, with stdout and stderr buffers.
func replayCtx(ctx context.Context, stdout, stderr *ttyBuffer, args ...string) int {
	return runReplay(ctx, args, stdout, stderr)
}

// sessionsCtx runs airlock sessions under ctx.
func sessionsCtx(ctx context.Context, stdout, stderr *ttyBuffer, args ...string) int {
	return runSessions(ctx, args, stdout, stderr)
}
