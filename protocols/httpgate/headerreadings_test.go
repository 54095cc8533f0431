package httpgate

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/coerce"
)

// tenantActsOn reports whether an upstream binding X-Tenant-Id as
// Spring's @RequestHeader List<Long>, ASP.NET's int or Express's Number()
// acted for tenant 9.
func tenantActsOn(r received) bool {
	for _, v := range r.header.Values("X-Tenant-Id") {
		for _, e := range strings.Split(v, ",") {
			e = strings.TrimSpace(e)
			if n, err := strconv.ParseInt(strings.TrimPrefix(e, "+"), 10, 64); err == nil && n == 9 {
				return true
			}
			if coerce.JSNumber(e) == 9 {
				return true
			}
		}
	}
	return false
}

// TestHeaderReadingsCannotBypassRules sends a header a rule denies as the
// string "9" spelled as binders read it back ("09", "+9", " 9", "0x9",
// "9,10", "10,9"): the upstream never acts for the denied tenant; other
// tenants pass.
func TestHeaderReadingsCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: no-tenant-9
    when: '"x-tenant-id" in http.headers && http.headers["x-tenant-id"].exists(v, v == "9")'
    action: deny
`)
	reached, acted := 0, 0
	for name, srv := range srvs {
		for _, v := range []string{"09", "+9", "0x9", "9,10", "10, 9", "009", "0b1001"} {
			status, _ := raw(t, srv, "GET /api/accounts HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer "+agentToken+"\r\nX-Tenant-Id: "+v+"\r\nConnection: close\r\n\r\n")
			for _, r := range up.take() {
				reached++
				if tenantActsOn(r) {
					acted++
					t.Errorf("%s: X-Tenant-Id: %s (status %d) reached the upstream as tenant 9", name, v, status)
				}
			}
		}
		if status, _ := raw(t, srv, "GET /api/accounts HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer "+agentToken+"\r\nX-Tenant-Id: 08\r\nConnection: close\r\n\r\n"); status != http.StatusOK {
			t.Errorf("%s: X-Tenant-Id: 08 got %d, want 200", name, status)
		}
		up.take()
	}
	t.Logf("%d requests reached the upstream, %d of them acted for the denied tenant", reached, acted)
}
