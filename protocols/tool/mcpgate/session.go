package mcpgate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
)

// session is one client session: its gate session handle, its upstream
// session and the lifecycle that ties them. Whichever side ends first ends
// both, and the record is closed with a session_end event after the last
// in-flight result was recorded. A result that cannot be recorded breaks
// the handle, which ends the session too.
type session struct {
	g    *Gateway
	conn *gate.Conn
	gs   *gate.Session // conn.Session()
	ss   *sdk.ServerSession
	up   *sdk.ClientSession

	http   bool            // served by Handler (else by Serve)
	posts  callCounter     // HTTP POSTs of this session not answered yet (Handler)
	ctx    context.Context // ends with the session
	cancel context.CancelFunc

	mu          sync.Mutex
	ending      bool
	upstreamErr string
	broken      error // why the gate session broke (an output not recorded), once ended
	endOnce     sync.Once
	closed      chan struct{} // closed once the record is closed
	upDone      chan struct{} // closed once the upstream session's Wait returned

	catalog   catalog              // what the upstream advertised to this client
	refreshMu sync.Mutex           // one catalog refresh at a time
	refreshed map[string]time.Time // last refresh by kind, under refreshMu
	cursors   cursors              // list cursors handed to the client
}

// initialize authenticates the client, opens the gate session, connects
// the upstream server and records the handshake, then answers with the
// upstream's identity and capabilities.
func (g *Gateway) initialize(ctx context.Context, ss *sdk.ServerSession, req sdk.Request, next sdk.MethodHandler) (sdk.Result, error) {
	if g.lookup(ss) != nil {
		return nil, rpcError(jsonrpc.CodeInvalidRequest, "airlock: duplicate initialize")
	}
	params, _ := req.GetParams().(*sdk.InitializeParams)
	if params == nil {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: initialize needs params")
	}
	if g.isClosed() {
		return nil, rpcError(jsonrpc.CodeInternalError, "airlock: the gateway is shutting down")
	}
	id, isHTTP, err := g.sessionIdentity(ctx, req)
	if err != nil {
		return nil, err
	}
	// The harness may name the agent's run (gate.RunStore) in the
	// initialize request's _meta.
	run, _ := params.Meta[RunMetaKey].(string)
	conn, err := g.cfg.Gate.Open(ctx, gate.Session{Protocol: gate.ProtocolMCP, Target: g.cfg.Target, Identity: id, Run: run})
	if errors.Is(err, gate.ErrRunID) {
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: _meta %q: %v", RunMetaKey, err)
	}
	if err != nil {
		g.log.Error("open session", "error", err)
		return nil, rpcError(jsonrpc.CodeInternalError, "airlock: the session could not be recorded")
	}
	gs := conn.Session()
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &session{g: g, conn: conn, gs: gs, ss: ss, http: isHTTP, ctx: sctx, cancel: cancel, closed: make(chan struct{}), upDone: make(chan struct{})}
	fail := func(reason string, clientMsg string) (sdk.Result, error) {
		cancel()
		_ = conn.Close(context.WithoutCancel(ctx), reason)
		close(s.closed)
		return nil, rpcError(jsonrpc.CodeInternalError, "airlock: %s", clientMsg)
	}

	t, err := g.cfg.Upstream(sctx)
	if err != nil {
		g.log.Error("upstream transport", "error", err)
		return fail("upstream unavailable: "+err.Error(), "the upstream server is unavailable")
	}
	client := sdk.NewClient(&sdk.Implementation{Name: "airlock-mcp-gateway", Version: "1"}, nil)
	cctx, ccancel := context.WithTimeout(sctx, 30*time.Second)
	up, err := client.Connect(cctx, t, &sdk.ClientSessionOptions{ProtocolVersion: legacyVersions[0]})
	ccancel()
	if err != nil {
		g.log.Error("upstream connect", "error", err)
		return fail("upstream unavailable: "+err.Error(), "the upstream server is unavailable")
	}
	s.up = up
	ir := up.InitializeResult()
	if ir == nil {
		_ = up.Close()
		return fail("upstream sent no initialize result", "the upstream server is unavailable")
	}

	clientName := ""
	if params.ClientInfo != nil {
		clientName = params.ClientInfo.Name
	}
	initReq := &gate.Request{Session: gs, Protocol: gate.ProtocolMCP, Command: "initialize", Time: time.Now().UTC(),
		Tool: &gate.ToolCall{Kind: kindInitialize, Name: clientName}}
	serverInfo, instructions, err := s.maskInitialize(ctx, initReq, ir)
	if err == nil {
		if data, _ := json.Marshal([]any{serverInfo, instructions}); g.holdsSecret(data) {
			err = errInitSecret
		}
	}
	if err != nil {
		_ = up.Close()
		g.log.Error("mask initialize", "error", err)
		return fail("mask initialize: "+err.Error(), "the upstream server's metadata could not be masked")
	}
	hs := handshake{Client: params.ClientInfo, ClientProtocol: params.ProtocolVersion, Server: serverInfo, ServerProtocol: ir.ProtocolVersion}
	initReq.Payload, _ = json.Marshal(hs)
	initReq.Session = nil
	err = conn.Record(ctx, gate.Event{Kind: gate.EventRequest, Request: initReq})
	if err != nil {
		_ = up.Close()
		return fail("record handshake: "+err.Error(), "the session could not be recorded")
	}

	res, err := next(ctx, "initialize", req)
	if err != nil {
		_ = up.Close()
		return fail("initialize: "+err.Error(), "initialize failed")
	}
	if r, ok := res.(*sdk.InitializeResult); ok {
		if serverInfo != nil {
			r.ServerInfo = serverInfo
		}
		r.Instructions = instructions
		r.Capabilities = mirrorCapabilities(ir.Capabilities)
	}

	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		_ = up.Close()
		return fail("shutdown", "the gateway is shutting down")
	}
	g.sessions[ss] = s
	if isHTTP {
		g.byID[ss.ID()] = s
	}
	g.mu.Unlock()
	go func() {
		// A result that could not be recorded breaks the handle: the
		// session ends before anything more reaches the client.
		<-conn.Done()
		s.end("the gate session ended")
	}()
	go func() {
		defer close(s.upDone)
		err := up.Wait()
		reason := "upstream server exited"
		if err != nil {
			reason += ": " + err.Error()
		}
		s.mu.Lock()
		if !s.ending {
			s.upstreamErr = reason
		}
		s.mu.Unlock()
		s.end(reason)
	}()
	go func() {
		_ = ss.Wait()
		s.end("client closed")
		if isHTTP {
			<-s.closed
			g.forget(ss)
		}
	}()
	return res, nil
}

