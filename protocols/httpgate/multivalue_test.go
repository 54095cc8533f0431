package httpgate

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// gatedServersWith is gatedServers with the gateway's Config changed by
// mutate.
func gatedServersWith(t *testing.T, rules string, mutate func(*Config)) (*recorder, map[string]*httptest.Server) {
	t.Helper()
	e := newEnvWith(t, gate.Hold, rules, nil, mutate)
	up := &recorder{}
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	u, _ := url.Parse(upSrv.URL)
	ph, err := e.gw.Proxy(ProxyConfig{Upstream: u, Credential: BearerCredential(upstreamToken)})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(ph)
	mw := httptest.NewServer(e.gw.Middleware(up))
	t.Cleanup(func() { proxy.Close(); mw.Close() })
	return up, map[string]*httptest.Server{"proxy": proxy, "middleware": mw}
}

// TestMultiValuedReadingsCannotBypassRules: with AllowDuplicateQuery, a
// parameter the rules read sent several times (?id=2&id=1), in the query
// or a form, is read by frameworks as its first value (Go, Flask, Java's
// getParameter), its last (PHP, Rack), all of them (Express, Spring's
// List) or all joined with commas (Spring and ASP.NET binding a string):
// none may act on account 1, which the rules deny in the value they read
// first. Repeated values without account 1 still pass.
func TestMultiValuedReadingsCannotBypassRules(t *testing.T) {
	up, srvs := gatedServersWith(t, listRules, func(c *Config) { c.AllowDuplicateQuery = true })
	rng := newRand(t)
	elems := []string{"1", " 1", "01", "+1", "1abc", "2", "3", "2,1", "3, 1", "", "10", "1_0"}
	reached, bypassed := 0, 0
	for name, srv := range srvs {
		for range 150 {
			var kv []string
			for range 2 + rng.IntN(3) {
				kv = append(kv, "id="+url.QueryEscape(pick(rng, elems)))
			}
			enc := strings.Join(kv, "&")
			p := frameworkProbe{method: "GET", target: "/api/x?" + enc}
			if rng.IntN(2) == 0 {
				p = frameworkProbe{method: "POST", target: "/api/x", ctype: "application/x-www-form-urlencoded", body: enc}
			}
			status := sendProbe(t, srv, p)
			for _, r := range up.take() {
				reached++
				for _, id := range boundIDs(r) {
					if id == 1 {
						bypassed++
						t.Errorf("%s: %s %q %q (status %d) reached a framework, which acts on account 1", name, p.method, p.target, p.body, status)
						break
					}
				}
			}
		}
		for _, target := range []string{"/api/x?id=2&id=3", "/api/x?tag=a&tag=b&id=2", "/api/x?id=20&id=2,3"} {
			if status := sendProbe(t, srv, frameworkProbe{method: "GET", target: target}); status != 200 || len(up.take()) != 1 {
				t.Errorf("%s: GET %s: status %d", name, target, status)
			}
		}
	}
	t.Logf("%d requests reached the upstream, %d of them acted on account 1", reached, bypassed)
	if reached == 0 {
		t.Fatal("no request reached the upstream: the test proves nothing")
	}
}
