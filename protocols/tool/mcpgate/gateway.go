package mcpgate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/airlock-sdk/airlock/protocols/tool"
)

// CodeRefused is the JSON-RPC error code of a request the gate refused where
// MCP has no error result (resources/read, prompts/get, the list methods).
// Refused tool calls are tool error results instead, which the model reads.
const CodeRefused = -32003

// DefaultProgressInterval is how often a held request sends a progress
// notification when Config.ProgressInterval is zero.
const DefaultProgressInterval = 5 * time.Second

// legacyVersions are the protocol versions the gateway speaks toward the
// client: the ones with an initialize handshake, which carries the client's
// identity once per session.
var legacyVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// Config configures a Gateway. Gate, Upstream and Authenticator are
// required.
// RunMetaKey is the key of the initialize request's _meta under which an
// agent's harness names its run, so the MCP session joins the agent's
// sessions through other protocols (gate.Session.Run).
const RunMetaKey = "airlock/run"

type Config struct {
	// Gate judges, holds and records every request (a *gate.Gate).
	Gate gate.Hub
	// Upstream returns a new transport to the upstream MCP server, once per
	// client session: Command for a server the gateway spawns over stdio, URL
	// for a streamable HTTP server.
	Upstream func(ctx context.Context) (sdk.Transport, error)
	// Target names the upstream in records and rules (session.target).
	Target string
	// Authenticator maps a client's credential to its identity. Over
	// HTTP (Handler) it receives the bearer token of every request
	// (gate.Credential.Token; a request without one is refused before it
	// is asked): use a token authenticator there, such as gate.Tokens or
	// an oidc.Verifier, never gate.StaticIdentity, which would admit any
	// token. On a stream transport (Serve, ServeStdio) it is asked once per
	// session with no token: gate.StaticIdentity names the one local agent.
	// An error refuses the client.
	Authenticator gate.Authenticator
	// Masks, when set, replaces the masking engine of the rule set (the
	// gate's Decision.Masker) for results of this gateway.
	Masks *mask.Engine
	// ProgressInterval is how often a held request sends a progress
	// notification (when the client asked for progress); default 5s.
	ProgressInterval time.Duration
	// IdleTimeout closes an HTTP client session that sent nothing for this
	// long; default 30 minutes.
	IdleTimeout time.Duration
	// RecordLimit bounds the bytes of one result the record keeps; 0 means
	// gate.DefaultRecordLimit, a negative value no bound. The client always
	// receives the whole (masked) result.
	RecordLimit int64
	// Secrets are values the gateway presents to its upstream (the token
	// of its HTTP client, a password in the upstream URL, credentials in a
	// stdio server's environment): an answer holding one is withheld,
	// whatever the rules mask (see secrets.go).
	Secrets []string
	// Logger receives operational logs; nil means silence.
	Logger hclog.Logger
}

// Gateway is an MCP server toward the agent and an MCP client toward the
// upstream server. Each client session gets its own upstream session and
// gate session. It is safe for concurrent use.
type Gateway struct {
	cfg     Config
	log     hclog.Logger
	server  *sdk.Server
	filters filterCache
	words   tool.WordCache // names the rules read from tool arguments
	types   typesCache     // the types the rules compare tool arguments with
	secrets *mask.Policy   // finds Config.Secrets (nil: none)

	mu        sync.Mutex
	closed    bool // Close was called: no new session
	sessions  map[*sdk.ServerSession]*session
	byID      map[string]*session // HTTP sessions by Mcp-Session-Id
	quiescers map[*sdk.ServerSession]*callCounter
}

