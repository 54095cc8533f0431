//go:build linux

package record_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// diskResult is what a disk-full run accepted.
type diskResult struct {
	Session  string   `json:"session"`
	Accepted []string `json:"accepted"` // outputs whose Record returned nil
	Allowed  int      `json:"allowed"`
	Denied   int      `json:"denied"`
	Healed   bool     `json:"healed"`
}

// runUntilDiskFull records a session into dir until the gate refuses for
// lack of space; when heal is given it then frees space and goes on.
func runUntilDiskFull(t testing.TB, dir string, heal func()) diskResult {
	rs, err := gate.ParseRules("t.yaml", []byte(testRules))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := record.OpenFile(filepath.Join(dir, "record.jsonl"), record.FileOptions{MaxSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: testKey, RetryBackoff: 5 * time.Millisecond, CloseTimeout: 200 * time.Millisecond})
	g := gate.New(gate.Config{Rules: rs, Recorder: rec})
	ctx := context.Background()
	s := &gate.Session{Protocol: gate.ProtocolSSH, Identity: gate.Identity{Subject: "agent"}}
	if err := g.OpenSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	res := diskResult{Session: s.ID}
	chunk := strings.Repeat("0123456789abcdef", 64)
	deniedInARow := 0
	for i := 0; i < 100000 && deniedInARow < 5; i++ {
		d, err := g.Check(ctx, &gate.Request{Session: s, Command: fmt.Sprintf("cat /f%d", i)})
		if err != nil {
			if !errors.Is(err, gate.ErrDenied) {
				t.Fatalf("refusal is not a denial: %v", err)
			}
			res.Denied++
			deniedInARow++
			continue
		}
		deniedInARow = 0
		res.Allowed++
		data := fmt.Sprintf("out-%d:%s", i, chunk)
		if err := g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "stdout", Data: []byte(data)}); err == nil {
			res.Accepted = append(res.Accepted, fmt.Sprintf("out-%d", i))
		}
	}
	if res.Denied == 0 {
		t.Fatal("the disk never filled up")
	}
	if heal != nil {
		heal()
		d := checkUntilAllowed(t, g, s, "cat /after")
		if err := g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "stdout", Data: []byte("out-after:")}); err != nil {
			t.Fatal(err)
		}
		res.Accepted = append(res.Accepted, "out-after")
		if err := g.CloseSession(ctx, s, "done"); err != nil {
			t.Fatal(err)
		}
		res.Healed = true
	}
	_ = rec.Close() // may report refused entries it could not write
	return res
}

// checkDiskResult checks the file against what was accepted.
func checkDiskResult(t *testing.T, dir string, res diskResult) {
	t.Helper()
	m, err := record.ReadFile(filepath.Join(dir, "record.jsonl"))
	if err != nil {
		t.Fatalf("record unreadable after disk full: %v", err)
	}
	evs := m[res.Session]
	err = record.Verify(evs, testPub)
	if res.Healed {
		if err != nil {
			t.Fatalf("healed record does not verify: %v", err)
		}
	} else if !errors.Is(err, record.ErrUnterminated) {
		t.Fatalf("record after disk full: want only ErrUnterminated, got %v", err)
	}
	stored := storedOutputs(evs)
	for _, a := range res.Accepted {
		if !stored[a] {
			t.Fatalf("accepted output %s lost", a)
		}
	}
	// The whole record: healed, it verifies; cut off by the full disk,
	// only its unproven tail is reported, never damage.
	rep := verifyFile(t, filepath.Join(dir, "record.jsonl"), record.VerifyOptions{})
	if res.Healed && !rep.OK() {
		t.Fatalf("healed record: %v", rep.Problems)
	}
	explainsOnlyTheTail(t, rep)
	t.Logf("allowed %d, denied %d, accepted %d outputs, %d entries stored; %v", res.Allowed, res.Denied, len(res.Accepted), len(evs), rep.Problems)
}

