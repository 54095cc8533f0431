package sshgate

import (
	"bytes"
	"context"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/analysis/shell"
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
	p       *Proxy
	up      *ssh.Client
	session string
	once    sync.Once
	ready   chan struct{}
	login   shell.Login
}

// newLoginDir returns the login directory of up's account, to be learnt:
// from Upstream.Home when set, not at all when start-up writes are left
// to the rules, else by running loginProbe upstream.
func (p *Proxy) newLoginDir(up *ssh.Client, session string) *loginDir {
	return &loginDir{p: p, up: up, session: session, ready: make(chan struct{})}
}

// get returns the login directory, learning it on the first call; a zero
// Login (unknown) when ctx ends first.
func (l *loginDir) get(ctx context.Context) shell.Login {
	l.once.Do(func() { go l.learn(ctx) })
	select {
	case <-l.ready:
		return l.login
	case <-ctx.Done():
		return shell.Login{}
	}
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
	login, why := probeLogin(ctx, l.up, timeout)
	if why != "" {
		l.p.log.Info("upstream login directory unknown: bin directories whose parent may be a home are refused",
			"session", l.session, "why", why)
		return
	}
	l.p.log.Debug("upstream login directory", "session", l.session, "home", login.Home, "dir", login.Dir)
	l.login = login
}

// probeLogin runs loginProbe on a session of up and parses its answer;
// why is not "" when it could not.
func probeLogin(ctx context.Context, up *ssh.Client, timeout time.Duration) (login shell.Login, why string) {
	s, err := up.NewSession()
	if err != nil {
		return shell.Login{}, "session: " + err.Error()
	}
	defer s.Close()
	out, err := s.StdoutPipe()
	if err != nil {
		return shell.Login{}, "stdout: " + err.Error()
	}
	if err := s.Start(loginProbe); err != nil {
		return shell.Login{}, "start: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	answer, err := io.ReadAll(io.LimitReader(out, maxLoginAnswer))
	if err != nil {
		return shell.Login{}, "read: " + err.Error()
	}
	if err := s.Wait(); err != nil {
		return shell.Login{}, "probe: " + err.Error()
	}
	if ctx.Err() != nil {
		return shell.Login{}, "probe: " + ctx.Err().Error()
	}
	login, ok := parseLogin(answer)
	if !ok {
		return shell.Login{}, "the probe's answer was not understood"
	}
	return login, ""
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
