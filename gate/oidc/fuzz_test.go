package oidc_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate/oidc"
)

var sentinels = []error{
	oidc.ErrMalformed, oidc.ErrSignature, oidc.ErrIssuer, oidc.ErrAudience,
	oidc.ErrExpired, oidc.ErrNotYetValid, oidc.ErrClaims,
}

// checkRefusal fails unless err wraps a sentinel and does not repeat raw.
func checkRefusal(t *testing.T, raw string, err error) {
	t.Helper()
	known := false
	for _, s := range sentinels {
		known = known || errors.Is(err, s)
	}
	if !known {
		t.Fatalf("error wraps no sentinel: %v", err)
	}
	if len(raw) >= 24 && strings.Contains(err.Error(), raw) {
		t.Fatalf("error repeats the token: %v", err)
	}
}

// FuzzIdentity feeds untrusted token bytes to a verifier: nothing panics,
// every refusal names its reason, and nothing the fuzzer makes is accepted
// unless it carries the claims the issuer signed.
func FuzzIdentity(f *testing.F) {
	fx := newFixture(f, func(c *oidc.Config) { c.KeyRefreshInterval = 0 })
	valid := fx.token(map[string]any{"groups": []string{"sre"}})
	f.Add(valid)
	f.Add(sign(fx.ec, "ec-1", fx.is.claims(aud, nil)))
	f.Add(sign(rsaKeys()[1], "rsa-1", fx.is.claims(aud, nil)))
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{"sub":"root"}`) + ".")
	f.Add("a.b.c")
	f.Add("")
	f.Add("....")
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := fx.v.Identity(context.Background(), raw)
		if err != nil {
			checkRefusal(t, raw, err)
			return
		}
		if id.Subject != "user-1" || id.Claims["iss"] != fx.is.URL {
			t.Fatalf("accepted %q as %+v", raw, id)
		}
	})
}

// FuzzClaims signs arbitrary payloads with the issuer's key: whatever the
// issuer puts in a token, mapping it to an identity never panics, and only
// well-formed claims yield one.
func FuzzClaims(f *testing.F) {
	fx := newFixture(f, nil)
	f.Add(`{"sub":"a","groups":["x",1]}`)
	f.Add(`{"sub":"a","groups":"x","airlock_kind":"human"}`)
	f.Add(`{"sub":"a","exp":1e400}`)
	f.Add(`{"sub":"a","exp":"soon","nbf":null}`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, payload string) {
		raw := signBytes(fx.ec, "ec-1", []byte(payload))
		id, err := fx.v.Identity(context.Background(), raw)
		if err != nil {
			checkRefusal(t, raw, err)
			return
		}
		if id.Subject == "" || id.Kind == "" {
			t.Fatalf("accepted %q as %+v", payload, id)
		}
	})
}
