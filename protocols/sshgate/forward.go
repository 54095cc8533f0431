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
	c.forward(nch, p.Host, int(p.Port), "direct-tcpip "+net.JoinHostPort(p.Host, strconv.Itoa(int(p.Port))))
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
	c.forward(nch, p.Path, 0, "direct-streamlocal "+p.Path)
}

func (c *conn) forward(nch ssh.NewChannel, host string, port int, cmd string) {
	_, err := c.gc.Check(c.ctx, &gate.Request{
		Protocol: gate.ProtocolSSH, Command: cmd,
		SSH: &gate.SSH{Kind: "forward", Host: host, Port: port},
	})
	if err != nil {
		_ = nch.Reject(ssh.Prohibited, err.Error())
		return
	}
	up, ureqs, err := c.up.OpenChannel(nch.ChannelType(), nch.ExtraData())
	if err != nil {
		msg := "airlock: upstream refused the forward"
		if oe, ok := err.(*ssh.OpenChannelError); ok {
			_ = nch.Reject(oe.Reason, msg)
			return
		}
		_ = nch.Reject(ssh.ConnectionFailed, msg)
		return
	}
	defer up.Close()
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	go ssh.DiscardRequests(reqs)
	go ssh.DiscardRequests(ureqs)
	var wg sync.WaitGroup
	pipe := func(dst, src ssh.Channel) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		_ = dst.CloseWrite()
	}
	wg.Add(2)
	go pipe(up, ch)
	go pipe(ch, up)
	wg.Wait()
}
