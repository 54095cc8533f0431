package sshgate

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/analysis/shell"
	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// ExitRefused is the exit status a client sees when the gate refuses its
// exec, shell or subsystem request; the reason goes to stderr.
const ExitRefused = 126

// sessionChan is one client "session" channel. Requests before exec,
// shell or subsystem (env, pty-req) are kept and replayed upstream once the
// gate allows the channel's program.
type sessionChan struct {
	c      *conn
	ch     ssh.Channel
	scope  string     // "channel N": the channel in the record
	env    [][]byte   // payloads of allowed env requests
	pty    []byte     // payload of pty-req
	mu     sync.Mutex // guards up and closed
	up     ssh.Channel
	closed bool // the client's channel has ended
	// shut is closed once the gateway has closed the client's channel
	// (closeClient): the client then has closeAckGrace to acknowledge.
	shut     chan struct{}
	shutOnce sync.Once
}

// closeClient closes the client's channel and notes that the gateway
// did, for the session's request loop.
func (sc *sessionChan) closeClient() {
	_ = sc.ch.Close()
	sc.shutOnce.Do(func() { close(sc.shut) })
}

func (c *conn) session(nch ssh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	sc := &sessionChan{c: c, ch: ch, shut: make(chan struct{}), scope: "channel " + strconv.FormatInt(c.channels.Add(1), 10)}
	defer func() {
		ch.Close()
		sc.mu.Lock()
		sc.closed = true
		up := sc.up
		sc.mu.Unlock()
		if up != nil {
			up.Close()
		}
	}()
	started := false
	// Once the gateway has closed the channel (sc.shut), the client has
	// closeAckGrace to acknowledge, or its connection ends: a client that
	// keeps TCP open but never answers a close would otherwise keep this
	// handler, and the program's, until the connection ends.
	waitShut := sc.shut
	var ackDeadline <-chan time.Time
	for {
		var r *ssh.Request
		select {
		case req, ok := <-reqs:
			if !ok {
				return
			}
			r = req
		case <-waitShut:
			waitShut = nil
			t := time.NewTimer(c.closeAckGrace())
			defer t.Stop()
			ackDeadline = t.C
			continue
		case <-ackDeadline:
			ackDeadline = nil
			c.p.log.Warn("the client did not acknowledge a channel's close: closing its connection", "session", c.sessionID())
			_ = c.client.Close() // reqs closes with the connection
			continue
		}
		started = sc.request(r, started)
	}
}

// request answers one channel request of the client; started says
// whether the channel's program was asked for already, and request
// returns it as it is after r. Every request but the program's is
// recorded (requests.go) before it is answered or forwarded.
func (sc *sessionChan) request(r *ssh.Request, started bool) bool {
	c := sc.c
	var outcome string
	var forward ssh.Channel
	switch r.Type {
	case "exec", "shell", "subsystem":
		if !started {
			// The reply is sent inside start: a refusal is reported as an
			// accepted request followed by stderr and an exit status.
			// Counted in the connection's wait group: the connection ends
			// only once the program has, its end recorded.
			c.wg.Go(func() { sc.start(r) })
			return true
		}
		outcome = refusedOutcome("the channel's program was asked for already")
	case "env":
		switch ok, why := sc.envRequest(r.Payload); {
		case started:
			outcome = refusedOutcome("the channel's program was asked for already")
		case ok:
			outcome = outcomeKept
		default:
			outcome = refusedOutcome(why)
		}
	case "pty-req":
		if started {
			outcome = refusedOutcome("the channel's program was asked for already")
		} else {
			outcome = outcomeKept
		}
	case "window-change", "signal", "break":
		if forward = sc.upstream(); forward == nil {
			outcome = refusedOutcome("no program runs on the channel")
		} else {
			outcome = outcomeForwarded
		}
	case "x11-req", "auth-agent-req@openssh.com":
		c.refused(r.Type)
		outcome = refusedOutcome("forwarding is not allowed")
	case "keepalive@openssh.com":
		outcome = refusedOutcome("answered as OpenSSH expects of a server that does not know it")
	default:
		outcome = refusedOutcome("not a request the gateway serves")
	}
	if err := c.recordRequest(sc.scope, r.Type, r.Payload, outcome); err != nil {
		// Unrecorded, nothing of it takes effect.
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
		return started
	}
	ok := outcome == outcomeKept
	switch {
	case r.Type == "env" && ok:
		sc.env = append(sc.env, append([]byte(nil), r.Payload...))
	case r.Type == "pty-req" && ok:
		sc.pty = append([]byte(nil), r.Payload...)
	case forward != nil:
		var err error
		ok, err = forward.SendRequest(r.Type, r.WantReply, r.Payload)
		if err == nil && !ok && r.WantReply {
			_ = c.gc.Record(c.ctx, gate.Event{Kind: gate.EventError, Error: "ssh: the upstream refused " + sc.scope + " " + r.Type})
		}
		ok = ok || !r.WantReply
	}
	if r.WantReply {
		_ = r.Reply(ok, nil)
	}
	return started
}

