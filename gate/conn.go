package gate

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Hub is what a protocol package needs of the gate: a session handle per
// client connection, a record of clients refused before any session began,
// and the rules in force (for protocol-side views such as filtering an MCP
// tool list). *Gate implements it; an integrator may wrap it (to enrich the
// session, route tenants), though per-request policy belongs in an
// Interceptor.
type Hub interface {
	// Open records the start of a session and returns its handle.
	Open(ctx context.Context, s Session) (*Conn, error)
	// RecordRefusal records a client turned away before any session.
	RecordRefusal(ctx context.Context, r Refusal) error
	// Rules returns the rule set in force, nil when none is loaded.
	Rules() *RuleSet
}

var _ Hub = (*Gate)(nil)

// ErrSessionEnded is returned by a Conn (and its output writers) after the
// session was closed, or after output could not be recorded: the protocol
// must end the client's connection.
var ErrSessionEnded = errors.New("airlock: session ended")

// Conn is the gate's handle on one session: every request of the session is
// checked through it, and every byte the client receives in return leaves
// through it (Output, Result), masked under the request's decision and
// recorded. A protocol package opens one per client connection with
// Hub.Open and closes it when the connection ends.
//
// A Conn fails closed: once output could not be recorded (see OutputMode),
// it is broken: Check refuses, writers fail, and Err says why, so the
// protocol ends the connection.
type Conn struct {
	g       *Gate
	session *Session

	mu     sync.Mutex
	err    error // why the session is broken; nil while healthy
	done   chan struct{}
	closed bool
	// recent remembers the commands of the last allowed requests, so a
	// label set by a finding in their results names the read.
	recent [8]struct{ decision, command string }
	next   int
}

// remember notes the command of an allowed decision.
func (c *Conn) remember(d *Decision, req *Request) {
	if c.g.runs == nil {
		return
	}
	c.mu.Lock()
	c.recent[c.next] = struct{ decision, command string }{d.ID, req.Command}
	c.next = (c.next + 1) % len(c.recent)
	c.mu.Unlock()
}

// commandOf returns the command of a recent allowed decision, or "".
func (c *Conn) commandOf(decision string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.recent {
		if r.decision == decision {
			return r.command
		}
	}
	return ""
}

// Open fills in the session's ID and Start when unset, records its start and
// returns its handle. An error means the session could not be recorded:
// refuse the client.
func (g *Gate) Open(ctx context.Context, s Session) (*Conn, error) {
	sess := &Session{ID: s.ID, Protocol: s.Protocol, Target: s.Target, Identity: s.Identity, ClientAddr: s.ClientAddr, Run: s.Run, Start: s.Start,
		SettingsImmutable: s.SettingsImmutable}
	if err := g.OpenSession(ctx, sess); err != nil {
		return nil, err
	}
	return &Conn{g: g, session: sess, done: make(chan struct{})}, nil
}

// Session returns the session the handle belongs to.
func (c *Conn) Session() *Session { return c.session }

// Rules returns the rule set in force, nil when none is loaded.
func (c *Conn) Rules() *RuleSet { return c.g.Rules() }

type connKey struct{}

// Context returns ctx carrying the handle and its session (see ConnFrom and
// SessionFrom): wrappers that have no connection of their own (tool calls)
// find their session this way.
func (c *Conn) Context(ctx context.Context) context.Context {
	return &connContext{Context: ctx, c: c}
}

// connContext is WithSession(ctx, c.session) with the handle added, as
// context.WithValue would chain them, in one allocation: a protocol makes
// one per request.
type connContext struct {
	context.Context
	c *Conn
}

func (x *connContext) Value(key any) any {
	switch key.(type) {
	case connKey:
		return x.c
	case sessionKey:
		return x.c.session
	}
	return x.Context.Value(key)
}

