package httpgate

import (
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// curl runs the real curl against srv and returns its output (headers with -i).
func curl(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"-sS", "--max-time", "10", "-H", "Authorization: Bearer " + agentToken}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestCurlEndToEnd(t *testing.T) {
	bin := gatetest.NeedTool(t, "curl")
	e := newEnv(t, gate.RefuseThenRetry, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		out := curl(t, bin, "-i", "--compressed", srv.URL+"/api/users")
		if !strings.Contains(out, "200 OK") || strings.Contains(out, "4111") || !strings.Contains(out, "[CREDIT_CARD]") {
			t.Errorf("JSON: %s", out)
		}
		out = curl(t, bin, "--compressed", srv.URL+"/api/gzip-text")
		if strings.Contains(out, "1111") || !strings.Contains(out, "end") {
			t.Errorf("gzip stream: %s", out)
		}
		out = curl(t, bin, "-N", srv.URL+"/api/sse")
		if strings.Contains(out, "4111") || strings.Contains(out, "5555") || !strings.Contains(out, "second") {
			t.Errorf("SSE: %s", out)
		}
		out = curl(t, bin, "-i", "--path-as-is", srv.URL+"/api/../admin/x")
		if !strings.Contains(out, "403 Forbidden") || !strings.Contains(out, "application/problem+json") || !strings.Contains(out, `"rule":"no-admin"`) {
			t.Errorf("dot-segments: %s", out)
		}
		out = curl(t, bin, "-i", "-X", "POST", "-H", "Content-Type: application/json", "-d", `{"order":1}`, srv.URL+"/api/refunds")
		if !strings.Contains(out, "409 Conflict") || !strings.Contains(strings.ToLower(out), "retry-after: 10") || !strings.Contains(out, "approval_id") {
			t.Errorf("review: %s", out)
		}
	})
}
