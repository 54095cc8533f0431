package oidc_test

import (
	"context"
	"crypto"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/oidc"
)

func TestNewRefuses(t *testing.T) {
	is := startIssuer(map[string]crypto.Signer{"k": rsaKeys()[0]})
	defer is.Close()
	down := httptest.NewTLSServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	big := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(strings.Repeat("oops ", 10000)))
	}))
	defer big.Close()

	for _, tc := range []struct {
		name string
		cfg  oidc.Config
		want string
	}{
		{"no issuer", oidc.Config{Audience: aud}, "Issuer is required"},
		{"no audience", oidc.Config{Issuer: is.URL}, "Audience is required"},
		{"http issuer", oidc.Config{Issuer: "http://login.example.com", Audience: aud}, "must use https"},
		{"relative issuer", oidc.Config{Issuer: "login.example.com", Audience: aud}, "not an absolute URL"},
		{"unknown default kind", oidc.Config{Issuer: is.URL, Audience: aud, DefaultKind: "root"}, "DefaultKind"},
		{"HMAC algorithm", oidc.Config{Issuer: is.URL, Audience: aud, SigningAlgorithms: []string{"HS256"}}, `"HS256" is not supported`},
		{"none algorithm", oidc.Config{Issuer: is.URL, Audience: aud, SigningAlgorithms: []string{"none"}}, `"none" is not supported`},
		{"issuer down", oidc.Config{Issuer: downURL, Audience: aud}, downURL},
		{"untrusted certificate", oidc.Config{Issuer: is.URL, Audience: aud}, "certificate"},
		{"issuer mismatch", oidc.Config{Issuer: is.URL + "/realms/x", Audience: aud, HTTPClient: is.Client()}, "discovery for issuer"},
		{"error page", oidc.Config{Issuer: big.URL, Audience: aud, HTTPClient: big.Client()}, "500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			v, err := oidc.New(ctx, tc.cfg)
			if err == nil || v != nil {
				t.Fatalf("New accepted %+v", tc.cfg)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if tc.cfg.Issuer != "" && !strings.Contains(err.Error(), tc.cfg.Issuer) {
				t.Fatalf("err = %v, does not name the issuer", err)
			}
			if len(err.Error()) > 500 {
				t.Fatalf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestNewRefusesPlainKeySetURL(t *testing.T) {
	is := startIssuer(map[string]crypto.Signer{"k": rsaKeys()[0]})
	defer is.Close()
	is.mu.Lock()
	is.discovery["jwks_uri"] = "http://keys.example.com/jwks"
	is.mu.Unlock()
	_, err := oidc.New(context.Background(), oidc.Config{Issuer: is.URL, Audience: aud, HTTPClient: is.Client()})
	if err == nil || !strings.Contains(err.Error(), "must use https") {
		t.Fatalf("err = %v", err)
	}
	is.mu.Lock()
	is.discovery["jwks_uri"] = ""
	is.mu.Unlock()
	_, err = oidc.New(context.Background(), oidc.Config{Issuer: is.URL, Audience: aud, HTTPClient: is.Client()})
	if err == nil || !strings.Contains(err.Error(), "no jwks_uri") {
		t.Fatalf("err = %v", err)
	}
}

// Plain http is accepted on loopback, for local development issuers.
func TestLoopbackHTTPIssuer(t *testing.T) {
	key := rsaKeys()[0]
	plain := startPlainIssuer(t, map[string]crypto.Signer{"k": key})
	v, err := oidc.New(context.Background(), oidc.Config{Issuer: plain.URL, Audience: aud, DefaultKind: gate.KindService})
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Identity(context.Background(), sign(key, "k", plain.claims(aud, nil)))
	if err != nil || id.Kind != gate.KindService || v.Issuer() != plain.URL {
		t.Fatalf("%+v %v", id, err)
	}
}
