package httpgate

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/hashicorp/go-hclog"
)

var errClosed = errors.New("httpgate: gateway closed")

// Gateway gates HTTP requests with a gate.Gate. Build it with New, use its
// Middleware or Proxy, and Close it when done. It is safe for concurrent use.
type Gateway struct {
	cfg      Config
	g        *gate.Gate
	log      hclog.Logger
	sessions *sessions
	// secretQuery is cfg.SecretQuery compiled.
	secretQuery *mask.SecretNameSet
}

// New validates cfg and returns a Gateway. It starts a janitor goroutine
// that closes idle sessions; Close stops it.
func New(cfg Config) (*Gateway, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	gw := &Gateway{cfg: c, g: c.Gate, log: c.Logger, secretQuery: mask.CompileSecretNames(c.SecretQuery)}
	gw.sessions = newSessions(c.Gate, c.IdleTimeout)
	return gw, nil
}

// Close records the end of every open session and stops the janitor.
// Requests that arrive afterwards are refused with 503.
func (gw *Gateway) Close() error {
	return gw.sessions.close(context.Background())
}

// exchange is one admitted request: its session, model and decision.
type exchange struct {
	s       *gate.Session
	req     *gate.Request
	d       *gate.Decision
	policy  *mask.Policy
	method  string
	accept  []string // the client's Accept-Encoding
	f       *filter  // the response's filter, once there is one
	release func()
}

// admit identifies the client, finds its session, models the request and
// asks the gate. When the request may not go on it writes the refusal and
// returns nil.
func (gw *Gateway) admit(w http.ResponseWriter, r *http.Request, target string) *exchange {
	ctx := r.Context()
	id, err := gw.cfg.Identify(r)
	if err != nil {
		gw.log.Debug("client not identified", "remote", r.RemoteAddr, "error", err)
		_ = gw.cfg.Gate.RecordRefusal(ctx, gate.Refusal{Protocol: gate.ProtocolHTTP, Target: target, ClientAddr: r.RemoteAddr, Reason: "unauthenticated: " + err.Error()})
		writeProblem(w, Problem{Type: "urn:airlock:problem:unauthenticated", Title: "Unauthorized",
			Status: http.StatusUnauthorized, Detail: "airlock: the client could not be identified"})
		return nil
	}
	s, release, err := gw.sessions.acquire(ctx, target, id, r.RemoteAddr)
	if err != nil {
		gw.log.Error("cannot open session", "subject", id.Subject, "error", err)
		writeProblem(w, Problem{Type: "urn:airlock:problem:unavailable", Title: "Service Unavailable",
			Status: http.StatusServiceUnavailable, Detail: "airlock: the gate cannot record this session"})
		return nil
	}
	m, ref := gw.buildModel(r)
	if ref != nil {
		did := gw.recordRefusal(ctx, s, r, ref)
		release()
		writeProblem(w, refusalProblem(ref, did))
		return nil
	}
	m.req.Session = s
	d, err := gw.g.Check(ctx, m.req)
	if err != nil {
		release()
		writeProblem(w, refusedProblem(err, gw.cfg.RetryAfter))
		return nil
	}
	return &exchange{s: s, req: m.req, d: d, policy: d.Masker, method: r.Method,
		accept: r.Header.Values("Accept-Encoding"), release: release}
}

// recordRefusal records a request refused before the rules ran, as a deny
// decision of the gateway check, and returns the decision id.
func (gw *Gateway) recordRefusal(ctx context.Context, s *gate.Session, r *http.Request, ref *refusal) string {
	// A query that did not parse still yields the pairs before the error.
	query, _ := url.ParseQuery(r.URL.RawQuery)
	secrets := gw.secrets(r, query)
	target := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	if len(target) > 2048 {
		target = target[:2048]
	}
	d := &gate.Decision{ID: gate.NewID(), Action: gate.Deny, Rule: "httpgate/" + ref.Check, Reason: ref.Reason,
		Rules: []string{"httpgate/" + ref.Check}, Time: time.Now().UTC()}
	req := &gate.Request{Protocol: gate.ProtocolHTTP, Command: r.Method + " " + target, Secrets: secrets}
	err := gw.g.RecordEvent(context.WithoutCancel(ctx), s, gate.Event{Kind: gate.EventDecision, Request: req, Decision: d})
	if err != nil {
		gw.log.Error("cannot record a refused request", "session", s.ID, "error", err)
	}
	return d.ID
}
