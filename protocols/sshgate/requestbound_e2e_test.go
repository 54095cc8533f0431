package sshgate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// requestFlood is one way a client sends requests in a loop.
type requestFlood struct {
	name   string
	global bool
	probe  requestProbe
}

// requestFloods are the requests a client can repeat without end: on a
// session channel before its program and while it runs, and global ones.
func requestFloods() []requestFlood {
	var fs []requestFlood
	for _, p := range []requestProbe{
		{typ: "env", payload: ssh.Marshal(struct{ Name, Value string }{"LANG", "C"}), env: "LANG"},
		{typ: "env", payload: ssh.Marshal(struct{ Name, Value string }{"X_FLOOD", "v"}), env: "X_FLOOD"},
		{typ: "window-change", payload: ssh.Marshal(struct{ Cols, Rows, W, H uint32 }{100, 30, 0, 0})},
		{typ: "keepalive@openssh.com"},
		{typ: "unknown@example.com", payload: []byte("x")},
		{typ: "break", payload: ssh.Marshal(struct{ Ms uint32 }{0})},
	} {
		fs = append(fs, requestFlood{name: "channel " + p.typ + " " + p.env, probe: p})
	}
	for _, typ := range []string{"keepalive@openssh.com", "unknown@example.com", "no-more-sessions@openssh.com"} {
		fs = append(fs, requestFlood{name: "global " + typ, global: true, probe: requestProbe{typ: typ}})
	}
	return fs
}

// floodRequests sends n requests of f on a fresh connection and reports
// how many request events of the client the record holds and whether the
// bound's error event is in it.
func floodRequests(t *testing.T, g *gateway, f requestFlood, n int) (int, bool) {
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	var ch ssh.Channel
	if !f.global {
		c, reqs, err := cl.OpenChannel("session", nil)
		if err != nil {
			t.Fatal(err)
		}
		go ssh.DiscardRequests(reqs)
		ch = c
	}
	for i := 0; i < n; i++ {
		var err error
		if f.global {
			_, _, err = cl.SendRequest(f.probe.typ, true, nil)
		} else {
			_, err = ch.SendRequest(f.probe.typ, true, f.probe.payload)
		}
		if err != nil {
			break // the gateway ended the connection
		}
	}
	cl.Close()
	g.waitIdle(t)
	// The client's requests: the upstream's (its host keys after login)
	// are bounded apart.
	events := 0
	for _, e := range g.events(gate.EventRequest) {
		if e.Request != nil && e.Request.SSH != nil && !strings.HasPrefix(e.Request.Command, "upstream ") {
			events++
		}
	}
	bound := false
	for _, e := range g.events(gate.EventError) {
		if strings.Contains(e.Error, "connection ended: more than") {
			bound = true
		}
	}
	return events, bound
}

// TestRequestFloodBounded: a client repeating any request (env allowed or
// refused, window-change, break, keepalives, unknown names, global ones)
// cannot grow the record past Config.MaxRequests: the connection is ended
// and the reason recorded. The same floods without a bound (the gateway
// as it was) record every request.
func TestRequestFloodBounded(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	const limit, sent = 40, 300
	grew, bounded := 0, 0
	for _, f := range requestFloods() {
		unbounded := startGateway(t, up, testRules, func(c *Config) { c.MaxRequests = -1 })
		if n, _ := floodRequests(t, unbounded, f, sent); n > limit {
			grew++
		}
		g := startGateway(t, up, testRules, func(c *Config) { c.MaxRequests = limit })
		n, bound := floodRequests(t, g, f, sent)
		if n > limit || !bound {
			t.Errorf("%s: %d request events (bound %d), bound recorded %v", f.name, n, limit, bound)
			continue
		}
		bounded++
	}
	t.Logf("without a bound %d of %d floods grew the record past %d; with it %d of %d ended at the bound",
		grew, len(requestFloods()), limit, bounded, len(requestFloods()))
}

