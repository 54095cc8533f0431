package sshgate

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// TestUpstreamRequestsRecordedNeverRelayed: a real sshd sends requests
// of its own — hostkeys-00@openssh.com after every login, and under
// ClientAliveInterval a keepalive@openssh.com on the first open channel
// or, with none open, as a global request. For each situation (a login;
// an idle connection without channels; an idle port forward; a running
// command) the request is in the record as an upstream request the
// gateway refused, and none of them reaches the client. Before, the
// global ones and those on a forward's channel were dropped unrecorded.
func TestUpstreamRequestsRecordedNeverRelayed(t *testing.T) {
	t.Parallel()
	up := startSSHDWith(t, "ClientAliveInterval 1\n")
	host, port := echoServer(t)
	target := net.JoinHostPort(host, strconv.Itoa(port))
	rules := testRules + `
  - name: echo-forward
    when: ssh.kind == "forward" && ssh.host == "127.0.0.1" && ssh.port == ` + strconv.Itoa(port) + `
    action: allow
`
	// dial connects with the Go client and counts the global requests
	// and channels that reach it.
	dial := func(g *gateway, got *atomic.Int64) *ssh.Client {
		hk, err := os.ReadFile(filepath.Join(g.dir, "gw_host.pub"))
		if err != nil {
			t.Fatal(err)
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(hk)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		c, chans, reqs, err := ssh.NewClientConn(nc, g.addr, &ssh.ClientConfig{
			User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(g.agent.signer)},
			HostKeyCallback: ssh.FixedHostKey(pub), Timeout: 10 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for r := range reqs {
				got.Add(1)
				if r.WantReply {
					_ = r.Reply(false, nil)
				}
			}
		}()
		go func() {
			for nch := range chans {
				got.Add(1)
				_ = nch.Reject(ssh.Prohibited, "test")
			}
		}()
		none, noChans := make(chan *ssh.Request), make(chan ssh.NewChannel)
		close(none)
		close(noChans)
		return ssh.NewClient(c, noChans, none)
	}
	situations := []struct {
		name  string
		run   func(t *testing.T, g *gateway, got *atomic.Int64)
		scope string // the recorded request's scope and type
	}{
		{"login", func(t *testing.T, g *gateway, got *atomic.Int64) {
			if r := g.ssh(g.agent, nil, "true"); r.code != 0 {
				t.Errorf("ssh true: %+v", r)
			}
		}, "upstream global hostkeys-00@openssh.com"},
		{"idle connection", func(t *testing.T, g *gateway, got *atomic.Int64) {
			cl := dial(g, got)
			awaitRequest(g, "upstream global keepalive@openssh.com")
			cl.Close()
		}, "upstream global keepalive@openssh.com"},
		{"idle forward", func(t *testing.T, g *gateway, got *atomic.Int64) {
			cl := dial(g, got)
			ch, reqs, err := cl.OpenChannel("direct-tcpip", ssh.Marshal(struct {
				Host  string
				Port  uint32
				OHost string
				OPort uint32
			}{host, uint32(port), "127.0.0.1", 1}))
			if err != nil {
				t.Errorf("forward to %s: %v", target, err)
				cl.Close()
				return
			}
			go func() {
				for r := range reqs {
					got.Add(1)
					if r.WantReply {
						_ = r.Reply(false, nil)
					}
				}
			}()
			awaitRequest(g, "upstream forward channel keepalive@openssh.com")
			_ = ch.Close()
			cl.Close()
		}, "upstream forward channel keepalive@openssh.com"},
		{"running command", func(t *testing.T, g *gateway, got *atomic.Int64) {
			cl := dial(g, got)
			ch, reqs, err := cl.OpenChannel("session", nil)
			if err != nil {
				t.Errorf("session: %v", err)
				cl.Close()
				return
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				for r := range reqs {
					if r.Type != "exit-status" {
						got.Add(1)
					}
					if r.WantReply {
						_ = r.Reply(false, nil)
					}
				}
			}()
			if ok, err := ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"sleep 3"})); err != nil || !ok {
				t.Errorf("exec: %v %v", ok, err)
			}
			<-done
			cl.Close()
		}, "upstream channel 1 keepalive@openssh.com"},
	}
	var missing, relayed atomic.Int64
	eachConcurrently(len(situations), 4, func(i int) {
		s := situations[i]
		g := startGateway(t, up, rules)
		var got atomic.Int64
		s.run(t, g, &got)
		g.waitIdle(t)
		found := false
		for _, e := range g.events(gate.EventRequest) {
			if c := e.Request.Command; strings.HasPrefix(c, s.scope) {
				found = true
				if !strings.Contains(c, ": refused: ") {
					t.Errorf("%s: %q not refused", s.name, c)
				}
			}
		}
		if !found {
			missing.Add(1)
			t.Errorf("%s: no request event %q", s.name, s.scope)
		}
		if n := got.Load(); n > 0 {
			relayed.Add(1)
			t.Errorf("%s: %d upstream requests or channels reached the client", s.name, n)
		}
	})
	t.Logf("%d of %d upstream requests missing from the record, %d relayed", missing.Load(), len(situations), relayed.Load())
}

// awaitRequest waits, for a few seconds at most, until the record holds a
// request event whose text starts with prefix: sshd sends a keepalive
// after a second without traffic, later on a loaded machine.
func awaitRequest(g *gateway, prefix string) {
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, e := range g.events(gate.EventRequest) {
			if strings.HasPrefix(e.Request.Command, prefix) {
				return
			}
		}
	}
}