// ConnFrom returns the handle carried by ctx (see Conn.Context), or nil.
func ConnFrom(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// Check runs the gate's decision flow for req on this session (see
// Gate.Check). req.Session is set to the handle's session. On a broken or
// closed Conn every request is refused.
func (c *Conn) Check(ctx context.Context, req *Request) (*Decision, error) {
	req.Session = c.session
	if c.ended() {
		c.mu.Lock()
		closed, cause := c.closed, c.err
		c.mu.Unlock()
		if closed {
			// Nothing is recorded after the session's end event.
			d := &Decision{ID: NewID(), Action: Deny, Rule: c.session.Protocol + "/session", Reason: "the session is closed", Time: c.g.now().UTC()}
			return d, &RefusedError{Decision: d}
		}
		// The cause (a recorder's error) stays in the record, not in what
		// the client is shown.
		return c.refuse(ctx, req, "session", "the session has ended", cause.Error())
	}
	d, err := c.g.Check(ctx, req)
	if err == nil {
		c.remember(d, req)
	}
	return d, err
}

// Refuse records and counts a refusal the protocol makes before the rules
// run (a statement that cannot be parsed, a body above its bound, a name
// the upstream never listed): a deny decision like any other, named
// "<protocol>/<check>" (for example "postgres/parse"), counted in
// session.denied and the gate's metrics. It returns the decision and the
// *RefusedError to show the client; when the refusal cannot be recorded the
// Conn is broken, as for output.
func (c *Conn) Refuse(ctx context.Context, req *Request, check, reason string) (*Decision, error) {
	return c.refuse(ctx, req, check, reason)
}

// refuse is Refuse, with errors kept in the recorded decision.
func (c *Conn) refuse(ctx context.Context, req *Request, check, reason string, errs ...string) (*Decision, error) {
	req.Session = c.session
	if req.Protocol == "" {
		req.Protocol = c.session.Protocol
	}
	now := c.g.now().UTC()
	if req.Time.IsZero() {
		req.Time = now
	}
	d := &Decision{ID: NewID(), Action: Deny, Rule: req.Protocol + "/" + check, Reason: reason, Time: now, Errors: errs}
	if rs := c.g.rules.Load(); rs != nil {
		d.RuleSetVersion = rs.Version()
	}
	c.session.stats.countRequest(now)
	c.session.stats.countDenied()
	if err := c.g.countRun(ctx, c.session, MetricRequests, 1, now); err != nil {
		d.Errors = append(d.Errors, "runs: "+err.Error())
	} else if err := c.g.countRun(ctx, c.session, MetricRefusals, 1, now); err != nil {
		d.Errors = append(d.Errors, "runs: "+err.Error())
	}
	c.g.metrics.decision(ctx, d, req.Protocol)
	id := c.session.Identity
	err := c.g.record(context.WithoutCancel(ctx), Event{Kind: EventDecision, SessionID: c.session.ID, Time: now, Identity: &id, Request: req, Decision: d.clone()})
	if err != nil && !c.g.failOpen {
		c.fail(fmt.Errorf("record refusal: %w", err))
	}
	return d, &RefusedError{Decision: d}
}

// Record records e in the session (an error seen, a request that needs no
// decision), filling in session id, time and identity.
func (c *Conn) Record(ctx context.Context, e Event) error {
	return c.g.RecordEvent(ctx, c.session, e)
}

// Err returns why the session is broken or closed, nil while it is healthy.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// ended reports, without a lock, whether the session broke or closed: the
// check on the path of every request and every write.
func (c *Conn) ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Done is closed when the session breaks or closes; a protocol that waits
// on the client may select on it to end the connection at once.
func (c *Conn) Done() <-chan struct{} { return c.done }

// fail breaks the session: nothing more may reach the client.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = fmt.Errorf("%w: %w", ErrSessionEnded, err)
	close(c.done)
	c.g.log.Error("session ended: output could not be recorded", "session", c.session.ID, "error", err)
}

// Close records the end of the session with reason ("client closed",
// "shutdown", an error text); the reason of a broken session is its error.
// Calling Close again does nothing.
func (c *Conn) Close(ctx context.Context, reason string) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	if c.err != nil {
		reason = c.err.Error()
	} else {
		c.err = ErrSessionEnded
		close(c.done)
	}
	c.mu.Unlock()
	return c.g.CloseSession(context.WithoutCancel(ctx), c.session, reason)
}