// sessionIdentity returns the identity of the client initializing a
// session, and whether it came over HTTP: the identity Handler verified for
// this HTTP request, or, on a stream transport, the Authenticator's answer
// for a client that presented no credential. A refusal is recorded.
func (g *Gateway) sessionIdentity(ctx context.Context, req sdk.Request) (gate.Identity, bool, error) {
	if extra := req.GetExtra(); extra != nil && extra.Header != nil {
		id, ok := requestIdentity(extra)
		if !ok {
			return gate.Identity{}, true, rpcError(CodeRefused, "airlock: the request carries no verified bearer token")
		}
		return id, true, nil
	}
	id, err := g.cfg.Authenticator.Authenticate(ctx, gate.Credential{Protocol: gate.ProtocolMCP})
	if err != nil {
		if rerr := g.cfg.Gate.RecordRefusal(ctx, gate.Refusal{Protocol: gate.ProtocolMCP, Target: g.cfg.Target,
			Reason: "unauthenticated: " + err.Error()}); rerr != nil {
			g.log.Error("record refusal", "error", rerr)
		}
		return gate.Identity{}, false, rpcError(CodeRefused, "airlock: the client could not be authenticated")
	}
	return id, false, nil
}

// handshake is the payload of the recorded initialize.
type handshake struct {
	Client         *sdk.Implementation `json:"client"`
	ClientProtocol string              `json:"client_protocol_version"`
	Server         *sdk.Implementation `json:"server"`
	ServerProtocol string              `json:"server_protocol_version"`
}

// mirrorCapabilities advertises what the gateway proxies of the upstream's
// capabilities: tools, resources and prompts, without change notifications
// or subscriptions, which it does not relay.
func mirrorCapabilities(up *sdk.ServerCapabilities) *sdk.ServerCapabilities {
	c := &sdk.ServerCapabilities{}
	if up == nil {
		return c
	}
	if up.Tools != nil {
		c.Tools = &sdk.ToolCapabilities{}
	}
	if up.Resources != nil {
		c.Resources = &sdk.ResourceCapabilities{}
	}
	if up.Prompts != nil {
		c.Prompts = &sdk.PromptCapabilities{}
	}
	return c
}

