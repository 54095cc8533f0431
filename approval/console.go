package approval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// Cookie names used by the Console.
const (
	consoleCookie = "airlock_console"
	loginCookie   = "airlock_login"
)

// ContentSecurityPolicy is the header the Console sends with every answer:
// scripts and styles only from the console itself, no inline code, no
// framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Console is an http.Handler through which humans review held requests:
//
//	GET  /              pending reviews (updates live via /events)
//	GET  /history       decided reviews
//	GET  /login         login form (a reviewer token, checked by Authenticate)
//	POST /login, /logout, /decide (form posts with a CSRF token)
//	GET  /events        server-sent events: "change" whenever reviews change
//	GET  /api/pending   JSON list of ConsoleReview
//	GET  /api/history   JSON list of ConsoleReview
//	POST /api/decide    JSON Decision -> gate.Verdict (with "grant" to give one)
//	GET  /grants        grants (just-in-time access), revocable
//	GET  /api/grants    JSON list of ConsoleGrant
//	POST /api/revoke    JSON RevokeRequest
//
// Mount it with http.StripPrefix to serve it under a path. API calls
// authenticate with an Authorization header (Authenticate); browsers log in
// once through the form, which feeds the token to Authenticate as a bearer
// token and sets an HttpOnly, SameSite=Strict session cookie. The token is
// checked again on every request, so revoking it logs the reviewer out at
// once. Requests that
// rely on the cookie must carry the session's CSRF token. Every answer sends
// ContentSecurityPolicy; the page runs no inline script. When the live
// pending list changes, its vote buttons take no click for a second, so
// that a review leaving the list cannot slide another one's Approve
// button under the reviewer's pointer.
//
// Votes go to Approver, which enforces the review policy; the Console never
// decides on its own who may vote.
type Console struct {
	// Approver holds the reviews. Required.
	Approver Reviewable
	// Authenticate returns the reviewer of a request carrying credentials.
	// Required: without it every request is refused.
	Authenticate Authenticator
	// MaskCommand masks commands and every shown part of a payload, on top
	// of the masking the gate applies to every review (nil: the gate's
	// masking only).
	MaskCommand func(string) string
	// Title heads every page (default "Airlock review").
	Title string
	// SessionTTL bounds a browser login (default DefaultSessionTTL).
	SessionTTL time.Duration
	// PollInterval is how often the event stream looks for changes when
	// Approver does not implement Watcher (default 2s).
	PollInterval time.Duration

	sessions sessions
	once     sync.Once
	done     chan struct{}
	closing  sync.Once
	mux      *http.ServeMux
}

func (c *Console) init() {
	c.once.Do(func() {
		c.done = make(chan struct{})
		mux := http.NewServeMux()
		mux.HandleFunc("GET /{$}", c.page(c.servePending))
		mux.HandleFunc("GET /history", c.page(c.serveHistory))
		mux.HandleFunc("GET /fragment/pending", c.page(c.servePendingFragment))
		mux.HandleFunc("POST /decide", c.page(c.serveDecideForm))
		mux.HandleFunc("GET /login", c.serveLoginForm)
		mux.HandleFunc("POST /login", c.serveLogin)
		mux.HandleFunc("POST /logout", c.page(c.serveLogout))
		mux.HandleFunc("GET /events", c.api(c.serveEvents))
		mux.HandleFunc("GET /api/pending", c.api(c.serveAPIPending))
		mux.HandleFunc("GET /api/history", c.api(c.serveAPIHistory))
		mux.HandleFunc("POST /api/decide", c.api(c.serveAPIDecide))
		mux.HandleFunc("GET /grants", c.page(c.serveGrants))
		mux.HandleFunc("POST /grants/revoke", c.page(c.serveRevokeForm))
		mux.HandleFunc("GET /api/grants", c.api(c.serveAPIGrants))
		mux.HandleFunc("POST /api/revoke", c.api(c.serveAPIRevoke))
		mux.HandleFunc("GET /static/{file}", serveStatic)
		c.mux = mux
	})
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.init()
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

// Close ends the event streams of connected browsers (they reconnect to a
// new Console, if any). Call it before shutting the HTTP server down.
func (c *Console) Close() error {
	c.init()
	c.closing.Do(func() { close(c.done) })
	return nil
}

// viewer is who is looking at the console and how they proved it.
type viewer struct {
	identity gate.Identity
	session  *consoleSession // nil for header-authenticated requests
}

// ErrCSRF means a cookie-authenticated request lacked the session's CSRF token or
// came from another origin.
var ErrCSRF = errors.New("approval: missing or wrong CSRF token")

// authenticate returns the viewer of r: by its Authorization header when it
// has one, else by its session cookie.
func (c *Console) authenticate(r *http.Request) (viewer, error) {
	if c.Authenticate == nil || c.Approver == nil {
		return viewer{}, ErrUnauthenticated
	}
	if r.Header.Get("Authorization") != "" {
		id, err := c.Authenticate(r)
		if err != nil {
			return viewer{}, errors.Join(ErrUnauthenticated, err)
		}
		return viewer{identity: id}, nil
	}
	ck, err := r.Cookie(consoleCookie)
	if err != nil {
		return viewer{}, ErrUnauthenticated
	}
	cs, ok := c.sessions.get(ck.Value)
	if !ok {
		return viewer{}, ErrUnauthenticated
	}
	// The token behind the login must still be good: a revoked reviewer
	// is logged out on their next request, not when the login expires.
	id, err := c.login(r, cs.token)
	if err != nil {
		c.sessions.delete(ck.Value)
		return viewer{}, errors.Join(ErrUnauthenticated, err)
	}
	return viewer{identity: id, session: cs}, nil
}

// checkCSRF guards state-changing requests that ride on the session cookie.
func checkCSRF(r *http.Request, v viewer, formToken string) error {
	if v.session == nil {
		return nil // header credentials are not sent by browsers on their own
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return ErrCSRF
		}
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		tok = formToken
	}
	if !tokensEqual(tok, v.session.csrf) {
		return ErrCSRF
	}
	return nil
}

