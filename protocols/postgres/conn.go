package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/airlock-sdk/airlock/mask"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/rawio"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// conn is one client session: the client socket, the upstream socket and
// the two goroutines between them. The client goroutine is the only writer
// upstream; the upstream goroutine is the only writer to the client once
// the session runs.
type conn struct {
	srv     *Server
	client  net.Conn
	rd      *msgReader    // client messages
	cw      *bufio.Writer // to the client (upstream goroutine)
	up      net.Conn
	urd     *msgReader    // upstream messages
	uw      *bufio.Writer // to the upstream (client goroutine)
	session *gate.Session // what is known before the gate opens it
	gc      *gate.Conn    // the gate's handle on the session, once open
	ctx     context.Context
	stop    context.CancelFunc

	// carries memoises relationCarries for one policy and catalog
	// generation.
	carries       map[string]bool
	carriesGen    uint64
	carriesPolicy *mask.Policy

	pid    uint32 // the client's view of the backend
	secret []byte
	upPID  uint32
	upKey  []byte

	q opQueue

	// dr is the DataRow the upstream goroutine masks (maskRow), kept so
	// its Values are not allocated again for every row.
	dr pgproto3.DataRow

	// Set by the upstream goroutine from ParameterStatus; read by the
	// client goroutine: the parser no longer sees what the server sees.
	unsafeParse atomic.Value // string reason, "" when safe

	checks checkContext // client goroutine: the context checks run under

	holdMu     sync.Mutex
	holdCancel context.CancelFunc // set while a statement is held
	canceled   bool               // the held statement was cancelled

	// model is the server-confirmed session state (model.go).
	model *sessionModel

	// Client-goroutine state.
	grp     groupState
	batch   batch
	discard bool // discarding client messages up to Sync after a refusal
	// copyPending is set after a Query with COPY FROM STDIN, until the
	// server has answered it.
	copyPending bool

	welcome map[string]string // upstream ParameterStatus at connect

	paramMu sync.Mutex
	params  map[string]string // parse-relevant server settings

	closeOnce sync.Once
	// sockMu guards client and up against abort, which Server.Close and
	// the server context's end call from other goroutines while startup
	// replaces client (TLS) and connectUpstream sets up; aborted is set
	// under it, so a socket set after abort ran is closed at once.
	sockMu  sync.Mutex
	aborted bool

	watch clientWatch // the client socket while a statement is held (watch.go)

	lin sessionLineage // cursors, prepared queries, schema changes (lineage_session.go)

	cursors cursorVerdicts // client goroutine: the DECLAREs judged (stale.go)

	listened listenedChannels // the channels the client named in LISTEN (channels.go)

	// parseFlux is set (client goroutine) once a statement that may change
	// how the server reads SQL went upstream, until the server answered
	// every message up to it (parsestate.go).
	parseFlux bool

	// The session's settings (sessionsettings.go): settings is what the
	// server last reported when read, never modified once set (requests
	// keep it); settingsStale is set once a statement that may change
	// them went upstream, until a read after it is answered; probe is
	// the read sent and not yet taken. Client goroutine.
	settings      map[string]string
	settingsStale bool
	probe         *op
	idle          idleWatch // ends a session idle in a transaction (idle.go)
	// taint is what of the settings may hold data (settingstaint.go).
	taint settingsTaint
	// reachMemo is the last reach of the owner's code (reachmemo.go).
	reachMemo reachMemo

	// settingsChanged is set by the upstream goroutine when the server
	// reports a change of a setting the gateway reads.
	settingsChanged atomic.Bool
}

// groupState is the client goroutine's view of the current sync group:
// open once extended-protocol messages went upstream, until Sync.
type groupState struct {
	overlay
	open bool
	// flux: a statement executed in this group may change how the server
	// reads SQL, which it reports only at the group's end (parsestate.go).
	flux bool
	// setFlux: a statement executed in this group changes the session's
	// settings; later ones are refused (sessionsettings.go).
	setFlux bool
}

