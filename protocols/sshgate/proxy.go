package sshgate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/crypto/ssh"
)

// Proxy is an SSH gateway: it terminates SSH from the client, authenticates
// it with Auth, opens its own SSH connection to Upstream with a key the
// gateway holds, and forwards only what the gate allows: exec commands,
// shells, sftp operations and port forwards, each judged by the rules.
//
// Configure the fields, then call Serve or ServeConn. Gate, HostKeys, Auth,
// Upstream.Addr, Upstream.Signer and Upstream.HostKeyCallback are required.
type Proxy struct {
	// Gate judges and records every request.
	Gate *gate.Gate
	// HostKeys are the gateway's own host keys, shown to clients.
	HostKeys []ssh.Signer
	// Auth maps a client's key or certificate to an identity.
	Auth Authenticator
	// Upstream is the host the gateway connects to.
	Upstream Upstream
	// EnvAllow lists the environment variables a client may pass (env
	// requests); a trailing * matches a prefix. Nil means LANG and LC_*.
	EnvAllow []string
	// RecordInput records what the client types into an interactive shell
	// (stream "stdin"). Off by default: input holds passwords.
	RecordInput bool
	// RecordLimit bounds the output bytes recorded per channel and stream;
	// beyond it one Truncated output event is recorded and output still
	// flows to the client, masked. Zero means 8 MiB; negative means no
	// limit.
	RecordLimit int64
	// Ciphers are the ciphers offered to clients. Nil means AES-GCM only:
	// AEAD ciphers with hardware support in Go, which keeps the gateway fast
	// (OpenSSH clients otherwise pick chacha20-poly1305, which Go computes
	// without assembly on amd64).
	Ciphers []string
	// HandshakeTimeout bounds the client's SSH handshake; zero means 30s.
	HandshakeTimeout time.Duration
	// Logger receives operational logs; nil means silence.
	Logger hclog.Logger
}

// Upstream is the SSH server behind the gateway and how to log in to it.
type Upstream struct {
	// Addr is host:port.
	Addr string
	// User to log in as; empty uses the user name the client asked for.
	User string
	// Signer is the gateway-held private key used to authenticate upstream.
	Signer ssh.Signer
	// HostKeyCallback checks the upstream's host key: knownhosts.New for a
	// known_hosts file or ssh.FixedHostKey for a pinned key. Required; a
	// nil callback refuses to connect.
	HostKeyCallback ssh.HostKeyCallback
	// Timeout bounds dialing and the handshake; zero means 15s.
	Timeout time.Duration
}

func (p *Proxy) log() hclog.Logger {
	if p.Logger == nil {
		return hclog.NewNullLogger()
	}
	return p.Logger
}

func (p *Proxy) check() error {
	switch {
	case p.Gate == nil:
		return errors.New("ssh: proxy has no Gate")
	case len(p.HostKeys) == 0:
		return errors.New("ssh: proxy has no HostKeys")
	case p.Auth == nil:
		return errors.New("ssh: proxy has no Auth")
	case p.Upstream.Addr == "":
		return errors.New("ssh: proxy has no Upstream.Addr")
	case p.Upstream.Signer == nil:
		return errors.New("ssh: proxy has no Upstream.Signer")
	case p.Upstream.HostKeyCallback == nil:
		return errors.New("ssh: proxy has no Upstream.HostKeyCallback (use knownhosts.New or ssh.FixedHostKey)")
	}
	return nil
}

// Serve accepts connections on l until ctx ends or l fails, and serves each
// with ServeConn. It closes l when ctx ends and waits for nothing: open
// connections end with their own context.
func (p *Proxy) Serve(ctx context.Context, l net.Listener) error {
	if err := p.check(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("ssh: accept: %w", err)
		}
		go func() {
			if err := p.ServeConn(ctx, c); err != nil {
				p.log().Debug("connection ended", "client", c.RemoteAddr().String(), "error", err)
			}
		}()
	}
}

