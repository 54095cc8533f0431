package httpgate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/hashicorp/go-hclog"
)

var errClosed = errors.New("httpgate: gateway closed")

// errTooManySessions refuses a subject that would hold more sessions open
// than Config.MaxSessionsPerIdentity (one per run it names).
var errTooManySessions = errors.New("httpgate: too many sessions for this identity")

// RunHeader is the request header by which an agent's harness names the
// run the request belongs to (gate.Session.Run), so that its HTTP requests
// join the agent's sessions through other protocols. Sessions are kept per
// identity and run; the header is removed before the upstream (or the
// handler behind the middleware) sees the request. A value that is not a
// run id (gate.ErrRunID), or more than one such header, gets 400.
const RunHeader = "Airlock-Run"

// Gateway gates HTTP requests through a gate.Hub. Build it with New, serve
// its Handler, Middleware or Proxy, and Close it when done. It is safe for
// concurrent use.
type Gateway struct {
	cfg      Config
	hub      gate.Hub
	log      hclog.Logger
	sessions *sessions
	// secretQuery is cfg.SecretQuery compiled.
	secretQuery *mask.SecretNameSet
	// secretHeaders are cfg.SecretHeaders in canonical form, the keys
	// of http.Header.
	secretHeaders []string
	// names are the names the rules in force read from bodies and
	// queries (see keynames.go).
	names ruleNames
	// readRules tell whether the rules in force read the path or the
	// host (see readings.go).
	readRules readRules
	// handler is what Handler serves: the proxy of Config.Proxy, or
	// nil.
	handler http.Handler
}

// New validates cfg and returns a Gateway. It starts a janitor goroutine
// that closes idle sessions; Close stops it.
func New(cfg Config) (*Gateway, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	gw := &Gateway{cfg: c, hub: c.Gate, log: c.Logger, secretQuery: mask.CompileSecretNames(c.SecretQuery),
		secretHeaders: canonicalKeys(c.SecretHeaders)}
	if c.Proxy != nil {
		if gw.handler, err = gw.Proxy(*c.Proxy); err != nil {
			return nil, err
		}
	}
	gw.sessions = newSessions(c.Gate, c.IdleTimeout, c.MaxSessionsPerIdentity)
	return gw, nil
}

// Handler returns the gating reverse proxy to Config.Proxy. Without a
// Config.Proxy there is nothing to forward to: it answers every request
// with 500 (use Middleware).
func (gw *Gateway) Handler() http.Handler {
	if gw.handler != nil {
		return gw.handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw.log.Error("Handler used without Config.Proxy")
		writeProblem(w, Problem{Type: "urn:airlock:problem:unavailable", Title: "Internal Server Error",
			Status: http.StatusInternalServerError, Detail: "airlock: the gateway has no upstream"})
	})
}

// Close records the end of every open session and stops the janitor.
// Requests that arrive afterwards are refused with 503.
func (gw *Gateway) Close() error {
	return gw.sessions.close(context.Background())
}

// exchange is one admitted request: its session, model and decision.
type exchange struct {
	conn   *gate.Conn
	req    *gate.Request
	d      *gate.Decision
	policy *mask.Policy
	// secretsOnly: no rule masks the response, policy masks the
	// gateway's own secrets alone (see secretscan.go).
	secretsOnly bool
	method      string
	accept      []string // the client's Accept-Encoding
	f           *filter  // the response's filter, once there is one
	filt        filter   // where f points
	iw          infoWriter
	gw          *Gateway
	session     *sessionEntry // held until release
	// cancel ends the request's context (the upstream request, or the
	// handler's): a streamed response stops when its session ends.
	cancel context.CancelFunc
}

