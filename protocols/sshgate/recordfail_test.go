package sshgate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

// startFailingGateway starts a gateway in front of up, with testRules,
// whose recorder records into memory until it has recorded `after` output
// events; from then on every event fails, as a full disk would.
func startFailingGateway(t *testing.T, up *sshd, after int64) *gateway {
	mem := &record.Memory{}
	f := &gatetest.FailingRecorder{Next: mem, Kind: gate.EventOutput}
	f.FailAfter(after)
	g := startGatewayWith(t, up, testRules, f)
	g.rec = mem
	return g
}

// recorded joins the data of the recorded output events of stream.
func (g *gateway) recorded(stream string) string {
	var b strings.Builder
	for _, e := range g.events(gate.EventOutput) {
		if e.Output.Stream == stream {
			b.Write(e.Output.Data)
		}
	}
	return b.String()
}

// TestRecordingFailureEndsSession: the recorder fails in the middle of a
// command's output. A real ssh client receives only what was recorded, and
// the gateway ends its connection at once instead of running the command
// to its end.
func TestRecordingFailureEndsSession(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startFailingGateway(t, up, 3)
	start := time.Now()
	// About 8 MB, in many SSH packets, over at least 8 s; the recorder
	// fails after the third packet. The 6 s bound leaves room for a loaded
	// machine's slow start (3.5 s seen at a load average of 7) and still
	// tells an ended session from one that ran to its end.
	r := g.ssh(g.agent, nil, "for i in $(seq 40); do head -c 200000 /dev/zero | tr '\\0' a; sleep 0.2; done")
	if r.code != 255 {
		t.Fatalf("the connection was not ended: code %d, %d bytes, stderr %q", r.code, len(r.stdout), r.stderr)
	}
	if time.Since(start) > 6*time.Second {
		t.Errorf("the command ran to its end (%v) after recording failed", time.Since(start))
	}
	rec := g.recorded("stdout")
	if rec == "" || len(r.stdout) == 0 {
		t.Fatalf("nothing recorded (%d bytes) or received (%d bytes) before the failure", len(rec), len(r.stdout))
	}
	if !strings.HasPrefix(rec, r.stdout) {
		t.Fatalf("the client received %d bytes, not a prefix of the %d recorded", len(r.stdout), len(rec))
	}
	if len(r.stdout) >= 4000000 {
		t.Fatal("the whole output reached the client")
	}
	for _, e := range g.events(gate.EventOutput) {
		if e.Output.Final {
			t.Fatal("an exit status was recorded after recording failed")
		}
	}
}

// TestRecordingFailureSFTP: a file read over sftp whose recording fails
// is not served, and the session ends; masked reads (served from memory)
// and plain ones (served chunk by chunk) alike.
func TestRecordingFailureSFTP(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	for _, name := range []string{"data.txt", "mask-data.txt"} {
		g := startFailingGateway(t, up, 0)
		src := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(src, []byte(strings.Repeat("payload dave@example.org\n", 10000)), 0o644); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(t.TempDir(), "copy.txt")
		bf := filepath.Join(t.TempDir(), "batch")
		if err := os.WriteFile(bf, []byte("get "+src+" "+dst+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-b", bf}, sshArgs(g.addr, g.agent, "-P")...)
		r := run(t, "", "sftp", args...)
		if r.code == 0 {
			t.Fatalf("%s: the read succeeded although it could not be recorded: %+v", name, r)
		}
		if b, err := os.ReadFile(dst); err == nil && len(b) > 0 {
			t.Fatalf("%s: the client received %d unrecorded bytes", name, len(b))
		}
		if len(g.events(gate.EventOutput)) != 0 {
			t.Fatalf("%s: output recorded by a failing recorder", name)
		}
	}
}