// page wraps handlers for browsers: unauthenticated visitors go to the
// login form.
func (c *Console) page(h func(http.ResponseWriter, *http.Request, viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := c.authenticate(r)
		if err != nil {
			if r.Method == http.MethodGet && (r.URL.Path == "/" || r.URL.Path == "/history" || r.URL.Path == "/grants") {
				redirect(w, "login")
				return
			}
			writeError(w, ErrUnauthenticated)
			return
		}
		h(w, r, v)
	}
}

// api wraps handlers for scripts and the page's own fetches.
func (c *Console) api(h func(http.ResponseWriter, *http.Request, viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := c.authenticate(r)
		if err != nil {
			writeError(w, ErrUnauthenticated)
			return
		}
		h(w, r, v)
	}
}

func (c *Console) serveLogout(w http.ResponseWriter, r *http.Request, v viewer) {
	if err := checkCSRF(r, v, r.PostFormValue("csrf")); err != nil {
		writeError(w, err)
		return
	}
	if ck, err := r.Cookie(consoleCookie); err == nil {
		c.sessions.delete(ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	redirect(w, "login")
}

func (c *Console) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	c.render(w, http.StatusOK, "login", loginData{Title: c.title(), CSRF: tok, Error: r.URL.Query().Get("error") != ""})
}

func (c *Console) serveLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ck, err := r.Cookie(loginCookie)
	if err != nil || !tokensEqual(r.PostFormValue("csrf"), ck.Value) {
		writeError(w, ErrCSRF)
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	id, err := c.login(r, token)
	if err != nil {
		time.Sleep(200 * time.Millisecond) // slows down guessing
		redirect(w, "login?error=1")
		return
	}
	sid, _ := c.sessions.create(id, token, cmp.Or(c.SessionTTL, DefaultSessionTTL))
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", MaxAge: -1})
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: sid, Path: "/", HttpOnly: true, Secure: secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: int(cmp.Or(c.SessionTTL, DefaultSessionTTL) / time.Second)})
	redirect(w, "./")
}

// login checks a token typed into the login form by handing it to
// Authenticate as a bearer token. Agents cannot log in: they never review.
func (c *Console) login(r *http.Request, token string) (gate.Identity, error) {
	if token == "" || c.Authenticate == nil {
		return gate.Identity{}, ErrUnauthenticated
	}
	lr := r.Clone(r.Context())
	lr.Header = http.Header{"Authorization": {"Bearer " + token}}
	lr.Body = http.NoBody
	id, err := c.Authenticate(lr)
	if err != nil {
		return gate.Identity{}, err
	}
	if k := id.EffectiveKind(); k != gate.KindHuman && k != gate.KindService || id.Subject == "" {
		return gate.Identity{}, ErrNotReviewer
	}
	return id, nil
}

func (c *Console) title() string { return cmp.Or(c.Title, "Airlock review") }

// vote applies a decision from any of the console's entry points.
func (c *Console) vote(ctx context.Context, v viewer, d Decision) (gate.Verdict, error) {
	if d.Grant != nil {
		spec, err := d.Grant.Spec()
		if err != nil {
			return gate.Verdict{}, err
		}
		g, ok := c.Approver.(Granter)
		if !ok {
			return gate.Verdict{}, ErrNoGrants
		}
		return g.ApproveGrant(ctx, d.ID, v.identity, d.Reason, spec)
	}
	if d.Decision == "approve" {
		return c.Approver.Approve(ctx, d.ID, v.identity, d.Reason)
	}
	return c.Approver.Deny(ctx, d.ID, v.identity, d.Reason)
}

