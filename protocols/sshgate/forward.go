package sshgate

import (
	"io"
	"net"
	"strconv"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// directTCPIP judges a local forward (ssh -L, ssh -W) as kind "forward"
// with Host and Port, and opens it from the upstream host when allowed.
func (c *conn) directTCPIP(nch ssh.NewChannel) {
	var p struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &p); err != nil || p.Port > 65535 {
		_ = nch.Reject(ssh.ConnectionFailed, "airlock: malformed direct-tcpip request")
		return
	}
	host, err := canonicalHost(p.Host)
	if err != nil {
		c.refused("direct-tcpip " + strconv.Quote(p.Host) + ": " + err.Error())
		_ = nch.Reject(ssh.Prohibited, err.Error())
		return
	}
	p.Host = host
	c.forward(nch, ssh.Marshal(&p), host, int(p.Port), "direct-tcpip "+net.JoinHostPort(host, strconv.Itoa(int(p.Port))))
}

// directStreamlocal judges a forward to a Unix socket; Host is the path.
func (c *conn) directStreamlocal(nch ssh.NewChannel) {
	var p struct {
		Path      string
		Reserved0 string
		Reserved1 uint32
	}
	if err := ssh.Unmarshal(nch.ExtraData(), &p); err != nil {
		_ = nch.Reject(ssh.ConnectionFailed, "airlock: malformed direct-streamlocal request")
		return
	}
	sock, err := canonicalSocket(p.Path)
	if err != nil {
		c.refused("direct-streamlocal " + strconv.Quote(p.Path) + ": " + err.Error())
		_ = nch.Reject(ssh.Prohibited, err.Error())
		return
	}
	p.Path = sock
	c.forward(nch, ssh.Marshal(&p), sock, 0, "direct-streamlocal "+sock)
}

// forward judges a forward to host and port and, when allowed, opens the
// channel upstream with extra, the request rewritten with the host in the
// spelling the rules judged.
func (c *conn) forward(nch ssh.NewChannel, extra []byte, host string, port int, cmd string) {
	_, err := c.gc.Check(c.ctx, &gate.Request{
		Protocol: gate.ProtocolSSH, Command: cmd,
		SSH: &gate.SSH{Kind: "forward", Host: host, Port: port},
	})
	if err != nil {
		_ = nch.Reject(ssh.Prohibited, err.Error())
		return
	}
	up, ureqs, err := c.up.OpenChannel(nch.ChannelType(), extra)
	if err != nil {
		msg := "airlock: upstream refused the forward"
		if oe, ok := err.(*ssh.OpenChannelError); ok {
			_ = nch.Reject(oe.Reason, msg)
			return
		}
		_ = nch.Reject(ssh.ConnectionFailed, msg)
		return
	}
	// Every goroutine below ends once both channels are closed, which
	// the deferred calls do in this order: close both, then wait.
	var wg sync.WaitGroup
	defer wg.Wait()
	defer up.Close()
	wg.Go(func() { c.refuseForwardRequests("upstream forward channel", ureqs) })
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	// reqs closes once the client acknowledged the channel's close; one
	// that never does has its connection ended (awaitCloseAck).
	acked := make(chan struct{})
	defer c.awaitCloseAck(acked)
	defer ch.Close()
	wg.Go(func() {
		defer close(acked)
		c.refuseForwardRequests("forward channel", reqs)
	})
	// When the connection ends, the forward ends with it, whatever the
	// target does: a target that never answers nor closes would keep
	// the copy from upstream waiting.
	piped := make(chan struct{})
	defer close(piped)
	wg.Go(func() {
		select {
		case <-c.ctx.Done():
			_ = up.Close()
			_ = ch.Close()
		case <-piped:
		}
	})
	var pipes sync.WaitGroup
	pipe := func(dst, src ssh.Channel) {
		_, _ = io.Copy(dst, src)
		_ = dst.CloseWrite()
	}
	pipes.Go(func() { pipe(up, ch) })
	pipes.Go(func() { pipe(ch, up) })
	pipes.Wait()
}

// refuseForwardRequests records and refuses every request on a forward's
// channel, from the client or the upstream (scope says which): a forward
// carries bytes only, and no request crosses it unrecorded.
func (c *conn) refuseForwardRequests(scope string, reqs <-chan *ssh.Request) {
	for r := range reqs {
		_ = c.recordRequest(scope, r.Type, r.Payload, refusedOutcome("not a request a forward carries"))
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
	}
}