// defaultCloseAckGrace is how long a client may take to acknowledge the
// close of a channel the gateway ended (OpenSSH answers at once).
const defaultCloseAckGrace = 10 * time.Second

// awaitCloseAck waits until acked is closed (the client acknowledged the
// close of a channel the gateway closed) for closeAckGrace, and then
// ends the client's connection, whose end closes acked.
func (c *conn) awaitCloseAck(acked <-chan struct{}) {
	t := time.NewTimer(c.closeAckGrace())
	defer t.Stop()
	select {
	case <-acked:
	case <-t.C:
		c.p.log.Warn("the client did not acknowledge a channel's close: closing its connection", "session", c.sessionID())
		_ = c.client.Close()
	}
}

// closeAckGrace is Config.closeAckGrace or its default.
func (c *conn) closeAckGrace() time.Duration {
	if g := c.p.cfg.closeAckGrace; g > 0 {
		return g
	}
	return defaultCloseAckGrace
}

func (sc *sessionChan) upstream() ssh.Channel {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.up
}

// envRequest reports whether forwardableEnv lets an env request through
// and records the refusal of any other.
func (sc *sessionChan) envRequest(payload []byte) (bool, string) {
	var e struct{ Name, Value string }
	if err := ssh.Unmarshal(payload, &e); err != nil {
		return false, "malformed env request"
	}
	ok, why := forwardableEnv(e.Name, e.Value, sc.c.p.cfg.EnvAllow)
	if !ok {
		sc.c.refused("env " + e.Name + ": " + why)
		return false, why
	}
	return true, ""
}

