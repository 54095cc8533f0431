package sshgate

import (
	"bytes"
	"context"
	"io"
	"net"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// goroutines returns the goroutine profile's stacks (grouped, as
// pprof's debug=1 text writes them) that carry g's label; with ours, only
// those running a function of this package outside its tests: what a
// connection or channel of the gateway started.
func (g *gateway) goroutines(ours bool) []string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	want := strconv.Quote(gatewayLabel) + ":" + strconv.Quote(g.label)
	var out []string
	for _, grp := range strings.Split(b.String(), "\n\n") {
		if !strings.Contains(grp, want) {
			continue
		}
		if !ours {
			out = append(out, grp)
			continue
		}
		for _, line := range strings.Split(grp, "\n") {
			if strings.Contains(line, "/protocols/sshgate.") && !strings.Contains(line, "_test.go:") {
				out = append(out, grp)
				break
			}
		}
	}
	return out
}

// slowOutputRecorder records into Next, each output event a little late,
// as a loaded disk would: work still recording when the connection ends
// shows.
type slowOutputRecorder struct {
	Next  gate.Recorder
	Delay time.Duration
}

func (s slowOutputRecorder) Record(ctx context.Context, e gate.Event) error {
	if e.Kind == gate.EventOutput {
		time.Sleep(s.Delay)
	}
	return s.Next.Record(ctx, e)
}

// silentTarget accepts TCP connections and neither writes to them nor
// closes them until release is called or the test ends: a forward to it
// ends only when the gateway ends it.
func silentTarget(t *testing.T) (port int, release func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	release = func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
	t.Cleanup(func() {
		l.Close()
		release()
	})
	return l.Addr().(*net.TCPAddr).Port, release
}

// readUntil reads r until what it read contains want, or fails t after 20s.
func readUntil(t *testing.T, r io.Reader, want string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for !strings.Contains(b.String(), want) {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		got <- b.String()
	}()
	select {
	case s := <-got:
		if !strings.Contains(s, want) {
			t.Fatalf("read %q, want %q", s, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%q never came", want)
	}
}

// TestConnectionWaitsForItsChannels: a client leaves while its channels
// still run (a command sleeping, a command printing, a shell recording its
// input, an sftp session, a forward to a target that never answers). Every
// goroutine the connection started for them has ended, and everything
// they record is recorded, when the connection is done: Close returns
// (within a bound, whatever the forward's target does), the command's end
// is recorded before the session's end, nothing is recorded after it, and
// no goroutine of the gateway outlives it.
func TestConnectionWaitsForItsChannels(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	port, release := silentTarget(t)
	rules := testRules + `
  - name: silent-forward
    when: ssh.kind == "forward" && ssh.host == "127.0.0.1" && ssh.port == ` + strconv.Itoa(port) + `
    action: allow
`
	type channelCase struct {
		name string
		cfg  func(*Config)
		// open starts the channel's work and returns once it runs.
		open func(t *testing.T, cl *ssh.Client)
		// final: the case's allowed request records a final output.
		final bool
	}
	execCase := func(cmd, ready string) func(t *testing.T, cl *ssh.Client) {
		return func(t *testing.T, cl *ssh.Client) {
			s, err := cl.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(cmd); err != nil {
				t.Fatal(err)
			}
			readUntil(t, out, ready)
		}
	}
	cases := []channelCase{
		{name: "exec sleeping", final: true, open: execCase("echo started; sleep 30", "started")},
		{name: "exec printing", final: true, open: execCase("echo started; while :; do echo line; sleep 0.01; done", "started")},
		{name: "shell recording input", final: true, cfg: func(c *Config) { c.RecordInput = true },
			open: func(t *testing.T, cl *ssh.Client) {
				s, err := cl.NewSession()
				if err != nil {
					t.Fatal(err)
				}
				if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
					t.Fatal(err)
				}
				in, err := s.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				out, err := s.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Shell(); err != nil {
					t.Fatal(err)
				}
				if _, err := io.WriteString(in, "echo typed-$((40+2))\n"); err != nil {
					t.Fatal(err)
				}
				readUntil(t, out, "typed-42")
				// Input still arriving as the connection ends.
				_, _ = io.WriteString(in, "sleep 30")
			}},
		{name: "sftp", open: func(t *testing.T, cl *ssh.Client) {
			sc, err := sftp.NewClient(cl)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sc.ReadDir("/"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "forward to a silent target", open: func(t *testing.T, cl *ssh.Client) {
			c, err := cl.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := &record.Memory{}
			var opts []func(*Config)
			if tc.cfg != nil {
				opts = append(opts, tc.cfg)
			}
			g := startGatewayWith(t, up, rules, slowOutputRecorder{Next: mem, Delay: 20 * time.Millisecond}, opts...)
			g.rec = mem
			// The human may open shells; everything else is the same.
			cl := g.goClient(t, g.human)
			tc.open(t, cl)
			_ = cl.Close()

			closed := make(chan struct{})
			go func() {
				_ = g.proxy.Close()
				<-g.served
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(20 * time.Second):
				left := g.goroutines(true)
				release() // lets the gateway's cleanup end
				t.Fatalf("the gateway did not end the connection in 20s: %d goroutine groups left:\n%s", len(left), strings.Join(left, "\n\n"))
			}
			// At once: what the connection started has ended.
			if left := g.goroutines(true); len(left) > 0 {
				t.Errorf("%d goroutine groups of the connection outlive it:\n%s", len(left), strings.Join(left, "\n\n"))
			}
			sessions := mem.Sessions()
			if len(sessions) != 1 {
				t.Fatalf("%d sessions recorded", len(sessions))
			}
			evs := mem.GateEvents(sessions[0])
			if len(evs) == 0 || evs[len(evs)-1].Kind != gate.EventSessionEnd {
				t.Fatalf("the session's end is not its last event: %v", kinds(evs))
			}
			if tc.final {
				allowed := map[string]bool{}
				for _, e := range evs {
					if e.Kind == gate.EventDecision && e.Decision.Action == gate.Allow {
						allowed[e.Decision.ID] = true
					}
				}
				found := false
				for _, e := range evs {
					found = found || e.Kind == gate.EventOutput && e.Output.Final && allowed[e.Output.DecisionID]
				}
				if !found {
					t.Errorf("the request's end is not recorded before the session's: %v", kinds(evs))
				}
			}
			// Nothing is recorded late, and nothing of the connection
			// lingers (the SSH library's own readers end with their
			// sockets, a moment later).
			deadline := time.Now().Add(5 * time.Second)
			for len(g.goroutines(false)) > 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if left := g.goroutines(false); len(left) > 0 {
				t.Errorf("%d goroutine groups of the gateway still run 5s after Close:\n%s", len(left), strings.Join(left, "\n\n"))
			}
			if n := len(mem.GateEvents(sessions[0])); n != len(evs) {
				t.Errorf("%d events recorded after the session's end: %v", n-len(evs), kinds(mem.GateEvents(sessions[0])[len(evs):]))
			}
		})
	}
}

// kinds lists the kinds of evs, outputs with their stream and finality.
func kinds(evs []gate.Event) []string {
	var out []string
	for _, e := range evs {
		k := string(e.Kind)
		if e.Output != nil {
			k += "/" + e.Output.Stream
			if e.Output.Final {
				k += "/final"
			}
		}
		out = append(out, k)
	}
	return out
}
