package httpgate_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/airlock-sdk/airlock/gate"
	httpgate "github.com/airlock-sdk/airlock/protocols/httpgate"
	"github.com/airlock-sdk/airlock/record"
)

const exampleRules = `
default: deny
rules:
  - name: read-api
    when: http.method == "GET" && http.path.startsWith("/v1/")
    action: allow
  - name: mask-cards
    when: request.protocol == "http"
    mask: [credit_card]
`

func get(url, token string) string {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

func ExampleGateway_Middleware() {
	rules, _ := gate.ParseRules("rules.yaml", []byte(exampleRules))
	g := gate.New(gate.Config{Rules: rules, Recorder: &record.Memory{}})
	gw, err := httpgate.New(httpgate.Config{
		Gate:          g,
		Target:        "orders-service",
		Authenticator: gate.Tokens(map[string]gate.Identity{"t0k3n": {Subject: "agent-1"}}),
	})
	if err != nil {
		panic(err)
	}
	defer gw.Close()

	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"order":7,"card":"4111 1111 1111 1111"}`)
	})
	srv := httptest.NewServer(gw.Middleware(api))
	defer srv.Close()

	fmt.Println(get(srv.URL+"/v1/orders/7", "t0k3n"))
	fmt.Println(get(srv.URL+"/v1/../admin", "t0k3n")[:3])
	fmt.Println(get(srv.URL+"/v1/orders/7", "wrong")[:3])
	// Output:
	// 200 {"order":7,"card":"[CREDIT_CARD]"}
	// 403
	// 401
}

func ExampleGateway_Handler() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The upstream sees the gateway's credential, never the agent's,
		// and never the run header. Echoed back, the credential is
		// masked: the agent never sees it.
		fmt.Fprintf(w, "upstream saw %q, run %q", r.Header.Get("Authorization"), r.Header.Get(httpgate.RunHeader))
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)

	rules, _ := gate.ParseRules("rules.yaml", []byte(exampleRules))
	rec := &record.Memory{}
	gw, err := httpgate.New(httpgate.Config{
		Gate:          gate.New(gate.Config{Rules: rules, Recorder: rec}),
		Authenticator: gate.Tokens(map[string]gate.Identity{"agent-token": {Subject: "agent-1"}}),
		Proxy:         &httpgate.ProxyConfig{Upstream: u, Credential: httpgate.BearerCredential("upstream-token")},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()

	// The agent's harness names the run its requests belong to.
	req, _ := http.NewRequest("GET", srv.URL+"/v1/status", nil)
	req.Header.Set("Authorization", "Bearer agent-token")
	req.Header.Set(httpgate.RunHeader, "run-42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))

	_ = gw.Close() // records the end of every session
	for _, id := range rec.Sessions() {
		for _, e := range rec.GateEvents(id) {
			if e.Kind == gate.EventSessionEnd {
				fmt.Printf("session of %s in run %s: %d request\n", e.Identity.Subject, e.Session.Run, e.Session.Requests)
			}
		}
	}
	// Output:
	// 200 upstream saw "[GATEWAY_SECRET]", run ""
	// session of agent-1 in run run-42: 1 request
}

func ExampleNormalizePath() {
	for _, p := range []string{"/api/../admin", "//api/./v1/%75sers/", "/api/%2e%2e/admin", "/admin;x=1", "/api/..%2fadmin"} {
		n, err := httpgate.NormalizePath(p)
		fmt.Printf("%-22s %q %v\n", p, n, err)
	}
	// Output:
	// /api/../admin          "/admin" <nil>
	// //api/./v1/%75sers/    "/api/v1/users/" <nil>
	// /api/%2e%2e/admin      "/admin" <nil>
	// /admin;x=1             "" httpgate: path: path parameters (';') are not accepted
	// /api/..%2fadmin        "" httpgate: path: an encoded '/' or '\' in the path is ambiguous
}

func ExampleParseJSON() {
	_, err := httpgate.ParseJSON([]byte(`{"amount":1,"amount":5000}`))
	fmt.Println(err)
	v, _ := httpgate.ParseJSON([]byte(`{"amount":5000,"note":"x"}`))
	fmt.Println(v)
	// Output:
	// duplicate object key "amount"
	// map[amount:5000 note:x]
}
