package httpgate

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

const pathReadingRules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: refunds-need-review
    when: http.path == "/api/refunds"
    action: review
  - name: no-purge
    when: request.command.startsWith("POST /api/purge?") || request.command == "POST /api/purge"
    action: deny
    reason: purges are not done through the gateway
  - name: no-cafe
    when: http.path == "/api/caf\u00e9"
    action: deny
  - name: mask-users
    when: http.path == "/api/users"
    mask: [credit_card]
`

// lenientRouter routes as Express (strict routing off, case-insensitive),
// Rails, Spring's suffix patterns, IIS and a file server on macOS do:
// case, a trailing slash, a format extension, the trailing dots and
// spaces of segments and the Unicode normalisation (compatibility forms
// included: full-width letters) do not change the route. It counts the routes it ran.
type lenientRouter struct {
	mu  sync.Mutex
	ran map[string]int
}

func (u *lenientRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i, s := range segs {
		segs[i] = strings.TrimRight(s, ". ")
	}
	if last := segs[len(segs)-1]; strings.LastIndexByte(last, '.') > 0 {
		segs[len(segs)-1] = last[:strings.LastIndexByte(last, '.')]
	}
	route := norm.NFKC.String(strings.ToLower("/" + strings.Join(segs, "/")))
	u.mu.Lock()
	u.ran[route]++
	u.mu.Unlock()
	if route == "/api/users" {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ann "+card)
		return
	}
	io.WriteString(w, "ran "+route)
}

func (u *lenientRouter) count(route string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ran[route]
}

// spellings generates the spellings of route that lenientRouter runs as
// route: other cases, trailing slashes, format extensions, trailing dots
// and spaces (encoded or not), and their combinations.
func spellings(route string) []string {
	var out []string
	last := strings.LastIndexByte(route, '/') + 1
	for _, r := range []string{route, strings.ToUpper(route), strings.Replace(route, "/api/", "/Api/", 1),
		route[:last] + strings.ToUpper(route[last:]), route[:last] + strings.ToUpper(route[last:last+1]) + route[last+1:]} {
		for _, ext := range []string{"", ".json", ".xml", ".csv", ".JSON", ".", "..", "%2e", "%20", ".%20", "%20.", ". .", ".json.", ".json%20"} {
			for _, slash := range []string{"", "/"} {
				if s := r + ext + slash; s != route {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// TestPathReadingsNeverRunAGuardedRoute: a rule on one spelling of a
// path (http.path == "/api/refunds", a request.command prefix) must
// hold the other spellings a lenient router runs as the same route, and
// a mask on one spelling must mask them all. Every spelling goes to the
// reverse proxy and the middleware through a real client; the guarded
// routes must never run and the card must never reach the client.
func TestPathReadingsNeverRunAGuardedRoute(t *testing.T) {
	for _, fold := range []bool{true, false} {
		t.Run(fmt.Sprintf("LowerCasePaths=%v", fold), func(t *testing.T) { pathReadingsNeverRunAGuardedRoute(t, fold) })
	}
}

func pathReadingsNeverRunAGuardedRoute(t *testing.T, fold bool) {
	rs, err := gate.ParseRules("paths.yaml", []byte(pathReadingRules))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Approver: &approval.Memory{}, Recorder: &record.Memory{}, ReviewMode: gate.RefuseThenRetry})
	gw, err := New(Config{Gate: g, Target: "paths", Authenticator: gate.Tokens(map[string]gate.Identity{agentToken: agent}), LowerCasePaths: fold})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	up := &lenientRouter{ran: map[string]int{}}
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	u, _ := url.Parse(upSrv.URL)
	ph, err := gw.Proxy(ProxyConfig{Upstream: u})
	if err != nil {
		t.Fatal(err)
	}
	proxy, mw := httptest.NewServer(ph), httptest.NewServer(gw.Middleware(up))
	t.Cleanup(proxy.Close)
	t.Cleanup(mw.Close)
	send := func(t *testing.T, srv *httptest.Server, method, path string) (int, string) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(`{"id":1}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+agentToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(t, resp)
	}
	for name, srv := range map[string]*httptest.Server{"proxy": proxy, "middleware": mw} {
		t.Run(name, func(t *testing.T) {
			for _, route := range []string{"/api/refunds", "/api/purge", "/api/caf\u00e9"} {
				all := append(spellings(route), route)
				if route == "/api/refunds" {
					// Full-width letters, as NFKC reads them.
					all = append(all, "/api/\uff52efunds", "/api/%EF%BD%92%EF%BD%85funds", "/api/\uff32EFUNDS/")
				}
				if route == "/api/caf\u00e9" {
					// Decomposed, as macOS matches it, and percent-encoded.
					all = append(all, spellings("/api/cafe\u0301")...)
					all = append(all, "/api/cafe%CC%81", "/api/CAFE%CC%81.json", "/api/caf%C3%A9/")
				}
				for _, p := range all {
					if code, body := send(t, srv, "POST", p); code < 400 {
						t.Errorf("POST %s: %d %s", p, code, body)
					}
					if n := up.count(route); n != 0 {
						t.Fatalf("POST %s ran %s (%d times)", p, route, n)
					}
				}
			}
			for _, p := range append(spellings("/api/users"), "/api/users") {
				if code, body := send(t, srv, "GET", p); strings.Contains(strings.ReplaceAll(body, " ", ""), cardDigits) {
					t.Errorf("GET %s: %d, the card reached the client: %s", p, code, body)
				}
			}
			// Spellings no rule tells apart still pass.
			for _, p := range []string{"/api/echo", "/api/echo/", "/api/files/report.pdf", "/api/v1.2/items", "/api/refunds-archive/"} {
				if code, body := send(t, srv, "POST", p); code != 200 {
					t.Errorf("POST %s: %d %s", p, code, body)
				}
			}
		})
	}
}

