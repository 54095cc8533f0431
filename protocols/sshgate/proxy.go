package sshgate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/crypto/ssh"
)

// Config configures a Proxy. Gate, HostKeys, Authenticator, Upstream.Addr,
// Upstream.Signer and Upstream.HostKeyCallback are required.
type Config struct {
	// Gate judges and records every request; a *gate.Gate, or a wrapper.
	Gate gate.Hub
	// HostKeys are the gateway's own host keys, shown to clients.
	HostKeys []ssh.Signer
	// Authenticator maps the client's key or certificate to an identity. It
	// sees a gate.Credential with User, ClientAddr and PublicKey (the key
	// or certificate in SSH wire format); see AuthorizedKeys and
	// CertAuthority, composed with gate.FirstOf.
	Authenticator gate.Authenticator
	// Upstream is the host the gateway connects to.
	Upstream Upstream
	// EnvAllow lists the environment variables a client may pass (env
	// requests); a trailing * matches a prefix. Nil means LANG and LC_*.
	// Whatever it lists, variables that change what a judged command does
	// (LD_*, BASH_ENV, PATH, IFS, ...) are never passed, and locale
	// variables only with C, POSIX or UTF-8 values.
	EnvAllow []string
	// RecordInput records what the client types into an interactive shell
	// (stream "stdin"). Off by default: input holds passwords.
	RecordInput bool
	// RecordLimit bounds the bytes recorded per channel and stream; beyond
	// it one Truncated output event is recorded and output still flows to
	// the client, masked. Zero means gate.DefaultRecordLimit; negative
	// means no limit.
	RecordLimit int64
	// MaxRequests bounds the SSH requests (channel and global) the client
	// of one connection sends, each recorded; the one past it ends the
	// connection, the reason recorded as an error event, so a client
	// sending env, window-change or keepalive requests in a loop cannot
	// grow the record without limit. The upstream's requests (keepalives,
	// host keys, exits past a channel's first) are bounded apart, by the
	// same number; a channel's exit is not counted. Zero means DefaultMaxRequests; negative
	// means no bound.
	MaxRequests int
	// Ciphers are the ciphers offered to clients. Nil means AES-GCM only:
	// AEAD ciphers with hardware support in Go, which keeps the gateway fast
	// (OpenSSH clients otherwise pick chacha20-poly1305, which Go computes
	// without assembly on amd64).
	Ciphers []string
	// HandshakeTimeout bounds the client's SSH handshake; zero means 30s.
	HandshakeTimeout time.Duration
	// Logger receives operational logs; nil means silence.
	Logger hclog.Logger
	// AllowStartupWrites lets the rules decide writes to start-up files:
	// shell rc and profile files, ~/.ssh/rc, environment, authorized_keys
	// and config, git config and hooks, fish and systemd user files,
	// crontabs and at jobs, archives and patches extracted into the home
	// directory (see shell.StartupPath and shell.WritesStartup). Off by
	// default: such a file runs as code in a
	// later session (Debian's bash reads ~/.bashrc even for the commands
	// sshd runs), which the gate never sees, so a rule that allows writes
	// in a home or project directory does not allow them. Set it only
	// for agents whose job is to edit those files.
	AllowStartupWrites bool
	// AllowOpaqueCode, with start-up files protected, lets the rules
	// decide command lines whose code the gate cannot read (inline
	// interpreter code, a script file, input piped into a shell, eval of
	// run-time text, socat EXEC:; see shell.OpaqueCode). Off by default:
	// such code can build a start-up file's name from pieces, so it is
	// refused as a possible start-up write. Rules can still tell it apart
	// (interpreter_inline, runs_unseen_code, pipes_to_shell).
	AllowOpaqueCode bool
	// AllowMaskedTransforms lets a decision that masks results allow
	// command lines that may print what they read in another form
	// (base64, xxd, rev, tr, sed, awk, cut, head -c, gzip, arithmetic
	// expansion, variables other than the environment's, searches and
	// comparisons such as grep, sort, test and case, which tell a value a
	// piece at a time, name patterns — a glob other than * and .*, find
	// -name and its kin, ls -I and --hide, tree -P, du --exclude — which
	// tell a masked file name a piece at a time by whether it matches,
	// any program not known to print what it reads as it
	// is; see shell.OutputTransform), interactive shells and commands run
	// with a terminal (a pager scrolled sideways draws a card cut, and
	// its ! runs a command nobody judged). Off by default:
	// the output masker finds a card in cat's output, not in base64's, so
	// such commands are refused when the decision masks.
	AllowMaskedTransforms bool
	// closeAckGrace is how long a client may take to acknowledge the
	// close of a channel the gateway ended before the gateway ends its
	// connection; zero means defaultCloseAckGrace. Tests shorten it.
	closeAckGrace time.Duration
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
	// Timeout bounds dialing and the handshake, and the question for the
	// login directory; zero means 15s.
	Timeout time.Duration
	// Home is the upstream account's home directory, absolute, as the
	// host's start-up rules should know it (/srv/app). Empty: the gateway
	// asks the upstream at the start of each connection, running a fixed
	// command (see login.go), unless AllowStartupWrites is set. When it
	// cannot learn it, the home is unknown: every directory named bin
	// whose parent may be a home directory is refused as ~/bin.
	Home string
}

