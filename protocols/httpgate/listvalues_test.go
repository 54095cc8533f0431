package httpgate

import (
	"net/url"
	"strings"
	"testing"
)

// listRules deny account 1, in the query or a form.
const listRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: not-account-1-query
    when: '"id" in http.query && http.query.id[0] == "1"'
    action: deny
  - name: not-account-1-form
    when: 'type(http.body) == map && "id" in http.body && type(http.body.id) == list && http.body.id[0] == "1"'
    action: deny
`

// springIDs are the ids a Spring handler taking @RequestParam List<String>
// id acts on: each value split at its commas, elements trimmed, empty
// ones dropped.
func springIDs(r received) []string {
	var out []string
	for _, src := range []string{r.url.RawQuery, formOf(r)} {
		for _, p := range pairs(src, 0) {
			if p[0] != "id" {
				continue
			}
			for e := range strings.SplitSeq(p[1], ",") {
				if e = strings.TrimSpace(e); e != "" {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// TestCommaListsCannotBypassRules sends generated comma-separated values
// of a parameter the rules read, in the query and in forms, to the proxy
// and the middleware: a Spring upstream, which splits them into lists,
// never acts on account 1. Lists without it, and commas in parameters no
// rule reads, still pass.
func TestCommaListsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, listRules)
	rng := newRand(t)
	elems := []string{"1", " 1", "1 ", "2", "3", "", "01"}
	for name, srv := range srvs {
		for range 120 {
			var parts []string
			for range 1 + rng.IntN(4) {
				parts = append(parts, pick(rng, elems))
			}
			enc := "id=" + url.QueryEscape(strings.Join(parts, ","))
			p := frameworkProbe{method: "GET", target: "/api/x?" + enc}
			if rng.IntN(2) == 0 {
				p = frameworkProbe{method: "POST", target: "/api/x", ctype: "application/x-www-form-urlencoded", body: enc}
			}
			status := sendProbe(t, srv, p)
			for _, r := range up.take() {
				for _, id := range springIDs(r) {
					if id == "1" {
						t.Errorf("%s: %s %q %q (status %d) reached Spring, which acts on account 1", name, p.method, p.target, p.body, status)
					}
				}
			}
		}
		for _, target := range []string{"/api/x?id=2,3", "/api/x?fields=a,b&sort=name,-date", "/api/x?id=2"} {
			if status := sendProbe(t, srv, frameworkProbe{method: "GET", target: target}); status != 200 || len(up.take()) != 1 {
				t.Errorf("%s: GET %s: status %d", name, target, status)
			}
		}
	}
}
