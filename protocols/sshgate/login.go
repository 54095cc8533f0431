package sshgate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/analysis/shell"
	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// The upstream account's login directory. The start-up rules know a home
// directory as ~, $HOME, /root or /home/NAME; an account whose home is
// /srv/app would see `tar xf x.tar -C /srv/app` pass, and every directory
// named bin whose parent may be a home refused. So at the start of each
// connection (when start-up files are protected, and a line that writes
// is first judged) the gateway asks the upstream itself, on its own session channel, with a fixed command whose
// output it parses (loginProbe): $HOME, the directory a command starts in,
// and both with symbolic links resolved. Each exec line and sftp operation
// is then judged with that home known (shell.WritesStartupFor).
// Upstream.Home skips the question. When the answer does not come (a
// forced command, a shell that does not read the probe, a timeout) the
// home stays unknown and the rules stay as broad as before: fail closed.
//
// The probe is a command the gateway runs upstream on its own, so the
// session record holds it as any other: a request event (no decision: the
// rules do not judge the gateway's own question) recorded before it runs,
// then its answer as an output event with its exit status, or an error
// event saying why no answer came. A probe whose request cannot be
// recorded is not run.

// loginMarker starts the probe's answer: whatever a start-up file prints
// before it is skipped.
const loginMarker = "airlock-login\x00"

// loginProbe prints loginMarker, then $HOME, the working directory, the
// working directory and $HOME with links resolved, each ended by a NUL
// (no name holds one).
const loginProbe = `printf 'airlock-login\0%s\0%s\0%s\0%s\0' "$HOME" "$(pwd)" "$(pwd -P)" "$(cd -P -- "$HOME" 2>/dev/null && pwd -P)"`

// maxLoginAnswer bounds the probe's output read.
const maxLoginAnswer = 64 << 10

// loginTimeout bounds the probe when Upstream.Timeout does not.
const loginTimeout = 15 * time.Second

// loginDir is the upstream account's login directory as the connection
// learns it, once, when a judgment first needs it: ready is closed once
// login is set.
type loginDir struct {
	p     *Proxy
	up    *ssh.Client
	gc    *gate.Conn
	once  sync.Once
	ready chan struct{}
	login shell.Login
	// learning counts the learn goroutine, which records into the
	// session: the connection waits for it (wait) before it closes the
	// session, and once closing is set no probe starts.
	learning sync.WaitGroup
	mu       sync.Mutex
	closing  bool
	// requests records and refuses a request the upstream sends on the
	// probe's channel (a keepalive, an eow@openssh.com): the record
	// holds every request that reaches the gateway.
	requests func(*ssh.Request)
}

// newLoginDir returns the login directory of up's account, to be learnt:
// from Upstream.Home when set, not at all when start-up writes are left
// to the rules, else by running loginProbe upstream.
func (p *Proxy) newLoginDir(up *ssh.Client, gc *gate.Conn, requests func(*ssh.Request)) *loginDir {
	return &loginDir{p: p, up: up, gc: gc, ready: make(chan struct{}), requests: requests}
}

