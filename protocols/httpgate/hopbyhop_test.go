package httpgate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

const headerRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: deletes-dry-only
    when: http.method == "DELETE" && !("x-dry-run" in http.headers && http.headers["x-dry-run"] == ["true"])
    action: deny
  - name: no-danger
    when: '"x-danger" in http.headers'
    action: deny
`

// connectionTokens are what a generated Connection header may list.
var connectionTokens = []string{"close", "keep-alive", "X-Dry-Run", "x-dry-run", "X-DRY-RUN", " x-dry-run ", "X-Danger",
	"Te", "Trailer", "Keep-Alive", "X-Other", "Content-Type", "Proxy-Connection"}

// randomHeaders returns header lines for a request: the headers the rules
// read, present or not and sometimes twice, the hop-by-hop ones, and
// Connection headers listing a random choice of tokens.
func randomHeaders(rng *rand.Rand) string {
	var h []string
	if rng.IntN(3) > 0 {
		h = append(h, "X-Dry-Run: true")
	}
	if rng.IntN(5) == 0 {
		h = append(h, "X-Dry-Run: "+pick(rng, []string{"true", "false"}))
	}
	if rng.IntN(3) == 0 {
		h = append(h, "X-Danger: 1")
	}
	for range rng.IntN(3) {
		h = append(h, pick(rng, []string{"Keep-Alive: timeout=5", "Te: trailers", "TE: gzip, trailers", "Trailer: X-Dry-Run",
			"Proxy-Connection: X-Dry-Run", "X-Other: 1"}))
	}
	for range rng.IntN(3) {
		var toks []string
		for range 1 + rng.IntN(3) {
			toks = append(toks, pick(rng, connectionTokens))
		}
		h = append(h, "Connection: "+strings.Join(toks, pick(rng, []string{",", ", ", " , "})))
	}
	rng.Shuffle(len(h), func(i, j int) { h[i], h[j] = h[j], h[i] })
	return strings.Join(h, "\r\n")
}

// TestConnectionListingsCannotBypassHeaderRules sends requests with random
// Connection listings and hop-by-hop headers, byte for byte over TCP, to
// the proxy and the middleware: whatever the upstream received, a DELETE
// carried exactly X-Dry-Run: true and nothing carried X-Danger, the
// headers the rules judged.
func TestConnectionListingsCannotBypassHeaderRules(t *testing.T) {
	_, up, srvs := gatedServers(t, headerRules)
	rng := newRand(t)
	allowed := 0
	for name, srv := range srvs {
		for range 200 {
			method := pick(rng, []string{"DELETE", "GET"})
			headers := randomHeaders(rng)
			req := fmt.Sprintf("%s /api/users/42 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\n%s\r\n\r\n", method, agentToken, headers)
			code, _ := raw(t, srv, req)
			for _, got := range up.take() {
				allowed++
				if got.method == "DELETE" && !slices.Equal(got.header.Values("X-Dry-Run"), []string{"true"}) || got.header.Get("X-Danger") != "" {
					t.Errorf("%s: %q (status %d) reached the upstream with headers %v", name, headers, code, got.header)
				}
			}
		}
	}
	if allowed == 0 {
		t.Fatal("no request reached the upstream: the generator proves nothing")
	}
}

// TestConnectionListedHeaderNotJudged: a header the client lists in
// Connection is the gateway's alone: the rules do not see it, as the
// upstream does not receive it; Te: trailers is judged and forwarded.
func TestConnectionListedHeaderNotJudged(t *testing.T) {
	_, up, srvs := gatedServers(t, headerRules)
	for name, srv := range srvs {
		code, _ := raw(t, srv, "DELETE /api/users/42 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer "+agentToken+
			"\r\nX-Dry-Run: true\r\nConnection: close, X-Dry-Run\r\n\r\n")
		if code != 403 || len(up.take()) != 0 {
			t.Errorf("%s: DELETE with X-Dry-Run listed in Connection: status %d, want 403", name, code)
		}
		code, _ = raw(t, srv, "GET /api/users/42 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer "+agentToken+
			"\r\nX-Danger: 1\r\nConnection: X-Danger\r\nTE: trailers\r\n\r\n")
		got := up.take()
		if code != 200 || len(got) != 1 || got[0].header.Get("X-Danger") != "" {
			t.Errorf("%s: GET with X-Danger listed in Connection: status %d, upstream got %d requests", name, code, len(got))
		}
	}
}

// gatewayOwned are the headers the gateway sets or removes itself after
// the rules ran, by design: the client's credentials (replaced by the
// gateway's), the codings and charsets it can mask, the ranges of a masked
// response, and the proxy's X-Forwarded-* (set from the connection).
var gatewayOwned = []string{"authorization", "cookie", "x-api-key", "proxy-authorization", "accept-encoding", "accept-charset",
	"range", "if-range", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "content-length", "user-agent"}

// TestJudgedHeadersAreForwardedHeaders sends requests with random
// end-to-end, hop-by-hop, forwarding and repeated headers and random
// Connection listings over TCP, and compares, header by header, what the
// decision record says the rules judged with what the upstream received:
// apart from the headers the gateway owns they are equal.
func TestJudgedHeadersAreForwardedHeaders(t *testing.T) {
	e, up, srvs := gatedServers(t, headerRules)
	rng := newRand(t)
	for name, srv := range srvs {
		for range 100 {
			headers := randomHeaders(rng)
			for range rng.IntN(3) {
				headers += "\r\n" + pick(rng, []string{"X-Forwarded-For: 10.0.0.1", "X-Forwarded-Host: admin.internal", "Forwarded: for=10.0.0.1",
					"X-Tenant: a", "X-Tenant: b", "Accept: */*", "Connection: X-Tenant"})
			}
			before := len(e.events(gate.EventDecision))
			raw(t, srv, fmt.Sprintf("GET /api/h HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\n%s\r\n\r\n", agentToken, headers))
			got := up.take()
			ds := e.events(gate.EventDecision)
			if len(got) != 1 || len(ds) != before+1 {
				continue // refused (X-Danger): nothing forwarded
			}
			judged := ds[len(ds)-1].Request.HTTP.Headers
			sent := map[string][]string{}
			for k, v := range got[0].header {
				sent[strings.ToLower(k)] = v
			}
			for _, m := range []map[string][]string{judged, sent} {
				for k := range m {
					if !slices.Contains(gatewayOwned, k) && !slices.Equal(judged[k], sent[k]) {
						t.Errorf("%s: %q: header %s judged %q, forwarded %q", name, headers, k, judged[k], sent[k])
					}
				}
			}
		}
	}
}