// ServeConn serves one client connection and closes it. It returns when the
// client disconnects, the upstream connection ends, or ctx ends.
func (p *Proxy) ServeConn(ctx context.Context, nc net.Conn) error {
	defer nc.Close()
	if err := p.check(); err != nil {
		return err
	}
	var claimed string // the user name the client last tried to log in as
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: publicKeyCallback(p.Auth),
		ServerVersion:     "SSH-2.0-Airlock",
		MaxAuthTries:      6,
		AuthLogCallback:   func(m ssh.ConnMetadata, _ string, _ error) { claimed = m.User() },
	}
	cfg.Ciphers = p.Ciphers
	if cfg.Ciphers == nil {
		cfg.Ciphers = []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}
	}
	for _, k := range p.HostKeys {
		cfg.AddHostKey(k)
	}
	ht := p.HandshakeTimeout
	if ht == 0 {
		ht = 30 * time.Second
	}
	_ = nc.SetDeadline(time.Now().Add(ht))
	sconn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		_ = p.Gate.RecordRefusal(ctx, gate.Refusal{Protocol: gate.ProtocolSSH, Target: p.Upstream.Addr, ClientAddr: nc.RemoteAddr().String(), Claimed: claimed, Reason: "handshake: " + err.Error()})
		return fmt.Errorf("ssh: client handshake: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	defer sconn.Close()

	id, err := identityFrom(sconn.Permissions)
	if err != nil {
		return err
	}
	s := &gate.Session{Protocol: gate.ProtocolSSH, Target: p.Upstream.Addr, Identity: id, ClientAddr: nc.RemoteAddr().String()}
	if err := p.Gate.OpenSession(ctx, s); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(gate.WithSession(ctx, s))
	defer cancel()
	reason := "client closed"
	defer func() { _ = p.Gate.CloseSession(context.WithoutCancel(ctx), s, reason) }()

	up, err := p.dialUpstream(sconn.User())
	if err != nil {
		reason = "upstream: " + err.Error()
		p.log().Error("upstream connection failed", "session", s.ID, "error", err)
		return err
	}
	defer up.Close()

	c := &conn{p: p, s: s, ctx: ctx, up: up, client: sconn}
	stop := context.AfterFunc(ctx, func() { sconn.Close() })
	defer stop()
	go func() {
		// The upstream going away ends the client connection too.
		_ = up.Wait()
		sconn.Close()
	}()
	go c.globalRequests(reqs)
	for nch := range chans {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.channel(nch)
		}()
	}
	cancel()
	c.wg.Wait()
	return nil
}

// dialUpstream connects and authenticates to the upstream host.
func (p *Proxy) dialUpstream(clientUser string) (*ssh.Client, error) {
	u := p.Upstream
	user := u.User
	if user == "" {
		user = clientUser
	}
	timeout := u.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(u.Signer)},
		HostKeyCallback: u.HostKeyCallback,
		Timeout:         timeout,
		ClientVersion:   "SSH-2.0-Airlock",
	}
	nc, err := net.DialTimeout("tcp", u.Addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("ssh: dial upstream: %w", err)
	}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	c, chans, reqs, err := ssh.NewClientConn(nc, u.Addr, cfg)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("ssh: upstream handshake: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// conn is one client connection with its upstream.
type conn struct {
	p      *Proxy
	s      *gate.Session
	ctx    context.Context
	up     *ssh.Client
	client *ssh.ServerConn
	wg     sync.WaitGroup
}

// refused records a request the gateway refuses without asking the rules
// (remote forwarding, agent and X11 forwarding, unknown channel types).
func (c *conn) refused(what string) {
	c.p.log().Info("refused", "session", c.s.ID, "what", what)
	_ = c.p.Gate.RecordEvent(c.ctx, c.s, gate.Event{Kind: gate.EventError, Error: "ssh: refused " + what})
}

// globalRequests refuses every global request: tcpip-forward and
// streamlocal-forward (ssh -R) are never allowed, and keepalives get the
// failure reply OpenSSH expects from a server that does not know them.
func (c *conn) globalRequests(reqs <-chan *ssh.Request) {
	for r := range reqs {
		switch r.Type {
		case "tcpip-forward", "cancel-tcpip-forward", "streamlocal-forward@openssh.com", "cancel-streamlocal-forward@openssh.com":
			c.refused("global request " + r.Type)
		}
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
	}
}

// channel dispatches a new channel by type.
func (c *conn) channel(nch ssh.NewChannel) {
	switch nch.ChannelType() {
	case "session":
		c.session(nch)
	case "direct-tcpip":
		c.directTCPIP(nch)
	case "direct-streamlocal@openssh.com":
		c.directStreamlocal(nch)
	default:
		c.refused("channel " + nch.ChannelType())
		_ = nch.Reject(ssh.UnknownChannelType, "airlock: channel type not allowed")
	}
}

// policy returns the output masker of a decision. A decision that asks for
// masking without a masker is an error: the request must be refused.
func (c *conn) policy(d *gate.Decision) (*mask.Policy, error) {
	if d == nil || len(d.Mask) == 0 {
		return nil, nil
	}
	if d.Masker == nil {
		return nil, errors.New("ssh: the decision asks for masking but carries no masker")
	}
	return d.Masker, nil
}