// start judges an exec, shell or subsystem request and, when allowed, runs
// it upstream.
func (sc *sessionChan) start(r *ssh.Request) {
	c := sc.c
	req := &gate.Request{Protocol: gate.ProtocolSSH}
	switch r.Type {
	case "exec":
		var p struct{ Command string }
		if err := ssh.Unmarshal(r.Payload, &p); err != nil {
			req.SSH = &gate.SSH{Kind: "exec"}
			sc.refuseBeforeRules(r, req, "malformed exec request")
			return
		}
		req.Command = p.Command
		parsed, err := shell.Parse(p.Command)
		if err != nil {
			// The gate records the refusal with what could be read.
			req.SSH = &gate.SSH{Kind: "exec", Command: p.Command}
			sc.refuseBeforeRules(r, req, err.Error())
			return
		}
		if sc.pty != nil {
			// With a terminal, a pager or an interactive program (git log,
			// journalctl, less, top) takes keystrokes the gate never
			// judges, and a pager's ! runs a shell: not read-only.
			parsed.ReadOnly = false
		}
		req.SSH = parsed
	case "shell":
		req.Command = "shell"
		if sc.pty != nil {
			req.Command = "shell (pty)"
		}
		req.SSH = &gate.SSH{Kind: "shell"}
	case "subsystem":
		var p struct{ Name string }
		if err := ssh.Unmarshal(r.Payload, &p); err != nil {
			req.SSH = &gate.SSH{Kind: "subsystem"}
			sc.refuseBeforeRules(r, req, "malformed subsystem request")
			return
		}
		if p.Name != "sftp" {
			c.refused("subsystem " + p.Name)
			_ = c.recordRequest(sc.scope, r.Type, r.Payload, refusedOutcome("no subsystem but sftp is served"))
			if r.WantReply {
				_ = r.Reply(false, nil)
			}
			sc.closeClient()
			return
		}
		req.Command = "subsystem sftp"
		req.SSH = &gate.SSH{Kind: "subsystem", Subsystem: p.Name}
	}
	if why := c.startupWrite(req.SSH); why != "" {
		_, _ = c.gc.Refuse(c.ctx, req, refusalStartup, why)
		sc.refuse(r, "airlock: "+why)
		return
	}
	d, err := c.gc.Check(c.ctx, req)
	if err != nil {
		sc.refuse(r, err.Error())
		return
	}
	if !maskable(d) {
		c.p.log.Error("masking", "session", c.sessionID(), "error", "the decision asks for masking but carries no masker")
		sc.refuse(r, "airlock: output masking is not available")
		return
	}
	if why := c.maskedTransform(d, req.SSH, sc.pty != nil); why != "" {
		_, _ = c.gc.Refuse(c.ctx, req, refusalMaskedTransform, why)
		sc.refuse(r, "airlock: "+why)
		return
	}
	up, ureqs, err := c.up.OpenChannel("session", nil)
	if err != nil {
		sc.refuse(r, "airlock: upstream refused the session")
		return
	}
	// What the upstream sends on the channel is recorded from now on,
	// whether or not its program starts (upstreamwatch.go).
	u := sc.watchUpstream(ureqs, r.Type == "subsystem")
	running := false
	defer func() {
		if !running {
			sc.abandon(up, u)
		}
	}()
	sc.mu.Lock()
	if sc.closed {
		// The client left while the request was being judged.
		sc.mu.Unlock()
		return
	}
	sc.up = up
	sc.mu.Unlock()
	for _, e := range sc.env {
		_, _ = up.SendRequest("env", true, e)
	}
	if sc.pty != nil {
		if ok, err := up.SendRequest("pty-req", true, sc.pty); err != nil || !ok {
			sc.refuse(r, "airlock: upstream refused the terminal")
			return
		}
	}
	ok, err := up.SendRequest(r.Type, true, r.Payload)
	if err != nil || !ok {
		sc.refuse(r, "airlock: upstream refused the request")
		return
	}
	if r.WantReply {
		_ = r.Reply(true, nil)
	}
	running = true
	if r.Type == "subsystem" {
		sc.sftp(up, u)
		return
	}
	sc.bridge(d, r.Type == "shell", up, u)
}

// refuseBeforeRules refuses a request the gateway cannot put to the rules
// (a command line that does not parse, a malformed payload): the gate
// records it as a deny decision named "ssh/parse" and counts it in
// session.denied; the client reads reason on stderr.
func (sc *sessionChan) refuseBeforeRules(r *ssh.Request, req *gate.Request, reason string) {
	_, _ = sc.c.gc.Refuse(sc.c.ctx, req, "parse", reason)
	sc.refuse(r, "airlock: "+reason)
}

// refuse accepts the request, tells the client why it is refused on stderr,
// and ends the channel with ExitRefused.
func (sc *sessionChan) refuse(r *ssh.Request, msg string) {
	if r.WantReply {
		_ = r.Reply(true, nil)
	}
	_, _ = io.WriteString(sc.ch.Stderr(), msg+"\n")
	sc.exit(ExitRefused)
}

// exit sends an exit status of the gateway's own (a refusal, the end of
// sftp) and closes the client channel. The status is recorded first, when
// it can be: a channel that ends without one reads as a program killed.
func (sc *sessionChan) exit(status int) {
	_ = sc.ch.CloseWrite()
	payload := ssh.Marshal(struct{ Status uint32 }{uint32(status)})
	_ = sc.c.recordExit(sc.scope, "exit-status", payload, outcomeSent)
	_, _ = sc.ch.SendRequest("exit-status", false, payload)
	sc.closeClient()
}