// explainsOnlyTheTail fails unless every problem of rep is an unproven
// tail (or a torn last line) that matches the log's figures.
func explainsOnlyTheTail(t *testing.T, rep *record.Report) {
	t.Helper()
	for _, p := range rep.Problems {
		if p.Damage != record.DamageUnverified && p.Damage != record.DamageUnreadable {
			t.Fatalf("a crash or a full disk reported as %s: %v", p.Damage, p)
		}
		if p.Damage == record.DamageUnverified && p.Session == "" {
			for _, l := range rep.Logs {
				if l.ID == p.Log && (uint64(p.Index) != l.Verified || l.Closed) {
					t.Fatalf("unproven tail at %d, but the log has %d proven entries: %v", p.Index, l.Verified, p)
				}
			}
		}
	}
}

func TestDiskFull(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	err := errors.New("RLIMIT_FSIZE requested")
	if os.Getenv("AIRLOCK_DISKFULL_RLIMIT") == "" {
		err = syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=128k")
	}
	if err == nil {
		t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
		filler := filepath.Join(dir, "filler")
		if err := os.WriteFile(filler, make([]byte, 48<<10), 0o600); err != nil {
			t.Fatal(err)
		}
		res := runUntilDiskFull(t, dir, func() { _ = os.Remove(filler) })
		checkDiskResult(t, dir, res)
		return
	} else {
		t.Logf("tmpfs not mountable (%v); limiting the file size with RLIMIT_FSIZE in a subprocess", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFullChild$")
	cmd.Env = append(os.Environ(), "AIRLOCK_DISKFULL_DIR="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var res diskResult
	_, line, _ := strings.Cut(string(out), "RESULT ")
	line, _, _ = strings.Cut(line, "\n")
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	checkDiskResult(t, dir, res)
}

// TestDiskFullChild runs in a subprocess of TestDiskFull with a file size
// limit of 96 KiB.
func TestDiskFullChild(t *testing.T) {
	dir := os.Getenv("AIRLOCK_DISKFULL_DIR")
	if dir == "" {
		return // only runs as the helper process of TestDiskFull
	}
	signal.Ignore(syscall.SIGXFSZ) // make writes past the limit fail with EFBIG
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 96 << 10, Max: 96 << 10}); err != nil {
		t.Fatal(err)
	}
	res := runUntilDiskFull(t, dir, nil)
	b, _ := json.Marshal(res)
	fmt.Printf("\nRESULT %s\n", b)
}

// TestKilledMidWrite SIGKILLs a process that records as fast as it can, then
// checks that every event it acknowledged is in the file, that the record is
// reported as cut off (never as valid), and that reopening the file moves a
// torn tail aside.
func TestKilledMidWrite(t *testing.T) {
	for _, mode := range []string{"write", "fsync", "group"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "record.jsonl")
			cmd := exec.Command(os.Args[0], "-test.run=^TestKilledChild$")
			cmd.Env = append(os.Environ(), "AIRLOCK_KILL_FILE="+path, "AIRLOCK_KILL_MODE="+mode)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			var session string
			acked := map[string]bool{}
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 2 && f[0] == "session" {
					session = f[1]
				}
				if len(f) == 2 && f[0] == "ack" {
					acked[f[1]] = true
					if len(acked) >= 100 {
						break
					}
				}
			}
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			if len(acked) < 100 || session == "" {
				t.Fatalf("child acknowledged only %d events", len(acked))
			}
			m, err := record.ReadFile(path)
			torn := errors.Is(err, record.ErrTorn)
			if err != nil && !torn {
				t.Fatalf("after kill: %v", err)
			}
			evs := m[session]
			if err := record.Verify(evs, testPub); !errors.Is(err, record.ErrUnterminated) {
				t.Fatalf("killed record: want ErrUnterminated, got %v", err)
			}
			rep := verifyFile(t, path, record.VerifyOptions{})
			if rep.OK() || rep.Logs[0].Closed {
				t.Fatalf("a killed record verified as complete: %+v", rep.Logs)
			}
			explainsOnlyTheTail(t, rep)
			if l := rep.Logs[0]; l.Checkpoints < 2 || l.Leaves < uint64(len(acked)) {
				t.Fatalf("log after the kill: %+v", l)
			}
			stored := storedOutputs(evs)
			for id := range acked {
				if !stored[id] {
					t.Fatalf("acknowledged event %s lost", id)
				}
			}
			// Reopen and go on: the old record stays readable as it was.
			id2 := appendSession(t, path, 3)
			r, _ := record.OpenFileReader(path)
			readVerified(t, r, id2)
			// The new log continues the killed one: nothing reported deleted.
			rep = verifyFile(t, path, record.VerifyOptions{AllowOpen: true})
			explainsOnlyTheTail(t, rep)
			if len(rep.Logs) != 2 || !rep.Logs[1].Closed {
				t.Fatalf("after reopening: %+v %v", rep.Logs, rep.Problems)
			}
			t.Logf("%d acknowledged, %d stored, torn tail: %v", len(acked), len(stored), torn)
		})
	}
}