// ServeConn serves one client connection and returns when it ends. The
// Server must not be closed concurrently with a new ServeConn.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	// Each message crosses a socket twice: raw system calls spare the Go
	// scheduler's hand-offs on every read and write (see internal/rawio).
	nc = rawio.Wrap(nc)
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	c := &conn{srv: s, client: nc, ctx: ctx, stop: stop,
		session: &gate.Session{Protocol: gate.ProtocolPostgres, Target: s.cfg.Target, ClientAddr: nc.RemoteAddr().String()},
		model:   newSessionModel(), params: map[string]string{}}
	c.unsafeParse.Store("")
	c.watch.c = c
	if !s.register(c) {
		_ = nc.Close()
		return
	}
	defer s.unregister(c)
	defer c.abort()
	// The server's context ending ends the session.
	defer context.AfterFunc(ctx, c.abort)()

	over, hard := s.admit()
	// A refused client frees its place before it hears of the refusal, so
	// a client that connects again at once is counted right.
	release := sync.OnceFunc(s.release)
	defer release()
	if hard {
		return
	}
	st, minor, ok := c.startup(nc, over, release)
	if !ok {
		return
	}
	releaseIdentity, ok := c.admitClient(nc, st, release)
	defer releaseIdentity()
	if !ok {
		return
	}
	c.serveSession(nc, st, minor)
}

// startup reads the client's startup message and negotiates the protocol
// (and TLS); false when the connection ends there: a cancel request, a
// client over the connection cap, a bad message or parameter.
func (c *conn) startup(nc net.Conn, over bool, release func()) (*startup, uint32, bool) {
	s, ctx := c.srv, c.ctx
	_ = nc.SetDeadline(time.Now().Add(s.cfg.StartupTimeout))
	st, err := s.readStartup(nc)
	if err != nil {
		c.startupFail(nc, err)
		return nil, 0, false
	}
	if st.cancel != nil {
		s.handleCancel(st.cancel)
		_ = nc.Close()
		return nil, 0, false
	}
	if over {
		release()
		c.refuse(ctx, nc, st, fatal("53300", "sorry, too many clients already"))
		return nil, 0, false
	}
	if !c.setSockets(st.conn, nil) {
		return nil, 0, false
	}
	// Until the client is authenticated, every message is small.
	c.rd = newMsgReader(st.conn, MaxAuthMessageBytes)
	c.cw = bufio.NewWriterSize(st.conn, 32<<10)
	minor, err := negotiate(c.cw, st)
	if err == nil {
		err = c.cw.Flush()
	}
	if err != nil {
		return nil, 0, false
	}
	if run, named := st.params[runParam]; named {
		// The gate's parameter: never passed on to the upstream.
		delete(st.params, runParam)
		if run == "" {
			c.refuse(ctx, nc, st, fatal("28000", "%v: empty (startup parameter %s)", gate.ErrRunID, runParam))
			return nil, 0, false
		}
		c.session.Run = run
	}
	if enc, ok := st.params["client_encoding"]; ok && !isUTF8(enc) {
		c.startupFail(st.conn, fatal("22023", "airlock: client_encoding must be UTF8"))
		return nil, 0, false
	}
	return st, minor, true
}

// admitClient authenticates the client and applies the per-identity cap
// and the database check; false when the client is refused. The returned
// function releases the identity's place (always call it).
func (c *conn) admitClient(nc net.Conn, st *startup, release func()) (func(), bool) {
	s, ctx := c.srv, c.ctx
	authCtx, cancelAuth := context.WithTimeout(ctx, s.cfg.StartupTimeout)
	err := s.authenticate(authCtx, c, st)
	cancelAuth()
	if err != nil {
		c.refuse(ctx, nc, st, err)
		return func() {}, false
	}
	subject := c.session.Identity.Subject
	admitted := s.admitIdentity(subject)
	releaseIdentity := sync.OnceFunc(func() { s.releaseIdentity(subject) })
	if !admitted {
		releaseIdentity()
		release()
		c.refuse(ctx, nc, st, fatal("53300", "airlock: too many connections for %q", subject))
		return releaseIdentity, false
	}
	if err := s.checkDatabase(st.params["database"]); err != nil {
		c.refuse(ctx, nc, st, err)
		return releaseIdentity, false
	}
	return releaseIdentity, true
}

