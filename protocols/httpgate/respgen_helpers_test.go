package httpgate

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// piiRules mask cards (testRules) and e-mail addresses.
const piiRules = testRules + `
  - name: mask-email
    when: request.protocol == "http"
    mask: [email]
`

// proxyTo puts e.gw's reverse proxy, presenting cred, in front of a real
// upstream serving h.
func proxyTo(t *testing.T, e *env, cred Credential, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	up := httptest.NewServer(h)
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	ph, err := e.gw.Proxy(ProxyConfig{Upstream: u, Credential: cred})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ph)
	t.Cleanup(srv.Close)
	return srv
}

// writeChunked writes b in random pieces, each flushed: the proxy reads it
// as the upstream cut it.
func writeChunked(w http.ResponseWriter, r *rand.Rand, b []byte) {
	fl := http.NewResponseController(w)
	for len(b) > 0 {
		n := min(len(b), 1+r.IntN(24))
		_, _ = w.Write(b[:n])
		_ = fl.Flush()
		b = b[n:]
	}
}

// splitRandomly cuts s into 1 to parts non-empty pieces at random points.
func splitRandomly(r *rand.Rand, s string, parts int) []string {
	var out []string
	for len(s) > 0 {
		n := len(s)
		if len(out) < parts-1 {
			n = 1 + r.IntN(len(s))
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// genN is the number of cases a generator test tries.
func genN(full int) int {
	if testing.Short() {
		return full / 5
	}
	return full
}
