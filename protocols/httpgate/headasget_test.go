package httpgate

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
)

const headRules = `
default: deny
rules:
  - name: reads
    when: http.method in ["GET", "HEAD"] && http.path.startsWith("/api/")
    action: allow
  - name: no-export
    when: http.method == "GET" && http.path == "/api/export"
    action: deny
  - name: no-export-command
    when: request.command.startsWith("GET /api/run-report")
    action: deny
`

// TestHeadRunsTheGetHandler: Go's ServeMux (like Rails, Flask and
// Express) runs a GET handler for HEAD. A rule denying GET /api/export
// must keep the export from running when curl -I asks for it, through
// the proxy and the middleware, while HEAD where GET is allowed still
// reaches the handler.
func TestHeadRunsTheGetHandler(t *testing.T) {
	bin := gatetest.NeedTool(t, "curl")
	e := newEnvWith(t, gate.Hold, headRules, nil, nil)
	var runs = map[string]*atomic.Int64{"/api/export": {}, "/api/run-report": {}, "/api/list": {}}
	mux := http.NewServeMux()
	for p, n := range runs {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, _ *http.Request) {
			n.Add(1)
			w.Write([]byte("rows"))
		})
	}
	upSrv := httptest.NewServer(mux)
	defer upSrv.Close()
	u, _ := url.Parse(upSrv.URL)
	ph, err := e.gw.Proxy(ProxyConfig{Upstream: u, Credential: BearerCredential(upstreamToken)})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(ph)
	defer proxy.Close()
	mw := httptest.NewServer(e.gw.Middleware(mux))
	defer mw.Close()
	for name, srv := range map[string]*httptest.Server{"proxy": proxy, "middleware": mw} {
		for _, p := range []string{"/api/export", "/api/run-report"} {
			out := curl(t, bin, "-I", srv.URL+p)
			if n := runs[p].Swap(0); n != 0 || !strings.Contains(out, "403") {
				t.Errorf("%s: HEAD %s ran the GET handler %d times:\n%s", name, p, n, out)
			}
		}
		out := curl(t, bin, "-I", srv.URL+"/api/list")
		if n := runs["/api/list"].Swap(0); n != 1 || !strings.Contains(out, "200") {
			t.Errorf("%s: HEAD /api/list where GET is allowed: handler ran %d times:\n%s", name, n, out)
		}
	}
}