// serveSession connects the upstream, opens the gate's session and runs
// the two loops until either side ends.
func (c *conn) serveSession(nc net.Conn, st *startup, minor uint32) {
	s, ctx := c.srv, c.ctx
	c.rd.max = s.cfg.MaxMessageBytes
	if c.rd.max <= 0 {
		c.rd.max = DefaultMaxMessageBytes
	}
	if err := c.connectUpstream(ctx, st.params); err != nil {
		s.log.Error("upstream connection failed", "error", err)
		c.startupFail(st.conn, fatal("08006", "airlock: cannot reach the database"))
		return
	}
	pre := c.session
	// The settings map is never written: each read makes a new one
	// (settingsOf, settingsTaint.read).
	gc, err := s.cfg.Gate.Open(ctx, gate.Session{Protocol: pre.Protocol, Target: pre.Target, Identity: pre.Identity,
		ClientAddr: pre.ClientAddr, Run: pre.Run, SettingsImmutable: true})
	if err != nil {
		if errors.Is(err, gate.ErrRunID) {
			c.refuse(ctx, nc, st, fatal("28000", "%v (startup parameter %s)", err, runParam))
			return
		}
		c.startupFail(st.conn, fatal("28000", "airlock: the session could not be recorded"))
		return
	}
	c.gc, c.session = gc, gc.Session()
	reason := "client closed"
	defer func() { _ = gc.Close(context.WithoutCancel(ctx), reason) }()
	// A session the gate ends (output that could not be recorded) ends
	// the client's connection at once.
	go func() {
		select {
		case <-gc.Done():
			c.abort()
		case <-ctx.Done():
		}
	}()
	s.registerCancelKey(c, minor)
	if err := c.sendWelcome(st.params); err != nil {
		reason = err.Error()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	_ = st.conn.SetDeadline(time.Time{})
	reason = c.runLoops()
}

// registerCancelKey gives c a cancel key no other session of s holds.
func (s *Server) registerCancelKey(c *conn, minor uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		c.pid, c.secret = newCancelKey(minor)
		if s.sessions[c.pid] == nil {
			break
		}
	}
	s.sessions[c.pid] = c
}

// runLoops runs the client and upstream loops until the session ends and
// returns why it ended, for the record.
func (c *conn) runLoops() string {
	upDone := make(chan error, 1)
	go func() { upDone <- c.upstreamLoop() }()
	cerr := c.clientLoop()
	c.abort()
	uerr := <-upDone
	switch {
	case !errors.Is(cerr, io.EOF) && !errors.Is(cerr, errTerminate) && !errors.Is(cerr, net.ErrClosed):
		return cerr.Error()
	case uerr != nil && !errors.Is(uerr, io.EOF) && !errors.Is(uerr, net.ErrClosed) && !errors.Is(cerr, errTerminate):
		return "upstream: " + uerr.Error()
	}
	return "client closed"
}

// runParam is the startup parameter by which a client names its run
// (gate.Session.Run).
const runParam = "airlock.run"

func isUTF8(enc string) bool {
	e := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(enc, "-", ""), "'", ""))
	return e == "utf8" || e == "unicode"
}

var errTerminate = errors.New("client terminated")

// refuse records a client turned away at startup (failed authentication,
// a connection cap, a database it may not use) with the user it claimed,
// then answers it with err.
func (c *conn) refuse(ctx context.Context, nc net.Conn, st *startup, err error) {
	reason := err.Error()
	if rerr := c.srv.cfg.Gate.RecordRefusal(context.WithoutCancel(ctx), gate.Refusal{Protocol: gate.ProtocolPostgres,
		Target: c.srv.cfg.Target, ClientAddr: nc.RemoteAddr().String(), Claimed: st.params["user"], Reason: reason}); rerr != nil {
		c.srv.log.Warn("refusal not recorded", "error", rerr)
	}
	c.startupFail(st.conn, err)
}

// abort closes both sockets; the goroutines end on their next read.
func (c *conn) abort() {
	c.closeOnce.Do(func() {
		c.stop()
		c.sockMu.Lock()
		c.aborted = true
		client, up := c.client, c.up
		c.sockMu.Unlock()
		_ = client.Close()
		if up != nil {
			_ = up.Close()
		}
	})
}

// setSockets sets the client socket and the upstream one (nil: left as
// they are) for the session's goroutines, which read the fields without
// a lock. Once the session was aborted it closes them instead and reports
// false.
func (c *conn) setSockets(client, up net.Conn) bool {
	c.sockMu.Lock()
	defer c.sockMu.Unlock()
	if c.aborted {
		if client != nil {
			_ = client.Close()
		}
		if up != nil {
			_ = up.Close()
		}
		return false
	}
	if client != nil {
		c.client = client
	}
	if up != nil {
		c.up = up
	}
	return true
}

func (c *conn) startupFail(w net.Conn, err error) {
	var se *startupError
	if errors.As(err, &se) {
		b, _ := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: se.code, Message: se.msg}).Encode(nil)
		_ = w.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = w.Write(b)
	}
	c.srv.log.Debug("client startup failed", "client", c.session.ClientAddr, "error", err)
}