func (c *Console) serveDecideForm(w http.ResponseWriter, r *http.Request, v viewer) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxCallbackBody)
	if err := checkCSRF(r, v, r.PostFormValue("csrf")); err != nil {
		writeError(w, err)
		return
	}
	d := Decision{ID: r.PostFormValue("id"), Decision: r.PostFormValue("decision"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	msg := ""
	gr, gerr := formGrant(r, d.Decision)
	d.Grant = gr
	if d.ID == "" || (d.Decision != "approve" && d.Decision != "deny") {
		msg = "error: choose approve or deny"
	} else if gerr != nil {
		msg = "error: " + gerr.Error()
	} else if verdict, err := c.vote(r.Context(), v, d); err != nil {
		msg = "error: " + err.Error()
	} else {
		msg = outcome(verdict)
	}
	if v.session != nil {
		c.sessions.setFlash(v.session, msg)
	}
	redirect(w, "./")
}

func outcome(v gate.Verdict) string {
	switch v.State {
	case gate.ReviewApproved, gate.ReviewConsumed:
		if v.BreakGlass {
			return "approved (break-glass)"
		}
		return "approved"
	case gate.ReviewDenied:
		return "denied"
	case gate.ReviewPending:
		return "vote recorded; more reviews are needed"
	}
	return string(v.State)
}

// apiBody checks an API POST's CSRF token and reads its bounded body; on
// failure it has answered the request and returns false.
func apiBody(w http.ResponseWriter, r *http.Request, v viewer) ([]byte, bool) {
	if err := checkCSRF(r, v, ""); err != nil {
		writeError(w, err)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCallbackBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: "body too large"})
		return nil, false
	}
	return body, true
}

func (c *Console) serveAPIDecide(w http.ResponseWriter, r *http.Request, v viewer) {
	body, ok := apiBody(w, r, v)
	if !ok {
		return
	}
	d, err := decodeDecision(body)
	if err != nil {
		writeError(w, err)
		return
	}
	verdict, err := c.vote(r.Context(), v, d)
	writeResult(w, verdict, err)
}

func (c *Console) serveAPIPending(w http.ResponseWriter, r *http.Request, v viewer) {
	ps, err := c.pending(r.Context())
	writeResult(w, c.views(ps, v.identity, time.Now()), err)
}

func (c *Console) serveAPIHistory(w http.ResponseWriter, r *http.Request, v viewer) {
	ps, err := c.history(r.Context())
	writeResult(w, c.views(ps, v.identity, time.Now()), err)
}

// pending lists the open reviews; a store that fails gives ErrUnavailable.
func (c *Console) pending(ctx context.Context) ([]Pending, error) {
	return unavailable(c.Approver.Pending(ctx))
}

// unavailable returns ps, or err as ErrUnavailable: the store failed.
func unavailable(ps []Pending, err error) ([]Pending, error) {
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return ps, nil
}

func (c *Console) history(ctx context.Context) ([]Pending, error) {
	h, ok := c.Approver.(Historian)
	if !ok {
		return nil, nil
	}
	return unavailable(h.History(ctx))
}

// formGrant reads the grant fields of the approve form: a grant is asked
// for when the reviewer chose a scope.
func formGrant(r *http.Request, decision string) (*GrantRequest, error) {
	scope := r.PostFormValue("grant_scope")
	if scope == "" || scope == "none" {
		return nil, nil
	}
	if decision != "approve" {
		return nil, errors.New("a grant goes with an approval only")
	}
	num := func(name string) (int, error) {
		s := strings.TrimSpace(r.PostFormValue(name))
		if s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s must be a whole number", strings.TrimPrefix(name, "grant_"))
		}
		return n, nil
	}
	mins, err := num("grant_minutes")
	if err != nil {
		return nil, err
	}
	uses, err := num("grant_uses")
	if err != nil {
		return nil, err
	}
	return &GrantRequest{Minutes: mins, Uses: uses, Scope: scope}, nil
}

// redirect answers 303 with a relative Location. Browsers resolve it
// against the URL they asked for, so the console works under any prefix
// (http.Redirect would resolve it against the stripped path).
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusSeeOther)
}

// secure reports whether cookies should be marked Secure: the request came
// over TLS, directly or through a proxy that says so. Marking a cookie
// Secure only ever narrows where the browser sends it.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