// TestTornCheckpoint cuts a record in the middle of a log checkpoint line,
// as a kill mid-checkpoint leaves it: verify names the torn line and the
// entries the lost checkpoint would have covered, and nothing else.
func TestTornCheckpoint(t *testing.T) {
	path, _ := writeFileRecord(t, 3, 4, record.FileOptions{}, record.Options{LogCheckpointEvery: 6})
	lines := readLines(t, path)
	cut := -1
	for i := len(lines) - 2; i > 0; i-- {
		if strings.Contains(string(lines[i]), `"kind":"log_checkpoint"`) && !strings.Contains(string(lines[i]), `final`) {
			cut = i
			break
		}
	}
	if cut < 0 {
		t.Fatal("no checkpoint to tear")
	}
	e, _ := record.ParseStoredLine(lines[cut])
	covered := e.Index
	torn := append(lines[:cut:cut], lines[cut][:len(lines[cut])/2])
	writeLines(t, path, torn)
	rep := verifyFile(t, path, record.VerifyOptions{})
	explainsOnlyTheTail(t, rep)
	var sawTorn, sawTail bool
	for _, p := range rep.Problems {
		sawTorn = sawTorn || (p.Damage == record.DamageUnreadable && strings.Contains(p.Detail, "torn"))
		sawTail = sawTail || (p.Damage == record.DamageUnverified && p.Session == "")
	}
	if !sawTorn || !sawTail || rep.Logs[0].Leaves != covered || rep.Logs[0].Verified >= covered {
		t.Fatalf("torn checkpoint at size %d: %+v %v", covered, rep.Logs, rep.Problems)
	}
}

// TestKilledChild is the process TestKilledMidWrite kills.
func TestKilledChild(t *testing.T) {
	path := os.Getenv("AIRLOCK_KILL_FILE")
	if path == "" {
		return // only runs as the helper process of TestKilledMidWrite
	}
	opts := record.FileOptions{Durability: record.DurabilityFsync}
	switch os.Getenv("AIRLOCK_KILL_MODE") {
	case "group":
		opts.GroupCommit = time.Millisecond
	case "write":
		// Killing the process loses nothing acknowledged: the bytes are in
		// the kernel's cache when Write returns.
		opts.Durability = record.DurabilityWrite
	}
	fs, err := record.OpenFile(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Checkpoints every few entries: the kill lands in or next to one.
	rec := record.New(fs, record.Options{SigningKey: testKey, CheckpointEvery: 50, LogCheckpointEvery: 3})
	ctx := context.Background()
	id := gate.NewID()
	if err := rec.Record(ctx, gate.Event{Kind: gate.EventSessionStart, SessionID: id, Session: &gate.SessionInfo{Protocol: "ssh"}}); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("session %s\n", id)
	big := strings.Repeat("x", 16<<10)
	for i := 0; ; i++ {
		data := fmt.Sprintf("o%d:%s", i, big[:(i*7919)%len(big)])
		if err := rec.Record(ctx, gate.Event{Kind: gate.EventOutput, SessionID: id, Output: &gate.Output{Stream: "stdout", Data: []byte(data)}}); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ack o%d\n", i)
	}
}
