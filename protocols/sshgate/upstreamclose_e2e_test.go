package sshgate

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// chattyUpstream is an SSH server of its own (golang.org/x/crypto/ssh)
// in the upstream's place. OpenSSH sends requests on a session channel
// only at moments it picks (a keepalive@openssh.com a second at most), and
// this test needs requests at every moment of a channel's life: as soon
// as it opens, after a refused terminal or program, around a program's
// output and exit, after the gateway closed it. Every request it sent
// (its write succeeded, so it is on the wire before the server's close)
// is in sent.
type chattyUpstream struct {
	mu   sync.Mutex
	sent map[string]bool
	seq  atomic.Int64
}

// startChattyUpstream serves the upstream until the test ends; the sshd
// it returns is what the gateway needs to dial it.
func startChattyUpstream(t *testing.T) (*sshd, *chattyUpstream) {
	t.Helper()
	dir := t.TempDir()
	host := newKey(t, dir, "up_host")
	user := newKey(t, dir, "up_user")
	u := &chattyUpstream{sent: map[string]bool{}}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) != string(user.signer.PublicKey().Marshal()) {
			return nil, fmt.Errorf("unknown key")
		}
		return nil, nil
	}}
	cfg.AddHostKey(host.signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
				if err != nil {
					_ = nc.Close()
					return
				}
				defer sc.Close()
				go ssh.DiscardRequests(reqs)
				for nch := range chans {
					ch, creqs, err := nch.Accept()
					if err != nil {
						continue
					}
					go u.serve(ch, creqs)
				}
			}()
		}
	}()
	return &sshd{addr: l.Addr().String(), hostKey: host.signer.PublicKey(), userKey: user, user: "root", log: &syncWriter{}}, u
}

// send sends n requests on ch, each with a payload of its own, and notes
// those whose write succeeded.
func (u *chattyUpstream) send(ch ssh.Channel, n int) {
	for range n {
		id := fmt.Sprintf("upstream-probe-%d", u.seq.Add(1))
		if _, err := ch.SendRequest("probe@example.com", false, []byte(id)); err != nil {
			return
		}
		u.mu.Lock()
		u.sent[id] = true
		u.mu.Unlock()
	}
}

// serve sends requests as soon as the channel opens, refuses a terminal,
// refuses the program "refuse" and runs any other: a line of output, an
// exit status, requests before, between and after each, then its close.
func (u *chattyUpstream) serve(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	u.send(ch, 3)
	for r := range reqs {
		switch r.Type {
		case "pty-req":
			_ = r.Reply(false, nil)
			u.send(ch, 2)
		case "exec":
			var p struct{ Command string }
			_ = ssh.Unmarshal(r.Payload, &p)
			if p.Command == "refuse" {
				_ = r.Reply(false, nil)
				u.send(ch, 3)
				continue
			}
			_ = r.Reply(true, nil)
			u.send(ch, 2)
			_, _ = io.WriteString(ch, "out\n")
			u.send(ch, 2)
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
			u.send(ch, 2)
			_ = ch.CloseWrite()
			return
		default:
			if r.WantReply {
				_ = r.Reply(true, nil)
			}
		}
	}
}

// TestUpstreamRequestsAroundTheChannelsEnd: every request the upstream
// sends on a session channel is in the record, whenever it comes — as the
// channel opens, while the gateway judges the program, after the
// upstream refused the terminal or the program, around the program's
// exit, and while the client closes the channel. A generator crosses the
// program's fate (runs, refused upstream, terminal refused upstream) with
// how the client ends (reads to the end, closes at once after asking),
// with and without want-reply on exec, over many channels on connections
// running side by side, so the close races every step of the gateway.
// The gateway's own channel, the login probe's, is watched too. Before,
// a request that came on a channel whose program never started
// (the client left while it was judged, the upstream refused it or its
// terminal) was never read, so never recorded: about 715 of 1040
// missing on each of three runs; with the session channels fixed, the
// login probe's channel still lost 18 of 1056.
func TestUpstreamRequestsAroundTheChannelsEnd(t *testing.T) {
	t.Parallel()
	up, chatty := startChattyUpstream(t)
	// One gateway knows the upstream's home; the other asks for it with
	// a probe on a channel of its own, which gets requests too.
	gateways := []*gateway{
		startGateway(t, up, testRules, func(c *Config) { c.Upstream.Home = "/root" }),
		startGateway(t, up, testRules),
	}
	type mode struct {
		command           string
		pty, leave, reply bool
	}
	var modes []mode
	for _, command := range []string{"id", "refuse"} {
		for _, pty := range []bool{false, true} {
			for _, leave := range []bool{false, true} {
				for _, reply := range []bool{false, true} {
					modes = append(modes, mode{command, pty, leave, reply})
				}
			}
		}
	}
	const conns, perConn = 4, 48
	var wg sync.WaitGroup
	for k := range conns {
		g := gateways[k%len(gateways)]
		cl := g.goClient(t, g.agent)
		wg.Go(func() {
			defer cl.Close()
			for i := range perConn {
				m := modes[i%len(modes)]
				ch, reqs, err := cl.OpenChannel("session", nil)
				if err != nil {
					t.Errorf("open: %v", err)
					return
				}
				go ssh.DiscardRequests(reqs)
				if m.pty {
					_, _ = ch.SendRequest("pty-req", true, ssh.Marshal(struct {
						Term             string
						Cols, Rows, W, H uint32
						Modes            string
					}{"xterm", 80, 24, 0, 0, ""}))
				}
				_, _ = ch.SendRequest("exec", m.reply, ssh.Marshal(struct{ Command string }{m.command}))
				if !m.leave {
					_, _ = io.Copy(io.Discard, ch)
				}
				_ = ch.Close()
			}
		})
	}
	wg.Wait()
	// Each connection's end is recorded once all its channels have ended.
	ended := func() int {
		n := 0
		for _, g := range gateways {
			n += len(g.events(gate.EventSessionEnd))
		}
		return n
	}
	for deadline := time.Now().Add(20 * time.Second); ended() < conns; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sessions ended", ended(), conns)
		}
	}
	recorded := map[string]bool{}
	probeChannel := 0
	for _, g := range gateways {
		for _, e := range g.events(gate.EventRequest) {
			if e.Request != nil && e.Request.SSH != nil && e.Request.SSH.Kind == "probe@example.com" {
				recorded[string(e.Request.Payload)] = true
				if strings.HasPrefix(e.Request.Command, "upstream login probe ") {
					probeChannel++
				}
			}
		}
	}
	if probeChannel == 0 {
		t.Error("no request on the login probe's channel recorded: the test no longer exercises it")
	}
	chatty.mu.Lock()
	defer chatty.mu.Unlock()
	missing := 0
	for id := range chatty.sent {
		if !recorded[id] {
			missing++
		}
	}
	t.Logf("%d of %d upstream requests missing from the record", missing, len(chatty.sent))
	if missing > 0 {
		t.Errorf("%d of %d upstream requests missing from the record", missing, len(chatty.sent))
	}
	if len(chatty.sent) < conns*perConn*3 {
		t.Errorf("only %d upstream requests sent: the test no longer exercises the channel's start", len(chatty.sent))
	}
}
