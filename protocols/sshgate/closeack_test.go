package sshgate

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// muteConn is a client's TCP connection that, once muted, swallows what
// the client writes: the gateway hears nothing more from it, the close
// that acknowledges a channel's end included, while the connection stays
// open.
type muteConn struct {
	net.Conn
	muted atomic.Bool
}

func (m *muteConn) Write(p []byte) (int, error) {
	if m.muted.Load() {
		return len(p), nil
	}
	return m.Conn.Write(p)
}

// forwardRules are testRules with forwards allowed.
const forwardRules = testRules + `
  - name: forwards
    when: ssh.kind == "forward"
    action: allow
`

// TestUnacknowledgedCloseEndsConnection: a client that keeps its
// connection open but never acknowledges the close of a channel the
// gateway ended (a session, a forward) does not keep that channel's
// handlers: after the grace the gateway ends the connection.
func TestUnacknowledgedCloseEndsConnection(t *testing.T) {
	t.Parallel()
	g := startGateway(t, startSSHD(t), forwardRules, func(c *Config) { c.closeAckGrace = 300 * time.Millisecond })
	t.Run("session", func(t *testing.T) {
		cl, mc := dialMuted(t, g)
		s, err := cl.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start("sleep 1; echo done"); err != nil {
			t.Fatal(err)
		}
		// The exec was accepted: from now on the gateway hears nothing.
		mc.muted.Store(true)
		waitConnectionEnds(t, g, cl)
	})
	t.Run("forward", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				time.Sleep(500 * time.Millisecond)
				c.Close() // the target ends the forward
			}
		}()
		cl, mc := dialMuted(t, g)
		fc, err := cl.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		// The client is done sending, then hears the target's end but
		// never acknowledges the channel's close.
		if err := fc.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		mc.muted.Store(true)
		waitConnectionEnds(t, g, cl)
	})
}

// dialMuted connects to g as the agent through a muteConn.
func dialMuted(t *testing.T, g *gateway) (*ssh.Client, *muteConn) {
	t.Helper()
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
	mc := &muteConn{Conn: nc}
	cc, chans, reqs, err := ssh.NewClientConn(mc, g.addr, &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(g.agent.signer)}, HostKeyCallback: ssh.FixedHostKey(pub),
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := ssh.NewClient(cc, chans, reqs)
	t.Cleanup(func() { cl.Close() })
	return cl, mc
}

// waitConnectionEnds waits for the gateway to end cl's connection, and
// for the goroutines of the connection to end.
func waitConnectionEnds(t *testing.T, g *gateway, cl *ssh.Client) {
	t.Helper()
	ended := make(chan error, 1)
	go func() { ended <- cl.Wait() }()
	select {
	case <-ended:
	case <-time.After(15 * time.Second):
		t.Fatal("the connection is still open 15s after the channel ended unacknowledged")
	}
	// The channel's handler and the connection's goroutines are gone
	// (Serve's own goroutine stays).
	connection := func() []string {
		var out []string
		for _, grp := range g.goroutines(true) {
			if strings.Contains(grp, "sshgate.(*conn)") || strings.Contains(grp, "sshgate.(*sessionChan)") ||
				strings.Contains(grp, "sshgate.(*Proxy).ServeConn") {
				out = append(out, grp)
			}
		}
		return out
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(connection()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if left := connection(); len(left) > 0 {
		t.Errorf("goroutines of the connection left: %s", strings.Join(left, "\n\n"))
	}
}