// ErrProxyClosed is returned by Serve and ServeConn after Close.
var ErrProxyClosed = errors.New("sshgate: proxy closed")

// Proxy is an SSH gateway: it terminates SSH from the client, authenticates
// it with Config.Authenticator, opens its own SSH connection to the
// upstream with a key the gateway holds, and forwards only what the gate
// allows: exec commands, shells, sftp operations and port forwards, each
// judged by the rules. Build it with New.
type Proxy struct {
	cfg Config
	log hclog.Logger

	mu     sync.Mutex
	closed bool
	lns    map[net.Listener]struct{}
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// New checks cfg and returns a Proxy; the error names what is missing.
func New(cfg Config) (*Proxy, error) {
	switch {
	case cfg.Gate == nil:
		return nil, errors.New("sshgate: Config.Gate is required")
	case len(cfg.HostKeys) == 0:
		return nil, errors.New("sshgate: Config.HostKeys is required")
	case cfg.Authenticator == nil:
		return nil, errors.New("sshgate: Config.Authenticator is required")
	case cfg.Upstream.Addr == "":
		return nil, errors.New("sshgate: Config.Upstream.Addr is required")
	case cfg.Upstream.Signer == nil:
		return nil, errors.New("sshgate: Config.Upstream.Signer is required")
	case cfg.Upstream.HostKeyCallback == nil:
		return nil, errors.New("sshgate: Config.Upstream.HostKeyCallback is required (use knownhosts.New or ssh.FixedHostKey)")
	}
	for i, k := range cfg.HostKeys {
		if k == nil {
			return nil, fmt.Errorf("sshgate: Config.HostKeys[%d] is nil", i)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	cfg.HostKeys = append([]ssh.Signer(nil), cfg.HostKeys...)
	return &Proxy{cfg: cfg, log: log, lns: map[net.Listener]struct{}{}, conns: map[net.Conn]struct{}{}}, nil
}

// Serve accepts connections on ln until ctx ends, Close is called or ln
// fails, and serves each with ServeConn. It closes ln when it returns; open
// connections end with ctx or Close.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = ln.Close()
		return ErrProxyClosed
	}
	p.lns[ln] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.lns, ln)
		p.mu.Unlock()
		_ = ln.Close()
	}()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if p.isClosed() {
				return ErrProxyClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("sshgate: accept: %w", err)
		}
		delay = 0
		p.wg.Go(func() {
			if err := p.ServeConn(ctx, c); err != nil {
				p.log.Debug("connection ended", "client", c.RemoteAddr().String(), "error", err)
			}
		})
	}
}

// Close stops every Serve, closes every client connection and waits for
// the connections Serve accepted to end (their sessions are closed in the
// record). Close always returns nil.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for ln := range p.lns {
		_ = ln.Close()
	}
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

