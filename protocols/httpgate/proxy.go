package httpgate

import (
	"context"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/mask"
	"github.com/hashicorp/go-hclog"
)

// Credential is what the proxy presents to the upstream: a header and its
// value, held by the gateway. The zero Credential sends none.
type Credential struct {
	Header string
	Value  string
}

// BearerCredential presents token as "Authorization: Bearer <token>".
func BearerCredential(token string) Credential {
	return Credential{Header: "Authorization", Value: "Bearer " + token}
}

// HeaderCredential presents value in header name (for example X-Api-Key).
func HeaderCredential(name, value string) Credential {
	return Credential{Header: name, Value: value}
}

// ProxyConfig configures Gateway.Proxy.
type ProxyConfig struct {
	// Upstream is the base URL requests are forwarded to; its path is
	// prefixed to the request path.
	Upstream *url.URL
	// Credential is injected into every forwarded request.
	Credential Credential
	// StripHeaders are further client headers never forwarded. The
	// client's credential headers (mask.SecretHeaders: Authorization,
	// Proxy-Authorization, Cookie, X-Api-Key, ...) and the Credential's
	// header are always removed.
	StripHeaders []string
	// Transport performs upstream requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// FlushInterval is passed to httputil.ReverseProxy; streamed and
	// masked responses are flushed as they are produced anyway.
	FlushInterval time.Duration
}

type exchangeKey struct{}

// Proxy returns a gating reverse proxy to pc.Upstream. The client's
// credentials are stripped and the gateway's Credential injected;
// Accept-Encoding is rewritten to gzip or identity so that every response
// can be decoded for masking.
func (gw *Gateway) Proxy(pc ProxyConfig) (http.Handler, error) {
	if pc.Upstream == nil || pc.Upstream.Scheme == "" || pc.Upstream.Host == "" {
		return nil, errors.New("httpgate: ProxyConfig.Upstream must be an absolute URL")
	}
	target := gw.cfg.Target
	if target == "" {
		target = pc.Upstream.Redacted()
	}
	up := pc.Upstream
	// The client's credentials never reach the upstream.
	strip := append(slices.Clone(mask.SecretHeaders), pc.StripHeaders...)
	if pc.Credential.Header != "" {
		strip = append(strip, pc.Credential.Header)
	}
	// The names in the form Header.Del would look them up under, once.
	strip = canonicalKeys(strip)
	credKey := textproto.CanonicalMIMEHeaderKey(pc.Credential.Header)
	// What the gateway presents upstream is masked in every response.
	secrets := newSecretPolicies(credentialSecrets(pc.Credential, up))
	rp := &httputil.ReverseProxy{
		ErrorLog:      gw.log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
		Transport:     pc.Transport,
		FlushInterval: pc.FlushInterval,
		BufferPool:    &copyBufs,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(up)
			pr.SetXForwarded()
			for _, k := range strip {
				delete(pr.Out.Header, k)
			}
			if pc.Credential.Header != "" {
				pr.Out.Header[credKey] = []string{pc.Credential.Value}
			}
			// The charset is the gateway's to decide (see charset.go).
			delete(pr.Out.Header, "Accept-Charset")
			if x, _ := pr.In.Context().Value(exchangeKey{}).(*exchange); x == nil || x.policy != nil {
				// A masked response is masked whole: ranges of it fetched
				// one by one would each hold a part of a value, and a
				// conditional request compares a guess with the unmasked body.
				for _, k := range conditionalFields {
					delete(pr.Out.Header, k)
				}
			}
			if acceptsCoding(pr.In.Header["Accept-Encoding"], "gzip") {
				pr.Out.Header["Accept-Encoding"] = []string{"gzip"}
			} else {
				pr.Out.Header["Accept-Encoding"] = []string{"identity"}
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			x, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
			if x == nil {
				return errors.New("httpgate: response without an exchange")
			}
			f := x.f
			if x.policy != nil {
				f.trailer = &resp.Trailer
			}
			f.chunked = resp.ContentLength < 0
			body, n, err := f.prepare(resp.StatusCode, resp.Header, resp.Body)
			if err != nil {
				resp.Body.Close()
				return err
			}
			if x.policy != nil {
				// The reverse proxy announces the trailer names it knows
				// now (prepare may have read the whole body): a name
				// holding a match is dropped before that; the values are
				// masked at the end of the body.
				if err := f.dropMatchingNames(resp.Trailer); err != nil {
					body.Close()
					return err
				}
			}
			resp.Body = body
			if n != keepLength {
				resp.ContentLength = n
				if n >= 0 {
					// Read whole and sent with a length: no room for trailers.
					resp.Trailer = nil
					setLength(resp.Header, n)
				}
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			x, _ := r.Context().Value(exchangeKey{}).(*exchange)
			p := Problem{Type: "urn:airlock:problem:bad-gateway", Title: "Bad Gateway", Status: http.StatusBadGateway,
				Detail: "airlock: the upstream request failed"}
			if errors.Is(err, errUnmaskable) {
				p.Type, p.Detail = "urn:airlock:problem:unmaskable", "airlock: the response could not be masked"
			}
			if x != nil {
				p.DecisionID = x.d.ID
				gw.log.Error("upstream failed", "session", x.conn.Session().ID, "decision", x.d.ID, "error", err)
			}
			writeProblem(w, p)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The client's forwarding headers are claims the upstream would
		// take for the gateway's (see forwarding.go); it sets its own
		// (SetXForwarded).
		dropForwarding(r.Header)
		x := gw.admit(w, r, target)
		if x == nil {
			return
		}
		defer x.release()
		x.secretsOnly = x.policy == nil && secrets.alone != nil
		x.policy = secrets.of(x.policy)
		ctx, cancel := context.WithCancel(context.WithValue(x.conn.Context(r.Context()), exchangeKey{}, x))
		defer cancel()
		x.cancel = cancel
		x.f = newFilter(gw, x, ctx)
		x.iw = infoWriter{ResponseWriter: w, f: x.f}
		rp.ServeHTTP(&x.iw, r.WithContext(ctx))
	}), nil
}

// canonicalKeys returns the header names in canonical form (see
// textproto.CanonicalMIMEHeaderKey), the keys under which http.Header holds
// them, for lookups that need not canonicalize on every request.
func canonicalKeys(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = textproto.CanonicalMIMEHeaderKey(n)
	}
	return out
}

// acceptsCoding reports whether Accept-Encoding values accept the content
// coding (gzip and x-gzip are one).
func acceptsCoding(vals []string, coding string) bool {
	if coding == "x-gzip" {
		coding = "gzip"
	}
	for _, v := range vals {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "x-gzip" {
				name = "gzip"
			}
			if name != coding && name != "*" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// infoWriter masks the headers of the 1xx responses that the reverse proxy
// relays (103 Early Hints) before they are written.
type infoWriter struct {
	http.ResponseWriter
	f *filter
}

func (w *infoWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && !w.f.informational(code, w.Header()) {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *infoWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