// New returns a Gateway for cfg, or an error saying what cfg lacks.
func New(cfg Config) (*Gateway, error) {
	if cfg.Gate == nil {
		return nil, errors.New("mcpgate: config: Gate is required")
	}
	if cfg.Upstream == nil {
		return nil, errors.New("mcpgate: config: Upstream is required (Command or URL)")
	}
	if cfg.Authenticator == nil {
		return nil, errors.New("mcpgate: config: Authenticator is required (gate.StaticIdentity for a local stdio agent, a token authenticator over HTTP)")
	}
	if cfg.ProgressInterval < 0 || cfg.IdleTimeout < 0 {
		return nil, errors.New("mcpgate: config: ProgressInterval and IdleTimeout must not be negative")
	}
	if cfg.ProgressInterval == 0 {
		cfg.ProgressInterval = DefaultProgressInterval
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	g := &Gateway{cfg: cfg, log: cfg.Logger, sessions: map[*sdk.ServerSession]*session{}, byID: map[string]*session{},
		quiescers: map[*sdk.ServerSession]*callCounter{}}
	if g.log == nil {
		g.log = hclog.NewNullLogger()
	}
	g.secrets = secretPolicy(cfg.Secrets)
	g.server = sdk.NewServer(&sdk.Implementation{Name: "airlock-mcp-gateway", Version: "1"}, &sdk.ServerOptions{
		Capabilities:              &sdk.ServerCapabilities{},
		SupportedProtocolVersions: legacyVersions,
	})
	g.server.AddReceivingMiddleware(g.middleware)
	return g, nil
}

// Serve runs one client session over t (for stdio: &sdk.StdioTransport{})
// until the client or the upstream closes it, or ctx ends. The client's
// identity is what Config.Authenticator answers for a client that presented
// no credential (gate.StaticIdentity). It returns an error when the
// upstream failed or the session's record broke.
//
// t must be a stream transport (stdio, a pipe, in-memory): Serve counts the
// calls it reads and the responses it writes, so that when the upstream dies
// the client still receives every answer before the connection closes.
// HTTP clients use Handler.
func (g *Gateway) Serve(ctx context.Context, t sdk.Transport) error {
	cc := &callCounter{}
	ss, err := g.server.Connect(ctx, &countingTransport{t: t, c: cc}, nil)
	if err != nil {
		return fmt.Errorf("mcp: connect client: %w", err)
	}
	g.mu.Lock()
	g.quiescers[ss] = cc
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.quiescers, ss)
		g.mu.Unlock()
	}()
	done := make(chan error, 1)
	go func() { done <- ss.Wait() }()
	select {
	case <-ctx.Done():
		// End the session first: that cancels held reviews and upstream
		// calls, so closing the connection does not wait on them.
		if s := g.lookup(ss); s != nil {
			s.end("shutdown: " + ctx.Err().Error())
			<-s.closed
		}
		_ = ss.Close()
		<-done
	case <-done:
	}
	if s := g.lookup(ss); s != nil {
		s.end("client closed")
		<-s.closed
		g.forget(ss)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.broken != nil {
			return fmt.Errorf("mcp: %w", s.broken)
		}
		if s.upstreamErr != "" {
			return fmt.Errorf("mcp: %s", s.upstreamErr)
		}
	}
	return nil
}

// Close ends every client session, recorded with the reason "shutdown",
// and refuses new ones; it returns once every session's record is closed.
// Closing the HTTP listener that serves Handler stays with the caller.
func (g *Gateway) Close() error {
	g.mu.Lock()
	g.closed = true
	open := make([]*session, 0, len(g.sessions))
	for _, s := range g.sessions {
		open = append(open, s)
	}
	g.mu.Unlock()
	for _, s := range open {
		s.end("shutdown")
	}
	for _, s := range open {
		<-s.closed
	}
	return nil
}

// isClosed reports whether Close was called.
func (g *Gateway) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

func (g *Gateway) lookup(ss *sdk.ServerSession) *session {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sessions[ss]
}

func (g *Gateway) quiescer(ss *sdk.ServerSession) *callCounter {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.quiescers[ss]
}

func (g *Gateway) forget(ss *sdk.ServerSession) {
	g.mu.Lock()
	if s := g.sessions[ss]; s != nil && s.http && g.byID[ss.ID()] == s {
		delete(g.byID, ss.ID())
	}
	delete(g.sessions, ss)
	g.mu.Unlock()
}

// rpcError is a JSON-RPC error the client sees.
func rpcError(code int64, format string, args ...any) error {
	return &jsonrpc.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// middleware intercepts every request the client sends. Methods the gateway
// proxies never reach the SDK's own (empty) server; everything else does, and
// the SDK answers it locally (ping, logging level) or refuses it.
func (g *Gateway) middleware(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		ss, ok := req.GetSession().(*sdk.ServerSession)
		if !ok {
			return nil, rpcError(jsonrpc.CodeInternalError, "airlock: no session")
		}
		if method == "initialize" {
			return g.initialize(ctx, ss, req, next)
		}
		switch method {
		case "tools/list", "tools/call", "resources/list", "resources/templates/list", "resources/read",
			"prompts/list", "prompts/get":
		case "completion/complete", "resources/subscribe", "resources/unsubscribe", "subscriptions/listen":
			return nil, rpcError(jsonrpc.CodeMethodNotFound, "airlock: method %q is not supported through the gateway", method)
		default:
			return next(ctx, method, req)
		}
		s := g.lookup(ss)
		if s == nil {
			return nil, rpcError(jsonrpc.CodeInvalidRequest, "airlock: the session is not initialized or has ended")
		}
		if extra := req.GetExtra(); extra != nil && extra.Header != nil {
			// Handler verified the token of this HTTP request; the identity
			// rides in the SDK's token info.
			id, ok := requestIdentity(extra)
			if !ok || id.Subject != s.gs.Identity.Subject {
				return nil, rpcError(CodeRefused, "airlock: the bearer token does not belong to this session")
			}
		}
		ctx, release, err := s.begin(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		switch p := req.GetParams().(type) {
		case *sdk.ListToolsParams:
			return s.listTools(ctx, p)
		case *sdk.CallToolParamsRaw:
			return s.callTool(ctx, p)
		case *sdk.ListResourcesParams:
			return s.listResources(ctx, p)
		case *sdk.ListResourceTemplatesParams:
			return s.listResourceTemplates(ctx, p)
		case *sdk.ReadResourceParams:
			return s.readResource(ctx, p)
		case *sdk.ListPromptsParams:
			return s.listPrompts(ctx, p)
		case *sdk.GetPromptParams:
			return s.getPrompt(ctx, p)
		}
		return nil, rpcError(jsonrpc.CodeInvalidParams, "airlock: missing or malformed params for %q", method)
	}
}