func (p *Proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// track registers a client connection for Close; false means the proxy is
// closed.
func (p *Proxy) track(nc net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[nc] = struct{}{}
	return true
}

func (p *Proxy) untrack(nc net.Conn) {
	p.mu.Lock()
	delete(p.conns, nc)
	p.mu.Unlock()
}

// ServeConn serves one client connection and closes it. It returns when the
// client disconnects, the upstream connection ends, the session ends in
// the gate (output that could not be recorded), ctx ends or Close is called,
// and only once everything the connection started has ended: a command
// still running when the client left is ended upstream and its end
// recorded, then the session's.
func (p *Proxy) ServeConn(ctx context.Context, nc net.Conn) error {
	defer nc.Close()
	if !p.track(nc) {
		return ErrProxyClosed
	}
	defer p.untrack(nc)
	var claimed string // the user name the client last tried to log in as
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: publicKeyCallback(ctx, p.cfg.Authenticator),
		ServerVersion:     "SSH-2.0-Airlock",
		MaxAuthTries:      6,
		AuthLogCallback:   func(m ssh.ConnMetadata, _ string, _ error) { claimed = m.User() },
	}
	cfg.Ciphers = p.cfg.Ciphers
	if cfg.Ciphers == nil {
		cfg.Ciphers = []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}
	}
	for _, k := range p.cfg.HostKeys {
		cfg.AddHostKey(k)
	}
	ht := p.cfg.HandshakeTimeout
	if ht == 0 {
		ht = 30 * time.Second
	}
	_ = nc.SetDeadline(time.Now().Add(ht))
	sconn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		_ = p.cfg.Gate.RecordRefusal(ctx, gate.Refusal{Protocol: gate.ProtocolSSH, Target: p.cfg.Upstream.Addr, ClientAddr: nc.RemoteAddr().String(), Claimed: claimed, Reason: "handshake: " + err.Error()})
		return fmt.Errorf("ssh: client handshake: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	defer sconn.Close()

	id, err := identityFrom(sconn.Permissions)
	if err != nil {
		return err
	}
	gc, err := p.cfg.Gate.Open(ctx, gate.Session{Protocol: gate.ProtocolSSH, Target: p.cfg.Upstream.Addr, Identity: id, ClientAddr: nc.RemoteAddr().String()})
	if err != nil {
		return fmt.Errorf("sshgate: open session: %w", err)
	}
	ctx, cancel := context.WithCancel(gc.Context(ctx))
	defer cancel()
	reason := "client closed"
	defer func() { _ = gc.Close(context.WithoutCancel(ctx), reason) }()

	up, upReqs, upChans, err := p.dialUpstream(sconn.User())
	if err != nil {
		reason = "upstream: " + err.Error()
		p.log.Error("upstream connection failed", "session", gc.Session().ID, "error", err)
		return err
	}
	defer up.Close()

	c := &conn{p: p, gc: gc, ctx: ctx, up: up, client: sconn}
	c.login = p.newLoginDir(up, gc, c.probeRequest)
	// The watchers below end with the connection; ServeConn returns only
	// once they have (aux), as it does for the channels (wg).
	ending := make(chan struct{})
	c.aux.Go(func() {
		// ctx ending or Close ends the client connection; so does a
		// session the gate ended (output it could not record): nothing
		// more may reach the client.
		select {
		case <-ctx.Done():
		case <-gc.Done():
		case <-ending:
			return
		}
		sconn.Close()
	})
	c.aux.Go(func() {
		// The upstream going away ends the client connection too.
		_ = up.Wait()
		sconn.Close()
	})
	c.aux.Go(func() { c.globalRequests(reqs) })
	c.aux.Go(func() { c.upstreamGlobalRequests(upReqs) })
	c.aux.Go(func() { c.upstreamChannels(upChans) })
	for nch := range chans {
		c.wg.Go(func() { c.channel(nch) })
	}
	// The client connection is gone: what its channels still run upstream
	// is ended (c.ctx), and their end recorded before the session's.
	cancel()
	c.drain()
	c.login.wait()
	_ = up.Close()
	_ = sconn.Close()
	close(ending)
	c.aux.Wait()
	return nil
}

// drainGrace is how long the channels of a connection whose client has
// gone may take to end before the upstream connection is closed under
// them: an upstream that never acknowledges a channel's close, a forward
// whose target never answers.
const drainGrace = 500 * time.Millisecond

