package httpgate

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// The gateway resolves secret names through mask's one list: the default
// lists are mask's, every credential header is listed in the request's
// Secrets and stripped before the upstream, and query parameters match by
// pattern.
func TestSecretNamesAreMasks(t *testing.T) {
	if &DefaultSecretHeaders[0] != &mask.SecretHeaders[0] || &DefaultSecretQuery[0] != &mask.SecretNames[0] {
		t.Fatal("httpgate keeps its own secret-name lists")
	}
	e := newEnv(t, gate.Hold, nil)
	r := httptest.NewRequest("GET", "/api/echo?refresh_token=tok-q&page=2&X-Api-Key=key-q", nil)
	for _, h := range mask.SecretHeaders {
		r.Header.Set(h, "v-"+h)
	}
	r.Header.Set("X-Trace", "not-a-secret")
	got := e.gw.secrets(r, r.URL.Query())
	for _, h := range mask.SecretHeaders {
		if !slices.Contains(got, "v-"+h) {
			t.Errorf("header %s not listed in Secrets: %q", h, got)
		}
	}
	for _, v := range []string{"tok-q", "key-q"} {
		if !slices.Contains(got, v) {
			t.Errorf("query value %q not listed in Secrets: %q", v, got)
		}
	}
	if slices.Contains(got, "not-a-secret") || slices.Contains(got, "2") {
		t.Errorf("too much listed: %q", got)
	}

	hdr := []string{}
	for _, h := range mask.SecretHeaders {
		if h != "authorization" { // the client's own, set by e.do
			hdr = append(hdr, h, "client-"+h)
		}
	}
	resp := e.do(e.proxy, "GET", "/api/echo", "", "", hdr...)
	_ = readAll(t, resp)
	up := e.up.lastReq.Load()
	if resp.StatusCode != 200 || up == nil {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, h := range mask.SecretHeaders {
		if v := up.Header.Get(h); v == "client-"+h || v == "Bearer "+agentToken {
			t.Errorf("the client's %s reached the upstream", h)
		}
	}
}