// get returns the login directory, learning it on the first call; a zero
// Login (unknown) when ctx ends first.
func (l *loginDir) get(ctx context.Context) shell.Login {
	l.once.Do(func() {
		cfg := l.p.cfg
		if cfg.Upstream.Home != "" || cfg.AllowStartupWrites {
			l.learn(ctx) // nothing to ask
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closing {
			close(l.ready) // the session is ending: the home stays unknown
			return
		}
		l.learning.Go(func() { l.learn(ctx) })
	})
	select {
	case <-l.ready:
		return l.login
	case <-ctx.Done():
		return shell.Login{}
	}
}

// wait returns once a probe get started has recorded its end; no probe
// starts after it is called.
func (l *loginDir) wait() {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	l.learning.Wait()
}

// learn sets l.login and closes l.ready.
func (l *loginDir) learn(ctx context.Context) {
	defer close(l.ready)
	cfg := l.p.cfg
	switch {
	case cfg.Upstream.Home != "":
		l.login = shell.Login{Home: cfg.Upstream.Home}
		return
	case cfg.AllowStartupWrites:
		return
	}
	timeout := cfg.Upstream.Timeout
	if timeout == 0 {
		timeout = loginTimeout
	}
	session := l.gc.Session().ID
	if err := l.gc.Record(ctx, gate.Event{Kind: gate.EventRequest, Request: probeRequest()}); err != nil {
		l.p.log.Error("upstream login directory not asked: the probe could not be recorded", "session", session, "error", err)
		return
	}
	login, answer, why := probeLogin(ctx, l.up, timeout, l.requests)
	l.recordAnswer(ctx, answer, why)
	if why != "" {
		l.p.log.Info("upstream login directory unknown: bin directories whose parent may be a home are refused",
			"session", session, "why", why)
		return
	}
	l.p.log.Debug("upstream login directory", "session", session, "home", login.Home, "dir", login.Dir)
	l.login = login
}

// probeReason is the probe request's reason in the record: the gateway,
// not the client, asked.
const probeReason = "airlock: the gateway asks the upstream for the account's login directory (Upstream.Home is not set)"

// probeRequest is the probe as the record holds it: an exec of loginProbe,
// parsed as a client's line would be.
func probeRequest() *gate.Request {
	req := &gate.Request{Protocol: gate.ProtocolSSH, Command: loginProbe, Time: time.Now().UTC(), Reason: probeReason}
	parsed, err := shell.Parse(loginProbe)
	if err != nil {
		parsed = &gate.SSH{Kind: "exec", Command: loginProbe}
	}
	req.SSH = parsed
	return req
}

// probeAnswer is what the probe printed and how it ended, when it ran.
type probeAnswer struct {
	ran    bool
	stdout []byte
	status *int
}

// recordAnswer records the probe's output (bounded by Config.RecordLimit)
// with its exit status when it ran, and an error event when why is not
// "". A failure to record is logged: the probe has run by then.
func (l *loginDir) recordAnswer(ctx context.Context, a probeAnswer, why string) {
	ctx = context.WithoutCancel(ctx)
	if a.ran {
		out := &gate.Output{Stream: "stdout", Data: a.stdout, Final: true, ExitStatus: a.status}
		limit := l.p.cfg.RecordLimit
		if limit == 0 {
			limit = gate.DefaultRecordLimit
		}
		if limit > 0 && int64(len(out.Data)) > limit {
			out.Data, out.Truncated = out.Data[:limit], true
		}
		if err := l.gc.Record(ctx, gate.Event{Kind: gate.EventOutput, Output: out}); err != nil {
			l.p.log.Error("record the login directory probe's answer", "session", l.gc.Session().ID, "error", err)
		}
	}
	if why == "" {
		return
	}
	if err := l.gc.Record(ctx, gate.Event{Kind: gate.EventError, Error: "ssh: login directory probe: " + why}); err != nil {
		l.p.log.Error("record the login directory probe's failure", "session", l.gc.Session().ID, "error", err)
	}
}

// probeLogin runs loginProbe on a session channel of up and parses its
// answer; why is not "" when it could not. a holds what the probe printed
// and its exit status, when it ran. Every request the upstream sends on
// the channel but the exit status goes to requests.
func probeLogin(ctx context.Context, up *ssh.Client, timeout time.Duration, requests func(*ssh.Request)) (login shell.Login, a probeAnswer, why string) {
	ch, reqs, err := up.OpenChannel("session", nil)
	if err != nil {
		return shell.Login{}, a, "session: " + err.Error()
	}
	// The channel's requests and its stderr are read until it closes;
	// the probe returns once they are.
	var status *int
	var signaled string
	var readers sync.WaitGroup
	readers.Go(func() {
		for r := range reqs {
			switch r.Type {
			case "exit-status":
				var st struct{ Status uint32 }
				if ssh.Unmarshal(r.Payload, &st) == nil && status == nil {
					n := int(st.Status)
					status = &n
				}
			case "exit-signal":
				signaled = r.Type
			default:
				requests(r)
				continue
			}
			if r.WantReply {
				_ = r.Reply(false, nil)
			}
		}
	})
	readers.Go(func() { _, _ = io.Copy(io.Discard, ch.Stderr()) })
	defer func() {
		_ = ch.Close()
		readers.Wait()
	}()
	ok, err := ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{loginProbe}))
	if err != nil || !ok {
		return shell.Login{}, a, fmt.Sprintf("start: exec refused (%v)", err)
	}
	a.ran = true
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The probe returns only once a close the context started is done.
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = ch.Close()
		close(closed)
	})
	defer func() {
		if !stop() {
			<-closed
		}
	}()
	a.stdout, err = io.ReadAll(io.LimitReader(ch, maxLoginAnswer))
	if err != nil {
		return shell.Login{}, a, "read: " + err.Error()
	}
	_ = ch.Close()
	readers.Wait() // the requests end with the channel: the exit status is known
	a.status = status
	switch {
	case ctx.Err() != nil:
		return shell.Login{}, a, "probe: " + ctx.Err().Error()
	case signaled != "" || status == nil:
		return shell.Login{}, a, "probe: ended without an exit status"
	case *status != 0:
		return shell.Login{}, a, fmt.Sprintf("probe: exited with status %d", *status)
	}
	login, ok = parseLogin(a.stdout)
	if !ok {
		return shell.Login{}, a, "the probe's answer was not understood"
	}
	return login, a, ""
}

// parseLogin reads loginProbe's answer: false unless $HOME is an absolute
// path other than /. The working directory, when absolute, is Dir; the
// resolved names are Aliases.
func parseLogin(answer []byte) (shell.Login, bool) {
	i := bytes.Index(answer, []byte(loginMarker))
	if i < 0 {
		return shell.Login{}, false
	}
	fields := strings.Split(string(answer[i+len(loginMarker):]), "\x00")
	if len(fields) != 5 || fields[4] != "" {
		return shell.Login{}, false
	}
	absolute := func(p string) bool { return strings.HasPrefix(p, "/") && !strings.ContainsAny(p, "\n\r") }
	home := fields[0]
	if !absolute(home) || path.Clean(home) == "/" {
		return shell.Login{}, false
	}
	l := shell.Login{Home: path.Clean(home)}
	if absolute(fields[1]) {
		l.Dir = path.Clean(fields[1])
	}
	for _, a := range fields[2:4] {
		if absolute(a) {
			l.Aliases = append(l.Aliases, path.Clean(a))
		}
	}
	return l, true
}