// forwardedParams are the startup parameters passed on to the upstream;
// anything else (options, role settings) could change how the server
// behaves behind the gate's back.
var forwardedParams = map[string]bool{
	"application_name": true, "datestyle": true, "timezone": true, "intervalstyle": true,
	"extra_float_digits": true,
}

// connectUpstream dials the database with the gateway's credentials and
// takes over the socket.
func (c *conn) connectUpstream(ctx context.Context, params map[string]string) error {
	cfg := c.srv.cfg.Upstream.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	for k, v := range params {
		if forwardedParams[strings.ToLower(k)] {
			cfg.RuntimeParams[k] = v
		}
	}
	cfg.RuntimeParams["client_encoding"] = "UTF8"
	cctx, cancel := context.WithTimeout(ctx, c.srv.cfg.StartupTimeout)
	defer cancel()
	pc, err := pgconn.ConnectConfig(cctx, cfg)
	if err != nil {
		return err
	}
	// The settings the session starts with: the startup parameters', the
	// role's and the database's (ALTER ROLE or DATABASE ... SET).
	rr, err := pc.Exec(cctx, probeSQL).ReadAll()
	if err != nil {
		_ = pc.Close(ctx)
		return fmt.Errorf("postgres: read the session's settings: %w", err)
	}
	vals := make([]string, 0, len(rr))
	for _, r := range rr {
		if len(r.Rows) != 1 || len(r.Rows[0]) != 1 {
			_ = pc.Close(ctx)
			return errors.New("postgres: read the session's settings: an unexpected reply")
		}
		vals = append(vals, string(r.Rows[0][0]))
	}
	if c.settings, err = settingsOf(vals); err != nil {
		_ = pc.Close(ctx)
		return err
	}
	c.taint.raw = c.settings
	// Last before the hand-over: pgconn may still have a read of its own
	// in progress (a write that took longer than 15 ms starts its
	// background reader, which keeps reading after the reply it waited
	// for), and that read would take the server's reply to the first
	// statement the gateway relays. SyncConn waits for it to end and
	// drains what it read.
	if err := pc.SyncConn(cctx); err != nil {
		_ = pc.Close(ctx)
		return err
	}
	hc, err := pc.Hijack()
	if err != nil {
		_ = pc.Close(ctx)
		return err
	}
	if !c.setSockets(nil, rawio.Wrap(hc.Conn)) {
		return errors.New("the session ended while connecting upstream")
	}
	c.upPID, c.upKey = hc.PID, hc.SecretKey
	c.urd = newMsgReader(c.up, c.srv.cfg.MaxMessageBytes)
	c.urd.inPlace = true // read by the upstream goroutine alone
	c.uw = bufio.NewWriterSize(c.up, 32<<10)
	c.welcome = hc.ParameterStatuses
	return nil
}

// sendWelcome finishes the client's startup: AuthenticationOk, the
// upstream's parameters, the proxy's own cancel key, ReadyForQuery.
func (c *conn) sendWelcome(params map[string]string) error {
	buf, _ := (&pgproto3.AuthenticationOk{}).Encode(nil)
	for k, v := range c.welcome {
		buf, _ = (&pgproto3.ParameterStatus{Name: k, Value: v}).Encode(buf)
		c.noteParameter(k, v)
	}
	buf, _ = (&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret}).Encode(buf)
	buf, _ = (&pgproto3.ReadyForQuery{TxStatus: 'I'}).Encode(buf)
	if _, err := c.cw.Write(buf); err != nil {
		return err
	}
	return c.cw.Flush()
}

// noteParameter watches server settings that would make the server read
// SQL differently from the gate's parser.
func (c *conn) noteParameter(name, value string) {
	n := strings.ToLower(name)
	if n != "standard_conforming_strings" && n != "client_encoding" {
		return
	}
	c.paramMu.Lock()
	c.params[n] = value
	scs, enc := c.params["standard_conforming_strings"], c.params["client_encoding"]
	c.paramMu.Unlock()
	reason := ""
	if scs != "" && !strings.EqualFold(scs, "on") {
		reason = "standard_conforming_strings is off"
	}
	if enc != "" && !isUTF8(enc) {
		reason = "client_encoding is not UTF8"
	}
	c.unsafeParse.Store(reason)
}

// cancel handles a client's cancel request: a held statement is dropped,
// anything else is cancelled upstream.
func (c *conn) cancel() {
	c.holdMu.Lock()
	if c.holdCancel != nil {
		c.canceled = true
		c.holdCancel()
		c.holdMu.Unlock()
		return
	}
	c.holdMu.Unlock()
	go c.srv.sendUpstreamCancel(c.upPID, c.upKey)
}
