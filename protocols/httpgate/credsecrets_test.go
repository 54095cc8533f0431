package httpgate

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestCredentialSecrets(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("svc:pa55word"))
	u, _ := url.Parse("https://bot:hunter22@api.example/v1?api_key=key-0123456789&version=2024-01-01")
	got := credentialSecrets(Credential{Header: "Authorization", Value: "Basic " + basic}, u)
	for _, want := range []string{"Basic " + basic, basic, "svc:pa55word", "pa55word", "bot:hunter22", "hunter22", "key-0123456789"} {
		if !slices.Contains(got, want) {
			t.Errorf("credentialSecrets lacks %q: %q", want, got)
		}
	}
	if slices.Contains(got, "2024-01-01") {
		t.Errorf("a query value without a secret name is a secret: %q", got)
	}
}

// TestUpstreamURLSecretsEchoed: the password and API key of the upstream
// URL, sent with every request, are masked when the upstream echoes them.
func TestUpstreamURLSecretsEchoed(t *testing.T) {
	e := newEnv(t, 0, nil)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "user "+user+" password "+pw+" url "+r.URL.String()+" auth "+r.Header.Get("Authorization"))
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL + "/?api_key=key-0123456789")
	u.User = url.UserPassword("bot", "hunter22")
	ph, err := e.gw.Proxy(ProxyConfig{Upstream: u})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ph)
	t.Cleanup(srv.Close)
	body := readAll(t, e.do(srv, "GET", "/api/x", "", ""))
	for _, s := range []string{"hunter22", "key-0123456789", base64.StdEncoding.EncodeToString([]byte("bot:hunter22"))} {
		if strings.Contains(body, s) {
			t.Errorf("the client got %q: %s", s, body)
		}
	}
	if !strings.Contains(body, "[GATEWAY_SECRET]") {
		t.Errorf("nothing masked, did the upstream get the credentials? %s", body)
	}
}