// begin admits a request into the session: its context ends with the
// session too, so a held review is withdrawn when the session dies.
func (s *session) begin(ctx context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	ending := s.ending
	s.mu.Unlock()
	if ending || s.conn.Err() != nil {
		return nil, nil, rpcError(jsonrpc.CodeInternalError, "airlock: the session has ended")
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }, nil
}

// end closes the session once: the upstream session, the record, and, on
// a stream transport, the client connection once every call it read was
// answered. An HTTP client session whose upstream died stays open until the
// client leaves (or idles out); its requests are refused meanwhile. One
// whose gate session broke (a result not recorded), or that the gateway's
// Close ends, is closed at once.
func (s *session) end(reason string) {
	s.endOnce.Do(func() {
		s.mu.Lock()
		s.ending = true
		s.mu.Unlock()
		go func() {
			defer close(s.closed)
			// Cancelling ends held reviews and upstream calls at once.
			s.cancel()
			if reason != "client closed" {
				// Every call already read gets its answer (a withheld
				// result's error, errEnded) before the connection closes.
				if q := s.g.quiescer(s.ss); q != nil {
					q.wait(10 * time.Second)
				}
				if s.http {
					s.posts.wait(10 * time.Second)
				}
			}
			broken := s.conn.Err() // before Close: non-nil only when broken
			s.mu.Lock()
			s.broken = broken
			s.mu.Unlock()
			if !s.http || broken != nil || s.g.isClosed() {
				_ = s.ss.Close()
			}
			_ = s.up.Close()
			if err := s.conn.Close(context.Background(), reason); err != nil {
				s.g.log.Error("close session", "session", s.gs.ID, "error", err)
			}
		}()
	})
}

// errEnded is the refusal of a request on a session that has ended; why it
// broke (gate.Conn.Err: a recorder's error) is not the client's business.
var errEnded = errors.New("airlock: the session has ended")

// check runs the gate on req through the session's handle (see judge).
func (s *session) check(ctx context.Context, req *gate.Request, progressToken any) (*gate.Decision, error) {
	d, err := s.judge(ctx, req, progressToken)
	if err != nil && s.conn.Err() != nil {
		return d, errEnded
	}
	return d, err
}

// judge runs the gate on req. While a review holds the request, it sends the
// client progress notifications, when the client gave a progress token, so
// the client does not time out.
func (s *session) judge(ctx context.Context, req *gate.Request, progressToken any) (*gate.Decision, error) {
	if progressToken == nil {
		return s.conn.Check(ctx, req)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.g.cfg.ProgressInterval)
		defer t.Stop()
		n := 0
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				n++
				err := s.ss.NotifyProgress(ctx, &sdk.ProgressNotificationParams{
					ProgressToken: progressToken, Progress: float64(n),
					Message: "airlock: the request is held for review",
				})
				if err != nil {
					s.g.log.Debug("progress notification", "error", err)
				}
			}
		}
	}()
	d, err := s.conn.Check(ctx, req)
	close(done)
	wg.Wait()
	return d, err
}

// errWithheld is the client's answer when a result could not be recorded:
// the result is withheld, and the session ends.
func errWithheld() error {
	return rpcError(jsonrpc.CodeInternalError, "airlock: the result could not be recorded, so it was withheld; the session has ended")
}

// reply passes v, the answer to a request decided by d, through the gate
// before the client receives it: when d allowed the request, as its result
// (Conn.Result: recorded, bounded, findings tallied; v is masked already);
// otherwise as the refusal's reply. A non-nil error means v must not reach
// the client: answer with it instead (the session has ended).
func (s *session) reply(ctx context.Context, d *gate.Decision, stream string, v any, findings []gate.Finding) error {
	data, err := json.Marshal(v)
	if err != nil {
		s.recordError(ctx, "mcp: encode result: "+err.Error())
		return errWithheld()
	}
	if s.g.holdsSecret(data) {
		return s.withholdSecret(ctx, "the answer")
	}
	if d == nil || d.Action != gate.Allow {
		s.recordRefusal(ctx, d, stream, data)
		return nil
	}
	if _, _, err := s.conn.Result(ctx, d, stream, data, gate.ResultOptions{Premasked: true, Findings: findings, Limit: s.g.cfg.RecordLimit}); err != nil {
		s.g.log.Error("result withheld: not recorded", "session", s.gs.ID, "error", err)
		return errWithheld()
	}
	return nil
}

