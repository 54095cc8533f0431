package httpgate

import (
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// TestCurlRequestSide: what curl sends by default reaches the rules as an
// upstream reads it. curl -d sends its data as a form, so a JSON document
// given to -d (the commonest mistake) is refused, not forwarded to a
// handler that decodes JSON whatever the type; a real form passes; a
// header listed in Connection is not judged; a JSON key spelled unlike the
// rules' name is refused.
func TestCurlRequestSide(t *testing.T) {
	bin := gatetest.NeedTool(t, "curl")
	_, up, srvs := gatedServers(t, keyRules)
	for name, srv := range srvs {
		cases := []struct {
			args []string
			want string
			sent bool
		}{
			{[]string{"-d", `{"amount":5000}`, srv.URL + "/api/orders"}, "400 Bad Request", false},
			{[]string{"-d", "userId=5&note=hi there", srv.URL + "/api/orders"}, "200 OK", true},
			{[]string{"-H", "Content-Type: application/json", "-d", `{"Amount":5000}`, srv.URL + "/api/orders"}, "400 Bad Request", false},
			{[]string{"-X", "DELETE", "-H", "Content-Type: application/json", "-H", "Connection: X-Dry-Run", "-H", "X-Dry-Run: true",
				"-d", `{"dry_run":false}`, srv.URL + "/api/orders/1"}, "403 Forbidden", false},
		}
		for _, c := range cases {
			out := curl(t, bin, append([]string{"-i"}, c.args...)...)
			got := up.take()
			if !strings.Contains(out, c.want) || (len(got) == 1) != c.sent {
				t.Errorf("%s: curl %q: want %s (forwarded %v), upstream got %d requests:\n%s", name, c.args, c.want, c.sent, len(got), out)
			}
		}
	}
}