// admit identifies the client, finds its session, models the request and
// asks the gate. When the request may not go on it writes the refusal and
// returns nil.
func (gw *Gateway) admit(w http.ResponseWriter, r *http.Request, target string) *exchange {
	ctx := r.Context()
	id, err := gw.identify(r)
	if err != nil {
		gw.log.Debug("client not identified", "remote", r.RemoteAddr, "error", err)
		gw.refuseClient(ctx, r, target, "", "unauthenticated: "+err.Error())
		writeProblem(w, Problem{Type: "urn:airlock:problem:unauthenticated", Title: "Unauthorized",
			Status: http.StatusUnauthorized, Detail: "airlock: the client could not be identified"})
		return nil
	}
	runs := r.Header[RunHeader]
	// The run is the gateway's to record; the upstream never sees it.
	delete(r.Header, RunHeader)
	if len(runs) > 1 {
		gw.refuseRun(w, r, target, id, fmt.Errorf("%w: %d %s headers", gate.ErrRunID, len(runs), RunHeader))
		return nil
	}
	s := gate.Session{Protocol: gate.ProtocolHTTP, Target: target, Identity: id, ClientAddr: r.RemoteAddr}
	if len(runs) == 1 {
		s.Run = runs[0]
	}
	e, err := gw.sessions.acquire(ctx, s)
	if errors.Is(err, gate.ErrRunID) {
		gw.refuseRun(w, r, target, id, err)
		return nil
	}
	if errors.Is(err, errTooManySessions) {
		gw.refuseClient(ctx, r, target, id.Subject, "too many sessions: one per run, at most "+fmt.Sprint(gw.cfg.MaxSessionsPerIdentity))
		writeProblem(w, Problem{Type: "urn:airlock:problem:too-many-sessions", Title: "Too Many Requests",
			Status: http.StatusTooManyRequests, Detail: "airlock: this identity holds too many sessions open (one per " + RunHeader + " value); reuse a run or wait for idle ones to close"})
		return nil
	}
	if err != nil {
		gw.log.Error("cannot open session", "subject", id.Subject, "error", err)
		writeProblem(w, Problem{Type: "urn:airlock:problem:unavailable", Title: "Service Unavailable",
			Status: http.StatusServiceUnavailable, Detail: "airlock: the gate cannot record this session"})
		return nil
	}
	conn := e.conn
	req, ref := gw.buildModel(r)
	if ref == nil {
		ref = gw.checkReadings(ctx, conn.Session(), req)
	}
	if ref != nil {
		d, _ := conn.Refuse(ctx, gw.refusedRequest(r), ref.Check, ref.Reason)
		gw.sessions.release(e)
		writeProblem(w, refusalProblem(ref, d))
		return nil
	}
	d, err := conn.Check(ctx, req)
	if err != nil {
		gw.sessions.release(e)
		writeProblem(w, refusedProblem(err, gw.cfg.RetryAfter))
		return nil
	}
	return &exchange{conn: conn, req: req, d: d, policy: d.Masker, method: r.Method,
		accept: r.Header["Accept-Encoding"], gw: gw, session: e}
}

// release ends the exchange's hold on its session; call it once the
// response is over.
func (x *exchange) release() { x.gw.sessions.release(x.session) }

// refuseRun refuses a request whose run header is not a run id, with 400,
// and records the refusal.
func (gw *Gateway) refuseRun(w http.ResponseWriter, r *http.Request, target string, id gate.Identity, err error) {
	gw.refuseClient(r.Context(), r, target, id.Subject, "invalid run: "+err.Error())
	writeProblem(w, Problem{Type: "urn:airlock:problem:bad-request", Title: "Bad Request", Status: http.StatusBadRequest,
		Detail: "airlock: the " + RunHeader + " header does not name a run: " + err.Error()})
}

// refuseClient records a client refused before any session opened.
func (gw *Gateway) refuseClient(ctx context.Context, r *http.Request, target, claimed, reason string) {
	err := gw.hub.RecordRefusal(ctx, gate.Refusal{Protocol: gate.ProtocolHTTP, Target: target, ClientAddr: r.RemoteAddr, Claimed: claimed, Reason: reason})
	if err != nil {
		gw.log.Error("cannot record a refused client", "remote", r.RemoteAddr, "error", err)
	}
}

// refusedRequest is what the record keeps of a request refused before it
// could be modelled: its method and target (cut to 2 KiB) with the values
// of secret parameters redacted (see refusedTarget), and the values of its
// secret headers and parameters listed for the recorder to HMAC.
func (gw *Gateway) refusedRequest(r *http.Request) *gate.Request {
	// A query that did not parse still yields the pairs before the error.
	query, _ := url.ParseQuery(r.URL.RawQuery)
	target := gw.refusedTarget(r.URL.EscapedPath(), r.URL.RawQuery)
	if len(target) > 2048 {
		target = target[:2048]
	}
	return &gate.Request{Protocol: gate.ProtocolHTTP, Command: r.Method + " " + target, Secrets: gw.secrets(r, query)}
}
