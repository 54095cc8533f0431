package oidc_test

import (
	"context"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkIdentity measures a full verification and mapping per token,
// with the key set cached (run with -bench; not part of the normal run).
func BenchmarkIdentity(b *testing.B) {
	f := newFixture(b, nil)
	for _, tc := range []struct {
		name string
		tok  string
	}{
		{"RS256", f.token(map[string]any{"groups": []string{"sre", "dev"}, "name": "Ada"})},
		{"ES256", sign(f.ec, "ec-1", f.is.claims(aud, map[string]any{"groups": []string{"sre", "dev"}, "name": "Ada"}))},
	} {
		if _, err := f.v.Identity(context.Background(), tc.tok); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.v.Identity(context.Background(), tc.tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBaselineSignature is the floor: parsing the JWS and checking its
// signature with go-jose and the right key, nothing else.
func BenchmarkBaselineSignature(b *testing.B) {
	f := newFixture(b, nil)
	for _, tc := range []struct {
		name string
		tok  string
		key  any
		alg  jose.SignatureAlgorithm
	}{
		{"RS256", f.token(map[string]any{"groups": []string{"sre", "dev"}, "name": "Ada"}), f.rsa.Public(), jose.RS256},
		{"ES256", sign(f.ec, "ec-1", f.is.claims(aud, map[string]any{"groups": []string{"sre", "dev"}, "name": "Ada"})), f.ec.Public(), jose.ES256},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				jws, err := jose.ParseSignedCompact(tc.tok, []jose.SignatureAlgorithm{tc.alg})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := jws.Verify(tc.key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
