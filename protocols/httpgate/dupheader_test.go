package httpgate

import (
	"fmt"
	"strings"
	"testing"
)

const dupHeaderRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: not-victim
    when: '"x-account" in http.headers && http.headers["x-account"][0] == "victim"'
    action: deny
`

// TestRepeatedHeaderLines sends a header the rules read on two lines, in
// both orders, to the proxy and the middleware. Whatever reached the
// upstream, neither a server that reads the first line (Go), the last
// (PHP) nor the lines joined (Node, WSGI) reads "victim" alone, while a
// single "victim" line is denied.
func TestRepeatedHeaderLines(t *testing.T) {
	_, up, srvs := gatedServers(t, dupHeaderRules)
	for name, srv := range srvs {
		for _, lines := range [][]string{{"mine", "victim"}, {"victim", "mine"}, {"mine", "victim", "other"}, {"victim"}} {
			var h strings.Builder
			for _, l := range lines {
				fmt.Fprintf(&h, "X-Account: %s\r\n", l)
			}
			req := fmt.Sprintf("GET /api/x HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\n%s\r\n", agentToken, h.String())
			status, _ := raw(t, srv, req)
			got := up.take()
			if len(lines) == 1 && (status != 403 || len(got) != 0) {
				t.Errorf("%s: one victim line: status %d, upstream got %d", name, status, len(got))
			}
			for _, r := range got {
				v := r.header.Values("X-Account")
				if v[0] == "victim" || v[len(v)-1] == "victim" || strings.Join(v, ", ") == "victim" {
					t.Errorf("%s: lines %q (status %d) reached the upstream as %q: it reads victim", name, lines, status, v)
				}
			}
		}
	}
}
