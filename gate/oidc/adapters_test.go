package oidc_test

import (
	"context"
	"errors"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/oidc"
)

func TestAuthenticateBearer(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(nil)
	for _, tc := range []struct {
		name    string
		headers []string
		want    error
	}{
		{"bearer", []string{"Bearer " + tok}, nil},
		{"scheme in lower case", []string{"bearer " + tok}, nil},
		{"extra spaces", []string{"Bearer   " + tok + " "}, nil},
		{"no header", nil, oidc.ErrNoToken},
		{"two headers", []string{"Bearer " + tok, "Bearer " + tok}, oidc.ErrNoToken},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, oidc.ErrNoToken},
		{"scheme only", []string{"Bearer"}, oidc.ErrNoToken},
		{"empty token", []string{"Bearer  "}, oidc.ErrNoToken},
		{"bad token", []string{"Bearer abc"}, oidc.ErrMalformed},
		{"wrong audience", []string{"Bearer " + f.token(map[string]any{"aud": "x"})}, oidc.ErrAudience},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The protocols read the header with gate.BearerToken (a
			// query parameter is never read: it ends up in logs).
			c := gate.Credential{Protocol: gate.ProtocolHTTP}
			if tok, ok := gate.BearerToken(tc.headers); ok {
				c.Token = tok
			}
			id, err := f.v.Authenticate(context.Background(), c)
			if !errors.Is(err, tc.want) || (err == nil && id.Subject != "user-1") {
				t.Fatalf("identity %+v, err %v, want %v", id, err, tc.want)
			}
		})
	}
}

func TestPasswordIdentity(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	tok := f.token(map[string]any{"preferred_username": "ada"})
	if id, err := f.v.Authenticate(ctx, gate.Credential{User: "user-1", Database: "prod", Password: tok}); err != nil || id.Subject != "user-1" {
		t.Fatalf("user = subject: %+v %v", id, err)
	}
	for _, tc := range []struct {
		name, user, password string
		want                 error
	}{
		{"other user", "postgres", tok, oidc.ErrUser},
		{"user differs in case", "USER-1", tok, oidc.ErrUser},
		{"empty user", "", tok, oidc.ErrUser},
		{"empty password", "user-1", "", oidc.ErrNoToken},
		{"password not a token", "user-1", "hunter2", oidc.ErrMalformed},
		{"expired token", "user-1", f.token(map[string]any{"exp": 1, "iat": 0}), oidc.ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.v.Authenticate(ctx, gate.Credential{User: tc.user, Database: "prod", Password: tc.password}); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}

	byName := newFixture(t, func(c *oidc.Config) { c.UserClaim = "preferred_username" })
	tok = byName.token(map[string]any{"preferred_username": "ada"})
	if id, err := byName.v.Authenticate(ctx, gate.Credential{User: "ada", Database: "prod", Password: tok}); err != nil || id.Subject != "user-1" {
		t.Fatalf("user = preferred_username: %+v %v", id, err)
	}
	if _, err := byName.v.Authenticate(ctx, gate.Credential{User: "user-1", Database: "prod", Password: tok}); !errors.Is(err, oidc.ErrUser) {
		t.Fatalf("subject when UserClaim is set: %v", err)
	}
	if _, err := byName.v.Authenticate(ctx, gate.Credential{User: "", Database: "prod", Password: byName.token(nil)}); !errors.Is(err, oidc.ErrUser) {
		t.Fatalf("token without the user claim: %v", err)
	}
}
