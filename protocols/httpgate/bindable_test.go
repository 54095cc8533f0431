package httpgate

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
)

// boundAmount is what an upstream that binds XML or YAML to its
// parameters reads as amount in a body.
var boundAmount = regexp.MustCompile(`amount\W{1,3}(\d+)`)

// TestBindableBodies sends the amount the rules deny in XML and YAML
// bodies, which ASP.NET, JAX-RS and Spring bind as they bind JSON, to the
// proxy and the middleware under rules that read the body. None reaches
// the upstream; a binary upload, which nothing binds, still does.
func TestBindableBodies(t *testing.T) {
	_, up, srvs := gatedServers(t, bodyRules)
	bodies := []struct{ ctype, body string }{
		{"application/xml", "<payment><amount>5000</amount></payment>"},
		{"text/xml; charset=utf-8", "<payment><amount>5000</amount></payment>"},
		{"application/vnd.pay+xml", "<payment amount=\"5000\"/>"},
		{"application/soap+xml", "<Envelope><Body><pay><amount>5000</amount></pay></Body></Envelope>"},
		{"application/yaml", "amount: 5000\n"},
		{"application/x-yaml", "---\namount: 5000\n"},
		{"text/yaml", "amount: 5000\n"},
	}
	for name, srv := range srvs {
		for _, b := range bodies {
			req := fmt.Sprintf("POST /api/pay HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
				agentToken, b.ctype, len(b.body), b.body)
			status, _ := raw(t, srv, req)
			for _, r := range up.take() {
				if m := boundAmount.FindSubmatch(r.body); m != nil {
					if n, _ := strconv.Atoi(string(m[1])); n > 1000 {
						t.Errorf("%s: %s body (status %d) reached the upstream, which binds amount %d", name, b.ctype, status, n)
					}
				}
			}
		}
		upload := "\x89PNG\r\n\x1a\n amount 5000"
		req := fmt.Sprintf("POST /api/files HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\nConnection: close\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n%s",
			agentToken, len(upload), upload)
		if status, body := raw(t, srv, req); status != 200 || len(up.take()) != 1 {
			t.Errorf("%s: binary upload: status %d: %s", name, status, body)
		}
	}
}
