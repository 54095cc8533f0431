package sshgate

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// boundEnded reports whether the gateway recorded the request bound.
func boundEnded(g *gateway) bool {
	for _, e := range g.events(gate.EventError) {
		if strings.Contains(e.Error, "connection ended: more than") {
			return true
		}
	}
	return false
}

// TestRequestBoundCountsOnlyTheClient: Config.MaxRequests bounds what the
// client sends. For a table of connections (commands run one after
// another on one connection, each after a number of env requests), a connection whose client sends up to
// the bound runs every command to its exit, however many exits the
// upstream sends back; one request more ends it. Before, each relayed
// exit counted too, and a connection ended about halfway to its bound.
func TestRequestBoundCountsOnlyTheClient(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	const limit = 12
	g := startGateway(t, up, testRules, func(c *Config) { c.MaxRequests = limit })
	env := ssh.Marshal(struct{ Name, Value string }{"LANG", "C"})
	// run runs commands one after another, each after perCommand client
	// requests, and reports how many exited with status 0.
	run := func(commands, perCommand int, extra int) int {
		cl := g.goClient(t, g.agent)
		defer cl.Close()
		done := 0
		for i := range commands {
			ch, reqs, err := cl.OpenChannel("session", nil)
			if err != nil {
				break
			}
			exited := make(chan int, 1)
			go func() {
				code := -1
				for r := range reqs {
					if r.Type == "exit-status" {
						var st struct{ Status uint32 }
						if ssh.Unmarshal(r.Payload, &st) == nil {
							code = int(st.Status)
						}
					}
				}
				exited <- code
			}()
			n := perCommand
			if i == commands-1 {
				n += extra
			}
			for range n {
				_, _ = ch.SendRequest("env", true, env)
			}
			if ok, err := ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"true"})); err != nil || !ok {
				break
			}
			_, _ = io.Copy(io.Discard, ch)
			if <-exited == 0 {
				done++
			}
			_ = ch.Close()
		}
		cl.Close()
		g.waitIdle(t)
		return done
	}
	ended, wrong := 0, 0
	cases := 0
	for _, c := range []struct{ commands, per int }{{12, 1}, {6, 2}, {4, 3}, {12, 0}, {3, 4}, {2, 6}, {1, 12}} {
		cases++
		before := len(g.events(gate.EventError))
		done := run(c.commands, c.per, 0)
		hit := false
		for _, e := range g.events(gate.EventError)[before:] {
			hit = hit || strings.Contains(e.Error, "connection ended: more than")
		}
		if hit || done != c.commands {
			ended++
			t.Errorf("%d commands after %d client requests each (%d in all, bound %d): %d exited, bound hit %v",
				c.commands, c.per, c.commands*c.per, limit, done, hit)
		}
		// One client request more than the bound ends the connection.
		before = len(g.events(gate.EventError))
		if c.per > 0 {
			done = run(c.commands, c.per, 1)
			hit = false
			for _, e := range g.events(gate.EventError)[before:] {
				hit = hit || strings.Contains(e.Error, "connection ended: more than 12 requests from the client")
			}
			if !hit || done == c.commands {
				wrong++
				t.Errorf("%d commands, %d requests each and one more: %d exited, bound hit %v", c.commands, c.per, done, hit)
			}
		}
	}
	t.Logf("%d of %d connections within the bound were ended by it; %d past it were not", ended, cases, wrong)
}

// TestRequestBoundEndsForwardInFlight: a port forward carries a stream
// from its target while the client sends keepalives until the bound ends
// the connection. The forward ends with it: the target's connection is
// closed, and nothing the target sends after the end reaches the client
// (the client's forward reads end; no request event follows the bound's
// error event).
func TestRequestBoundEndsForwardInFlight(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	// The target streams lines until its connection ends; closedAt is
	// when it read the end.
	targetClosed := make(chan struct{})
	var closedAt atomic.Int64
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		go func() {
			_, _ = io.Copy(io.Discard, c)
			closedAt.Store(time.Now().UnixNano())
			close(targetClosed)
		}()
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(c, "tick %d\n", i); err != nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	const limit = 20
	g := startGateway(t, up, testRules+`
  - name: stream-forward
    when: ssh.kind == "forward" && ssh.host == "127.0.0.1" && ssh.port == `+strconv.Itoa(port)+`
    action: allow
`, func(c *Config) { c.MaxRequests = limit })
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	fc, err := cl.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	buf := make([]byte, 4096)
	if n, err := io.ReadAtLeast(fc, buf, 16); err != nil || !strings.HasPrefix(string(buf[:n]), "tick 0") {
		t.Fatalf("the forward carries nothing: %q %v", buf[:n], err)
	}
	sent := 0
	for ; sent < 10*limit; sent++ {
		if _, _, err := cl.SendRequest("keepalive@openssh.com", true, nil); err != nil {
			break
		}
	}
	ended := time.Now()
	if sent > limit {
		t.Fatalf("%d requests answered past a bound of %d", sent, limit)
	}
	// The client's side of the forward ends: reads stop with an error.
	readEnd := make(chan error, 1)
	go func() {
		for {
			if _, err := fc.Read(buf); err != nil {
				readEnd <- err
				return
			}
		}
	}()
	select {
	case <-readEnd:
	case <-time.After(10 * time.Second):
		t.Fatal("the forward still delivers data after the connection ended")
	}
	// The target's connection is closed by the gateway's end.
	select {
	case <-targetClosed:
		if d := time.Unix(0, closedAt.Load()).Sub(ended); d > 5*time.Second {
			t.Errorf("the target's connection closed %v after the bound", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the target's connection stays open after the connection ended")
	}
	if _, err := fc.Write([]byte("more")); err == nil {
		t.Error("the client wrote into a forward of an ended connection")
	}
	g.waitIdle(t)
	if !boundEnded(g) {
		t.Error("the bound is not in the record")
	}
	n := 0
	for _, e := range g.events(gate.EventRequest) {
		if e.Request != nil && strings.HasPrefix(e.Request.Command, "global keepalive") {
			n++
		}
	}
	if n > limit {
		t.Errorf("%d keepalives recorded past a bound of %d", n, limit)
	}
}
