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
		deadline := time.Now().Add(5 * time.Second)
		for {
			d, err := g.Check(ctx, &gate.Request{Session: s, Command: "cat /after"})
			if err == nil {
				if err := g.RecordOutput(ctx, s, gate.Output{DecisionID: d.ID, Stream: "stdout", Data: []byte("out-after:")}); err != nil {
					t.Fatal(err)
				}
				res.Accepted = append(res.Accepted, "out-after")
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the gate still refuses after space was freed: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
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
	stored := map[string]bool{}
	for _, e := range evs {
		if e.Event != nil && e.Event.Output != nil {
			id, _, _ := strings.Cut(string(e.Event.Output.Data), ":")
			stored[id] = true
		}
	}
	for _, a := range res.Accepted {
		if !stored[a] {
			t.Fatalf("accepted output %s lost", a)
		}
	}
	t.Logf("allowed %d, denied %d, accepted %d outputs, %d entries stored", res.Allowed, res.Denied, len(res.Accepted), len(evs))
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
	for _, mode := range []string{"fsync", "group"} {
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
			stored := map[string]bool{}
			for _, e := range evs {
				if e.Event != nil && e.Event.Output != nil {
					id, _, _ := strings.Cut(string(e.Event.Output.Data), ":")
					stored[id] = true
				}
			}
			for id := range acked {
				if !stored[id] {
					t.Fatalf("acknowledged event %s lost", id)
				}
			}
			// Reopen and go on: the old record stays readable as it was.
			fs, err := record.OpenFile(path, record.FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rec := record.New(fs, record.Options{SigningKey: testKey})
			id2 := recordSession(t, rec, 3)
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			r, _ := record.OpenFileReader(path)
			evs2, err := record.ReadSession(context.Background(), r, id2)
			if err != nil {
				t.Fatal(err)
			}
			if err := record.Verify(evs2, testPub); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d acknowledged, %d stored, torn tail: %v", len(acked), len(stored), torn)
		})
	}
}

// TestKilledChild is the process TestKilledMidWrite kills.
func TestKilledChild(t *testing.T) {
	path := os.Getenv("AIRLOCK_KILL_FILE")
	if path == "" {
		return // only runs as the helper process of TestKilledMidWrite
	}
	opts := record.FileOptions{}
	if os.Getenv("AIRLOCK_KILL_MODE") == "group" {
		opts.GroupCommit = time.Millisecond
	}
	fs, err := record.OpenFile(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(fs, record.Options{SigningKey: testKey, CheckpointEvery: 50})
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