// drain waits for every channel of c and every goroutine they started.
// Each ends its upstream channel once c.ctx is done; those still running
// after drainGrace are ended by closing the upstream connection, and are
// then waited for too (their end is recorded).
func (c *conn) drain() {
	done := make(chan struct{})
	c.aux.Go(func() {
		c.wg.Wait()
		close(done)
	})
	t := time.NewTimer(drainGrace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	c.p.log.Warn("channels still running after the client left: closing the upstream connection", "session", c.sessionID())
	_ = c.up.Close()
	<-done
}

// dialUpstream connects and authenticates to the upstream host. The
// upstream's global requests and the channels it opens are returned for
// the connection to record and refuse (upstreamGlobalRequests,
// upstreamChannels); the client gets none of them.
func (p *Proxy) dialUpstream(clientUser string) (*ssh.Client, <-chan *ssh.Request, <-chan ssh.NewChannel, error) {
	u := p.cfg.Upstream
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
		return nil, nil, nil, fmt.Errorf("ssh: dial upstream: %w", err)
	}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	c, chans, reqs, err := ssh.NewClientConn(nc, u.Addr, cfg)
	if err != nil {
		nc.Close()
		return nil, nil, nil, fmt.Errorf("ssh: upstream handshake: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	noReqs, noChans := make(chan *ssh.Request), make(chan ssh.NewChannel)
	close(noReqs)
	close(noChans)
	return ssh.NewClient(c, noChans, noReqs), reqs, chans, nil
}

// conn is one client connection with its upstream and its gate session.
type conn struct {
	p      *Proxy
	gc     *gate.Conn
	ctx    context.Context
	up     *ssh.Client
	client *ssh.ServerConn
	// login is the upstream account's login directory (login.go).
	login *loginDir
	// wg counts the channels' handlers and every goroutine they start:
	// all of them may record into the session, which closes after them.
	wg sync.WaitGroup
	// aux counts the connection's watchers, which record nothing, and
	// its loop of global requests, which records before the session ends.
	aux sync.WaitGroup
	// channels numbers the connection's session channels in the record.
	channels atomic.Int64
	// requests counts the client's requests recorded, upRequests the
	// upstream's (requests.go).
	requests, upRequests atomic.Int64
}

// sessionID is the gate session's id, for logs.
func (c *conn) sessionID() string { return c.gc.Session().ID }

// refused records a request the gateway refuses without asking the rules
// and without counting it as a denial (remote forwarding, agent and X11
// forwarding, env variables off the allow-list, unknown channel types):
// clients send these on their own, whatever the agent intends.
func (c *conn) refused(what string) {
	c.p.log.Info("refused", "session", c.sessionID(), "what", what)
	_ = c.gc.Record(c.ctx, gate.Event{Kind: gate.EventError, Error: "ssh: refused " + what})
}

// probeRequest records and refuses a request the upstream sent on the
// channel of the gateway's own login probe (login.go).
func (c *conn) probeRequest(r *ssh.Request) {
	_ = c.recordRequest("upstream login probe", r.Type, r.Payload, refusedOutcome("not forwarded: the channel is the gateway's own"))
	if r.WantReply {
		_ = r.Reply(false, nil)
	}
}

// globalRequests refuses every global request, each recorded:
// tcpip-forward and streamlocal-forward (ssh -R) are never allowed, and
// keepalives get the failure reply OpenSSH expects from a server that
// does not know them.
func (c *conn) globalRequests(reqs <-chan *ssh.Request) {
	for r := range reqs {
		why := "not a request the gateway serves"
		switch r.Type {
		case "tcpip-forward", "cancel-tcpip-forward", "streamlocal-forward@openssh.com", "cancel-streamlocal-forward@openssh.com":
			c.refused("global request " + r.Type)
			why = "remote forwarding is not allowed"
		case "keepalive@openssh.com":
			why = "answered as OpenSSH expects of a server that does not know it"
		}
		_ = c.recordRequest("global", r.Type, r.Payload, refusedOutcome(why))
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
	}
}

// upstreamGlobalRequests records and refuses every global request of the
// upstream (OpenSSH's hostkeys-00@openssh.com after login, its
// keepalive@openssh.com under ClientAliveInterval when no channel is
// open, any other name): none reaches the client, and a keepalive gets
// the failure reply OpenSSH takes as a sign of life.
func (c *conn) upstreamGlobalRequests(reqs <-chan *ssh.Request) {
	for r := range reqs {
		_ = c.recordRequest("upstream global", r.Type, r.Payload, refusedOutcome("not forwarded to the client"))
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
	}
}

// upstreamChannels records and rejects every channel the upstream opens
// (a remote forward's connection, an agent or X11 channel): the gateway
// asks for none, and none reaches the client.
func (c *conn) upstreamChannels(chans <-chan ssh.NewChannel) {
	for nch := range chans {
		c.refused("upstream channel " + printable(nch.ChannelType()))
		_ = nch.Reject(ssh.Prohibited, "airlock: channel not allowed")
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

// maskable reports whether the gate can mask the results of d as it asks:
// a decision that asks for masking without a masker must be refused.
func maskable(d *gate.Decision) bool {
	return len(d.Mask) == 0 || d.Masker != nil
}

// outputOptions are the options of every output writer of the proxy.
func (c *conn) outputOptions() gate.OutputOptions {
	return gate.OutputOptions{Mode: gate.RecordThenForward, Limit: c.p.cfg.RecordLimit}
}