// recordRefusal records the reply to a refused request (its text names
// the rule and reason of d, or of the gateway's own refusal) as the
// request's output, bounded by RecordLimit. The decision is recorded
// already; a failure here is logged.
func (s *session) recordRefusal(ctx context.Context, d *gate.Decision, stream string, data []byte) {
	out := &gate.Output{Stream: stream, Final: true}
	if d != nil {
		out.DecisionID = d.ID
	}
	limit := s.g.cfg.RecordLimit
	if limit == 0 {
		limit = gate.DefaultRecordLimit
	}
	if limit > 0 && int64(len(data)) > limit {
		data, out.Truncated = data[:limit], true
	}
	out.Data = data
	if err := s.conn.Record(context.WithoutCancel(ctx), gate.Event{Kind: gate.EventOutput, Output: out}); err != nil {
		s.g.log.Error("record refusal", "session", s.gs.ID, "error", err)
	}
}

// recordError records a failure that is not a gate decision.
func (s *session) recordError(ctx context.Context, msg string) {
	if err := s.conn.Record(context.WithoutCancel(ctx), gate.Event{Kind: gate.EventError, Error: msg}); err != nil {
		s.g.log.Error("record error", "session", s.gs.ID, "error", err)
	}
}

// Codes of the Go SDK's own JSON-RPC errors for transport conditions: a
// request the transport could not deliver or got no answer for (an HTTP
// upstream unreachable, or answering 429/502/503/504), and connections
// closing.
const (
	codeClientClosing       = -32003
	codeServerClosing       = -32004
	codeRejectedByTransport = -32005
)

// upstreamAnswer returns the JSON-RPC error the upstream answered with, or
// nil when err is a failure of the transport (the SDK reports those as
// JSON-RPC errors of its own too).
func upstreamAnswer(err error) *jsonrpc.Error {
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) {
		return nil
	}
	switch werr.Code {
	case codeRejectedByTransport, codeClientClosing, codeServerClosing:
		return nil
	}
	return werr
}

// upstreamFailed ends the session when err, returned by a request to the
// upstream, means the upstream connection failed: not an error the upstream
// answered with (a JSON-RPC error), and not the request's own cancellation.
// A stdio upstream that exits is also seen by the Wait in initialize; an
// HTTP upstream that refuses connections or answers with an HTTP error is
// seen only here. The session's record is closed with the reason, and later
// requests of the session are refused.
func (s *session) upstreamFailed(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	if upstreamAnswer(err) != nil {
		return
	}
	closing := errors.Is(err, io.EOF) || errors.Is(err, sdk.ErrConnectionClosed)
	var werr *jsonrpc.Error
	if errors.As(err, &werr) && (werr.Code == codeClientClosing || werr.Code == codeServerClosing) {
		closing = true
	}
	reason := "upstream server failed: " + err.Error()
	if closing {
		// The connection is gone: Wait reports it, with the exit status.
		// Should it not return, the session ends anyway.
		go func() {
			select {
			case <-s.upDone:
			case <-time.After(2 * time.Second):
				s.fail(reason)
			}
		}()
		return
	}
	s.fail(reason)
}

// fail ends the session for an upstream failure.
func (s *session) fail(reason string) {
	s.mu.Lock()
	if !s.ending {
		s.upstreamErr = reason
	}
	s.mu.Unlock()
	s.g.log.Error("upstream failed; ending the session", "session", s.gs.ID, "reason", reason)
	s.end(reason)
}

// upstreamFailure describes an upstream error for the client, masked by m:
// a JSON-RPC error message of the upstream can carry data too.
func upstreamFailure(err error, m *masker) string {
	if werr := upstreamAnswer(err); werr != nil {
		msg, merr := m.text(werr.Message)
		if merr != nil {
			msg = "(withheld: it could not be masked)"
		}
		return "airlock: the upstream server returned an error: " + msg
	}
	// A transport error can quote the upstream's reply (an HTTP body).
	msg, merr := m.text(err.Error())
	if merr != nil {
		msg = "(details withheld: they could not be masked)"
	}
	return "airlock: the upstream server failed: " + msg
}