// TestOrdinarySessionsBelowRequestBound: an interactive ssh -tt session
// with a few resizes and an sftp batch stay far below the default bound
// and are not ended by it.
func TestOrdinarySessionsBelowRequestBound(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, testRules)
	cl := g.goClient(t, g.agent)
	ch, reqs, err := cl.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	go ssh.DiscardRequests(reqs)
	if ok, err := ch.SendRequest("pty-req", true, ssh.Marshal(struct {
		Term             string
		Cols, Rows, W, H uint32
		Modes            string
	}{"xterm", 80, 24, 0, 0, "\x00"})); err != nil || !ok {
		t.Fatalf("pty-req: %v %v", ok, err)
	}
	if ok, err := ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"sleep 1; echo done"})); err != nil || !ok {
		t.Fatalf("exec: %v %v", ok, err)
	}
	for i := 0; i < 5; i++ {
		_, _ = ch.SendRequest("window-change", false, ssh.Marshal(struct{ Cols, Rows, W, H uint32 }{uint32(80 + i*10), 24, 0, 0}))
	}
	out := make([]byte, 64)
	n, _ := ch.Read(out)
	_ = ch.Close()
	cl.Close()
	if r := run(t, "", "ssh", append([]string{"-tt"}, append(sshArgs(g.addr, g.agent, "-p"), "--", "echo hi")...)...); r.code != 0 {
		t.Fatalf("ssh -tt: %+v", r)
	}
	dir := t.TempDir()
	bf := filepath.Join(dir, "batch")
	if err := os.WriteFile(bf, []byte("pwd\nls\npwd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "sftp", append([]string{"-b", bf}, sshArgs(g.addr, g.agent, "-P")...)...); r.code != 0 {
		t.Fatalf("sftp: %+v", r)
	}
	g.waitIdle(t)
	events := len(g.events(gate.EventRequest))
	for _, e := range g.events(gate.EventError) {
		if strings.Contains(e.Error, "connection ended") {
			t.Errorf("an ordinary session hit the request bound: %s", e.Error)
		}
	}
	if events*10 > DefaultMaxRequests {
		t.Errorf("ordinary sessions recorded %d request events, not well below %d", events, DefaultMaxRequests)
	}
	t.Logf("ordinary sessions: %d request events (bound %d), output %q", events, DefaultMaxRequests, out[:n])
}

// waitIdle waits until every session the gateway started has ended.
func (g *gateway) waitIdle(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if len(g.events(gate.EventSessionEnd)) >= len(g.events(gate.EventSessionStart)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("sessions did not end")
		}
	}
}

// TestUpstreamExitsRelayedAreRecorded: every exit-status and exit-signal
// the gateway relays from the upstream to the client is a request event
// naming it, recorded before it is relayed.
func TestUpstreamExitsRelayedAreRecorded(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, testRules)
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	cases := []struct{ cmd, typ string }{
		{"true", "exit-status"}, {"exit 3", "exit-status"}, {"exit 255", "exit-status"},
		{"kill -TERM $$", "exit-signal"}, {"kill -KILL $$", "exit-signal"}, {"kill -HUP $$", "exit-signal"},
	}
	missing := 0
	for _, c := range cases {
		before := 0
		for _, e := range g.events(gate.EventRequest) {
			if e.Request.SSH != nil && e.Request.SSH.Kind == c.typ && strings.HasPrefix(e.Request.Command, "upstream ") {
				before++
			}
		}
		s, err := cl.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		err = s.Run(c.cmd)
		s.Close()
		if c.cmd != "true" && err == nil {
			t.Errorf("%s: no exit reached the client", c.cmd)
		}
		after := 0
		for _, e := range g.events(gate.EventRequest) {
			if e.Request.SSH != nil && e.Request.SSH.Kind == c.typ && strings.HasPrefix(e.Request.Command, "upstream ") &&
				strings.HasSuffix(e.Request.Command, ": "+outcomeForwarded) {
				after++
			}
		}
		if after <= before {
			missing++
			t.Errorf("%s: the relayed %s is not a request event", c.cmd, c.typ)
		}
	}
	t.Logf("%d of %d relayed exits not in the record as request events", missing, len(cases))
}
