package sshgate

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// fileRecord is a gateway's record kept in a signed record file.
type fileRecord struct {
	path string
	pub  ed25519.PublicKey
	rec  *record.Recorder
}

// startFileGateway starts a gateway in front of up recording into a
// record file with signed checkpoints.
func startFileGateway(t *testing.T, up *sshd, rules string, opts ...func(*Config)) (*gateway, *fileRecord) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "record.jsonl")
	sink, err := record.OpenFile(path, record.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record.New(sink, record.Options{SigningKey: priv})
	t.Cleanup(func() { _ = rec.Close() })
	return startGatewayWith(t, up, rules, rec, opts...), &fileRecord{path: path, pub: pub, rec: rec}
}

// sessions closes g and the recorder, reads the record file back and
// verifies it (every session's chain and signed checkpoints, and the
// file's own log); it returns the decoded events of each session.
func (f *fileRecord) sessions(t *testing.T, g *gateway) map[string][]*gate.Event {
	t.Helper()
	_ = g.proxy.Close()
	if err := f.rec.Close(); err != nil {
		t.Fatalf("close the recorder: %v", err)
	}
	ctx := context.Background()
	r, err := record.OpenFileReader(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if rep := record.VerifyRecord(ctx, r.Stored(ctx), record.VerifyOptions{Key: f.pub}); !rep.OK() {
		t.Fatalf("the record file does not verify: %v", rep.Problems)
	}
	ids, err := r.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*gate.Event{}
	for _, id := range ids {
		entries, err := record.ReadSession(ctx, r, id)
		if err != nil {
			t.Fatalf("session %s: %v", id, err)
		}
		if err := record.Verify(entries, f.pub); err != nil {
			t.Fatalf("session %s does not verify: %v", id, err)
		}
		for _, e := range entries {
			if e.Event != nil {
				out[id] = append(out[id], e.Event)
			}
		}
	}
	return out
}

// upstreamCommands counts the sessions sshd started (its VERBOSE log's
// "Starting session:" lines: commands, forced commands, subsystems),
// once the count stops changing.
func upstreamCommands(up *sshd) int {
	n := -1
	for range 50 {
		m := strings.Count(up.log.String(), "Starting session: ")
		if m == n {
			return m
		}
		n = m
		time.Sleep(50 * time.Millisecond)
	}
	return n
}

// probeUpstreams are upstreams answering the probe in each way: with a
// home, with a home the gateway cannot use, and with a forced command
// that fails it.
var probeUpstreams = []struct {
	name, extra string
	status      int    // the probe's exit status
	answer      string // in the recorded answer; "{H}" is the home
	why         string // in the recorded failure; "" when the home is learnt
	noSFTP      bool   // sftp sessions fail: no sftp line is judged
}{
	{"home", "SetEnv HOME={H}\n", 0, loginMarker + "{H}\x00", "", false},
	{"home is /", "SetEnv HOME=/\n", 0, loginMarker + "/\x00", "not understood", false},
	{"forced exit 3", "ForceCommand exit 3\n", 3, "", "status 3", true},
}

// probeRoutes are connections, each a sequence of lines (exec, or sftp:
// an operation and its path); {D} is a scratch directory. Those with a
// line that writes make the gateway ask for the home, once.
var probeRoutes = []struct {
	lines  []string
	writes bool
}{
	{[]string{"mkdir -p {D}/a", "mkdir -p {D}/a2"}, true},
	{[]string{"touch {D}/b", "touch {D}/b"}, true},
	{[]string{"echo x > {D}/c"}, true},
	{[]string{"cat /etc/hostname", "cp /etc/hostname {D}/d"}, true},
	{[]string{"tar cf {D}/e.tar -C /etc hostname"}, true},
	{[]string{"sftp mkdir {D}/f", "sftp mkdir {D}/f2"}, true},
	{[]string{"sftp stat /etc/hostname", "sftp put {D}/g"}, true},
	{[]string{"cat /etc/hostname", "ls {D}"}, false},
	{[]string{"sftp stat /etc/hostname", "sftp list {D}"}, false},
}

// runProbeRoute runs one route's lines on a new connection to g.
func runProbeRoute(t *testing.T, g *gateway, lines []string, dir string) {
	t.Helper()
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	for _, line := range lines {
		line = strings.ReplaceAll(line, "{D}", dir)
		op, rest, _ := strings.Cut(line, " ")
		if op != "sftp" {
			execStatus(t, cl, line)
			continue
		}
		probeSFTP(t, cl, rest)
	}
}

// probeSFTP runs an sftp operation on a new sftp session of cl; its
// result is not asked (an upstream with a forced command serves none).
func probeSFTP(t *testing.T, cl *ssh.Client, line string) {
	t.Helper()
	sc, err := sftp.NewClient(cl)
	if err != nil {
		return
	}
	defer sc.Close()
	op, path, _ := strings.Cut(line, " ")
	switch op {
	case "mkdir":
		_ = sc.Mkdir(path)
	case "put":
		if f, err := sc.Create(path); err == nil {
			_, _ = f.Write([]byte("x\n"))
			_ = f.Close()
		}
	case "stat":
		_, _ = sc.Stat(path)
	case "list":
		_, _ = sc.ReadDir(path)
	default:
		t.Fatalf("unknown sftp operation %q", op)
	}
}

// writesLine reports whether a decision judged a line that writes (the
// lines after which the home is asked for).
func writesLine(e *gate.Event) bool {
	if e.Kind != gate.EventDecision || e.Request == nil || e.Request.SSH == nil {
		return false
	}
	s := e.Request.SSH
	return !s.ReadOnly && (s.Kind == "exec" || s.Kind == "sftp")
}

// TestLoginProbeRecordedThroughSSHD: every route through every upstream,
// each on its own connection; the record file is read back and verified.
// A connection with a line that writes holds exactly one probe request
// (the gateway's reason, the fixed command, no decision), recorded before
// the first such line's decision, followed by its answer (output with the
// exit status) and, when no home came of it, an error event saying why;
// a connection that only reads holds none. Upstream, sshd's own log
// counts exactly the sessions the record shows were started there:
// allowed lines and probes. On the old code the probe ran unrecorded:
// every writing connection failed, and the counts differed.
func TestLoginProbeRecordedThroughSSHD(t *testing.T) {
	t.Parallel()
	for _, u := range probeUpstreams {
		t.Run(u.name, func(t *testing.T) {
			t.Parallel()
			home, dir := t.TempDir(), t.TempDir()
			up := startSSHDWith(t, strings.ReplaceAll(u.extra, "{H}", home)+"LogLevel VERBOSE\n")
			g, f := startFileGateway(t, up, homeWriteRules)
			writing := 0
			for _, r := range probeRoutes {
				runProbeRoute(t, g, r.lines, dir)
				if r.writes && !(u.noSFTP && strings.Contains(r.lines[len(r.lines)-1], "sftp")) {
					writing++
				}
			}
			sessions := f.sessions(t, g)
			if len(sessions) != len(probeRoutes) {
				t.Fatalf("%d sessions recorded, want %d", len(sessions), len(probeRoutes))
			}
			unrecorded, probes, started := 0, 0, 0
			for id, evs := range sessions {
				n, ok := checkProbeSession(t, id, evs, strings.ReplaceAll(u.answer, "{H}", home), u.status, u.why)
				probes += n
				if !ok {
					unrecorded++
				}
				for _, e := range evs {
					if e.Kind == gate.EventDecision && e.Decision.Action == gate.Allow && e.Request.SSH != nil &&
						(e.Request.SSH.Kind == "exec" || e.Request.SSH.Kind == "subsystem") {
						started++
					}
				}
			}
			if unrecorded > 0 {
				t.Errorf("%d of %d connections (%d writing) lack their recorded probe", unrecorded, len(sessions), writing)
			}
			if probes != writing {
				t.Errorf("%d probes recorded, want one for each of the %d writing connections", probes, writing)
			}
			if n := upstreamCommands(up); n != started+probes {
				t.Errorf("sshd started %d sessions; the record shows %d allowed lines and %d probes", n, started, probes)
			}
		})
	}
}

// checkProbeSession checks one recorded session: n is the number of probe
// requests; ok is false (with the errors reported) when the session
// writes and its probe is not recorded as it should be, or it only reads
// and holds one.
func checkProbeSession(t *testing.T, id string, evs []*gate.Event, answer string, status int, why string) (n int, ok bool) {
	t.Helper()
	firstWrite, probe := -1, -1
	for i, e := range evs {
		if firstWrite < 0 && writesLine(e) {
			firstWrite = i
		}
		if e.Request != nil && e.Request.Command == loginProbe {
			if e.Kind != gate.EventRequest || e.Decision != nil {
				t.Errorf("%s: the probe is recorded as a %s event (decision %v)", id, e.Kind, e.Decision != nil)
				return n, false
			}
			n++
			probe = i
		}
	}
	switch {
	case firstWrite < 0 && n == 0:
		return 0, true
	case firstWrite < 0:
		t.Errorf("%s: a connection that only reads asked for the home", id)
		return n, false
	case n != 1:
		t.Errorf("%s: %d probe requests recorded, want 1", id, n)
		return n, false
	case probe > firstWrite:
		t.Errorf("%s: the probe is recorded after the decision that needed it", id)
		return n, false
	}
	req := evs[probe].Request
	if req.Reason != probeReason || req.SSH == nil || req.SSH.Kind != "exec" || req.Protocol != gate.ProtocolSSH {
		t.Errorf("%s: the probe request %+v", id, req)
		return n, false
	}
	// Its answer and, on failure, why: the events right after it, before
	// the line's own decision.
	var out *gate.Output
	var failure string
	for _, e := range evs[probe+1 : firstWrite] {
		switch {
		case e.Kind == gate.EventOutput && out == nil:
			out = e.Output
		case e.Kind == gate.EventError && strings.Contains(e.Error, "login directory probe"):
			failure = e.Error
		}
	}
	switch {
	case out == nil:
		t.Errorf("%s: the probe's answer is not recorded", id)
		return n, false
	case out.DecisionID != "" || !out.Final || out.ExitStatus == nil || *out.ExitStatus != status:
		t.Errorf("%s: the probe's answer %+v, want exit status %d and no decision", id, out, status)
		return n, false
	case !strings.Contains(string(out.Data), answer):
		t.Errorf("%s: the probe's answer %q holds no %q", id, out.Data, answer)
		return n, false
	case why == "" && failure != "":
		t.Errorf("%s: a failure recorded for a home learnt: %s", id, failure)
		return n, false
	case why != "" && !strings.Contains(failure, why):
		t.Errorf("%s: failure %q recorded, want one saying %q", id, failure, why)
		return n, false
	}
	return n, true
}

// TestLoginProbeNotRunThroughSSHD: with Upstream.Home or
// AllowStartupWrites the gateway runs nothing of its own upstream: no
// probe in the record, and sshd starts exactly the allowed lines.
func TestLoginProbeNotRunThroughSSHD(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]func(*Config){
		"Upstream.Home":      func(c *Config) { c.Upstream.Home = "/srv/app" },
		"AllowStartupWrites": func(c *Config) { c.AllowStartupWrites = true },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			up := startSSHDWith(t, "SetEnv HOME="+t.TempDir()+"\nLogLevel VERBOSE\n")
			g, f := startFileGateway(t, up, homeWriteRules, opt)
			runProbeRoute(t, g, []string{"mkdir -p {D}/a", "sftp mkdir {D}/b"}, dir)
			started := 0
			for id, evs := range f.sessions(t, g) {
				for _, e := range evs {
					if e.Request != nil && e.Request.Command == loginProbe {
						t.Errorf("%s: a probe is recorded", id)
					}
					if e.Kind == gate.EventDecision && e.Decision.Action == gate.Allow && e.Request.SSH.Kind != "sftp" {
						started++
					}
				}
			}
			if started != 2 {
				t.Errorf("%d lines allowed, want the exec and the sftp subsystem", started)
			}
			if n := upstreamCommands(up); n != started {
				t.Errorf("sshd started %d sessions for %d allowed lines", n, started)
			}
		})
	}
}

// TestLoginProbeUnrecordedNotRunThroughSSHD: when the probe's request
// cannot be recorded (the recorder fails from the probe on, as a full
// disk would), the gateway runs nothing upstream: sshd starts no session,
// and the writing line, whose decision cannot be recorded either, is
// refused.
func TestLoginProbeUnrecordedNotRunThroughSSHD(t *testing.T) {
	t.Parallel()
	up := startSSHDWith(t, "SetEnv HOME="+t.TempDir()+"\nLogLevel VERBOSE\n")
	mem := &record.Memory{}
	f := &gatetest.FailingRecorder{Next: mem, Kind: gate.EventRequest}
	f.FailAfter(0)
	g := startGatewayWith(t, up, homeWriteRules, f)
	target := filepath.Join(t.TempDir(), "a")
	if code, out := execStatus(t, g.goClient(t, g.agent), "mkdir -p "+target); code == 0 {
		t.Errorf("the line ran although nothing could be recorded: %s", out)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("the line's directory was made")
	}
	if n := upstreamCommands(up); n != 0 {
		t.Errorf("sshd started %d sessions with the recorder failing", n)
	}
}