func TestPathReadings(t *testing.T) {
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/", nil},
		{"/api", []string{"/api/"}},
		{"/api/", []string{"/api"}},
		{"/api/refunds.json", []string{"/api/refunds.json/", "/api/refunds", "/api/refunds/"}},
		{"/api/refunds. ", []string{"/api/refunds. /", "/api/refunds", "/api/refunds/"}},
		{"/a./b", []string{"/a./b/", "/a/b", "/a/b/"}},
		{"/.env", []string{"/.env/"}},
		{"/x/v1.2/items", []string{"/x/v1.2/items/"}},
		{"/files/cafe\u0301", []string{"/files/cafe\u0301/", "/files/caf\u00e9", "/files/caf\u00e9/"}},
	} {
		got := pathReadings(c.path)
		if !slices.Equal(got, c.want) {
			t.Errorf("pathReadings(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

// TestHostReadingsNeverReachAGuardedHost: a rule on a virtual host
// (http.host == "admin.example.com") must hold the spellings a router
// routes to that host: with a port (Go's ServeMux), with the trailing dot
// of a fully qualified name (nginx, Apache). The handler behind the
// middleware is a ServeMux with a host pattern; it must never run the
// admin handler.
func TestHostReadingsNeverReachAGuardedHost(t *testing.T) {
	const rules = `
default: deny
rules:
  - name: api
    when: http.path.startsWith("/api/")
    action: allow
  - name: no-admin-host
    when: http.host == "admin.example.com"
    action: deny
`
	rs, err := gate.ParseRules("hosts.yaml", []byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Approver: &approval.Memory{}, Recorder: &record.Memory{}})
	gw, err := New(Config{Gate: g, Target: "hosts", Authenticator: gate.Tokens(map[string]gate.Identity{agentToken: agent})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	var admin sync.Map
	mux := http.NewServeMux()
	mux.HandleFunc("admin.example.com/", func(w http.ResponseWriter, r *http.Request) {
		admin.Store(r.Host, true)
		io.WriteString(w, "admin")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public") })
	// nginx and Apache drop the trailing dot before they match.
	undot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, port, err := net.SplitHostPort(r.Host)
		if err != nil {
			host, port = r.Host, ""
		}
		r.Host = strings.TrimSuffix(host, ".")
		if port != "" {
			r.Host += ":" + port
		}
		mux.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(gw.Middleware(undot))
	t.Cleanup(srv.Close)
	for _, host := range []string{"admin.example.com", "admin.example.com:80", "admin.example.com:8080", "ADMIN.example.com:443",
		"admin.example.com.", "admin.example.com.:80", "Admin.Example.Com."} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/x", nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+agentToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); resp.StatusCode < 400 {
			t.Errorf("Host %s: %d %s", host, resp.StatusCode, body)
		}
	}
	admin.Range(func(k, _ any) bool {
		t.Errorf("the admin host's handler ran for Host %v", k)
		return true
	})
	// Other hosts, with or without a port, still pass.
	for _, host := range []string{"api.example.com", "api.example.com:8080", "api.example.com."} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/x", nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+agentToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); resp.StatusCode != 200 || body != "public" {
			t.Errorf("Host %s: %d %s", host, resp.StatusCode, body)
		}
	}
}

func TestHostReadings(t *testing.T) {
	for _, c := range []struct {
		host string
		want []string
	}{
		{"api.example.com", nil},
		{"api.example.com:8080", []string{"api.example.com"}},
		{"api.example.com.", []string{"api.example.com"}},
		{"api.example.com.:80", []string{"api.example.com.", "api.example.com"}},
		{"[::1]:80", []string{"[::1]"}},
		{"[::1]", nil},
	} {
		if got := hostReadings(c.host); !slices.Equal(got, c.want) {
			t.Errorf("hostReadings(%q) = %q, want %q", c.host, got, c.want)
		}
	}
}

// TestCurlPathReadings: the real curl sends other spellings of the paths
// the test rules guard exactly (http.path == "/api/refunds" for review,
// == "/api/payments" with a large amount for deny): each is refused with
// 400 naming the reading, and the upstream never sees it.
func TestCurlPathReadings(t *testing.T) {
	bin := gatetest.NeedTool(t, "curl")
	e := newEnv(t, gate.RefuseThenRetry, nil)
	e.eachServer(t, func(t *testing.T, _ string, srv *httptest.Server) {
		for _, p := range []string{"/api/refunds/", "/api/refunds.json", "/api/refunds.", "/api/refunds%20", "/api/payments/", "/api/payments.xml"} {
			out := curl(t, bin, "-i", "--path-as-is", "-X", "POST", "-H", "Content-Type: application/json", "-d", `{"amount":5000}`, srv.URL+p)
			if !strings.Contains(out, "400 Bad Request") || !strings.Contains(out, "routed as") {
				t.Errorf("POST %s: %s", p, out)
			}
		}
	})
	for _, p := range []string{"/api/refunds/", "/api/refunds.json", "/api/refunds.", "/api/refunds ", "/api/payments/", "/api/payments.xml"} {
		if n := e.up.hit(p); n != 0 {
			t.Errorf("upstream %q reached %d times", p, n)
		}
	}
}
