package oidc_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/gate/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

const aud = "airlock"

// fixture is an issuer with one RSA and one EC key, and a verifier for it.
type fixture struct {
	is  *localIssuer
	rsa crypto.Signer
	ec  crypto.Signer
	v   *oidc.Verifier
}

func newFixture(t testing.TB, mod func(*oidc.Config)) *fixture {
	t.Helper()
	f := &fixture{rsa: rsaKeys()[0], ec: ecKeys()[0]}
	f.is = startIssuer(map[string]crypto.Signer{"rsa-1": f.rsa, "ec-1": f.ec})
	t.Cleanup(f.is.Close)
	cfg := oidc.Config{Issuer: f.is.URL, Audience: aud, HTTPClient: f.is.Client()}
	if mod != nil {
		mod(&cfg)
	}
	v, err := oidc.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.v = v
	return f
}

// token signs the fixture's default claims with overrides, with the RSA key.
func (f *fixture) token(over map[string]any) string {
	return sign(f.rsa, "rsa-1", f.is.claims(aud, over))
}

func TestValidTokens(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		kid  string
	}{
		{"RS256", f.rsa, "rsa-1"},
		{"ES256", f.ec, "ec-1"},
		{"RS256 without kid", f.rsa, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := sign(tc.key, tc.kid, f.is.claims(aud, map[string]any{"name": "Ada", "groups": []string{"dev", "ops"}}))
			id, err := f.v.Identity(context.Background(), tok)
			if err != nil {
				t.Fatalf("Identity: %v", err)
			}
			if id.Subject != "user-1" || id.Name != "Ada" || strings.Join(id.Groups, ",") != "dev,ops" || id.Kind != gate.KindAgent {
				t.Fatalf("identity = %+v", id)
			}
			if id.Claims["iss"] != f.is.URL || id.Claims["aud"] != aud {
				t.Fatalf("claims = %v", id.Claims)
			}
		})
	}
}

func TestAudienceArray(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.v.Identity(context.Background(), f.token(map[string]any{"aud": []string{"other", aud}})); err != nil {
		t.Fatalf("aud array containing the audience: %v", err)
	}
	_, err := f.v.Identity(context.Background(), f.token(map[string]any{"aud": []string{"other", "third"}}))
	if !errors.Is(err, oidc.ErrAudience) {
		t.Fatalf("aud array without the audience: %v", err)
	}
}

// b64 encodes a JWS part.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestRejected(t *testing.T) {
	f := newFixture(t, nil)
	now := time.Now()
	other := rsaKeys()[1]
	valid := f.token(nil)
	parts := strings.Split(valid, ".")

	// A payload changed after signing.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + b64(strings.Replace(string(payload), `"user-1"`, `"root"`, 1)) + "." + parts[2]

	// alg "none", with and without a signature part.
	claims, _ := json.Marshal(f.is.claims(aud, nil))
	unsigned := b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(claims)) + "."
	unsignedKid := b64(`{"alg":"none","kid":"rsa-1"}`) + "." + b64(string(claims)) + "." + parts[2]

	// HS256 with the issuer's public key as the shared secret: the
	// classic algorithm confusion.
	der, _ := x509.MarshalPKIXPublicKey(f.rsa.Public())
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pemKey}, (&jose.SignerOptions{}).WithHeader("kid", "rsa-1"))
	hsJWS, _ := hs.Sign(claims)
	confused, _ := hsJWS.CompactSerialize()

	// The attacker's own key embedded in the header (jwk) must not be used.
	embed, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: other}, &jose.SignerOptions{EmbedJWK: true})
	embedJWS, _ := embed.Sign(claims)
	embedded, _ := embedJWS.CompactSerialize()

	for _, tc := range []struct {
		name string
		tok  string
		want error
	}{
		{"attacker key embedded in the header", embedded, oidc.ErrSignature},
		{"expired", f.token(map[string]any{"exp": now.Add(-2 * time.Minute).Unix(), "iat": now.Add(-time.Hour).Unix()}), oidc.ErrExpired},
		{"not yet valid (nbf)", f.token(map[string]any{"nbf": now.Add(5 * time.Minute).Unix()}), oidc.ErrNotYetValid},
		{"issued in the future (iat)", f.token(map[string]any{"iat": now.Add(5 * time.Minute).Unix()}), oidc.ErrNotYetValid},
		{"no exp", f.token(map[string]any{"exp": nil}), oidc.ErrMalformed},
		{"exp not a number", f.token(map[string]any{"exp": "tomorrow"}), oidc.ErrMalformed},
		{"nbf not a number", f.token(map[string]any{"nbf": "now"}), oidc.ErrMalformed},
		{"wrong audience", f.token(map[string]any{"aud": "someone-else"}), oidc.ErrAudience},
		{"no audience", f.token(map[string]any{"aud": nil}), oidc.ErrAudience},
		{"wrong issuer", f.token(map[string]any{"iss": "https://evil.example"}), oidc.ErrIssuer},
		{"issuer with trailing slash", f.token(map[string]any{"iss": f.is.URL + "/"}), oidc.ErrIssuer},
		{"no issuer", f.token(map[string]any{"iss": nil}), oidc.ErrIssuer},
		{"unsigned (alg none)", unsigned, oidc.ErrSignature},
		{"alg none with a signature", unsignedKid, oidc.ErrSignature},
		{"HS256 with the public key as secret", confused, oidc.ErrSignature},
		{"signed by another key, known kid", sign(other, "rsa-1", f.is.claims(aud, nil)), oidc.ErrSignature},
		{"signed by another key, unknown kid", sign(other, "rsa-9", f.is.claims(aud, nil)), oidc.ErrSignature},
		{"signed by another key, no kid", sign(other, "", f.is.claims(aud, nil)), oidc.ErrSignature},
		{"EC key under the RSA kid", sign(ecKeys()[1], "ec-1", f.is.claims(aud, nil)), oidc.ErrSignature},
		{"tampered payload", tampered, oidc.ErrSignature},
		{"signature stripped", parts[0] + "." + parts[1] + ".", oidc.ErrSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(f.token(map[string]any{"sub": "x"}), ".")[2], oidc.ErrSignature},
		{"payload not JSON", signBytes(f.rsa, "rsa-1", []byte("hello")), oidc.ErrMalformed},
		{"payload a JSON array", signBytes(f.rsa, "rsa-1", []byte(`["sub"]`)), oidc.ErrMalformed},
		{"no sub", f.token(map[string]any{"sub": nil}), oidc.ErrClaims},
		{"sub not a string", f.token(map[string]any{"sub": 7}), oidc.ErrMalformed},
		{"empty sub", f.token(map[string]any{"sub": ""}), oidc.ErrClaims},
		{"empty", "", oidc.ErrMalformed},
		{"garbage", "not-a-token", oidc.ErrMalformed},
		{"two parts", parts[0] + "." + parts[1], oidc.ErrMalformed},
		{"five parts (JWE)", valid + ".a.b", oidc.ErrMalformed},
		{"header not base64", "!!!." + parts[1] + "." + parts[2], oidc.ErrMalformed},
		{"header not JSON", b64("alg") + "." + parts[1] + "." + parts[2], oidc.ErrMalformed},
		{"signature not base64", parts[0] + "." + parts[1] + ".***", oidc.ErrMalformed},
		{"padded base64", parts[0] + "==." + parts[1] + "." + parts[2], oidc.ErrMalformed},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, oidc.ErrMalformed},
		{"too large", f.token(map[string]any{"pad": strings.Repeat("x", oidc.MaxTokenBytes)}), oidc.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := f.v.Identity(context.Background(), tc.tok)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v (identity %+v)", err, tc.want, id)
			}
			if id.Subject != "" {
				t.Fatalf("refused token still gave identity %+v", id)
			}
			msg := err.Error()
			for _, p := range strings.Split(tc.tok, ".") {
				if len(p) >= 16 && strings.Contains(msg, p) {
					t.Fatalf("error message contains part of the token: %s", msg)
				}
			}
		})
	}
}

func TestClockSkew(t *testing.T) {
	now := time.Now()
	justExpired := map[string]any{"exp": now.Add(-30 * time.Second).Unix(), "iat": now.Add(-time.Hour).Unix()}
	soon := map[string]any{"nbf": now.Add(30 * time.Second).Unix()}

	f := newFixture(t, nil) // default skew: one minute
	for _, over := range []map[string]any{justExpired, soon} {
		if _, err := f.v.Identity(context.Background(), f.token(over)); err != nil {
			t.Fatalf("within default skew: %v", err)
		}
	}
	strict := newFixture(t, func(c *oidc.Config) { c.ClockSkew = -1 })
	if _, err := strict.v.Identity(context.Background(), strict.token(justExpired)); !errors.Is(err, oidc.ErrExpired) {
		t.Fatalf("no skew, expired 30s ago: %v", err)
	}
	if _, err := strict.v.Identity(context.Background(), strict.token(soon)); !errors.Is(err, oidc.ErrNotYetValid) {
		t.Fatalf("no skew, nbf in 30s: %v", err)
	}

	// The verifier's clock, not the wall clock, decides.
	later := newFixture(t, func(c *oidc.Config) { c.Now = func() time.Time { return now.Add(2 * time.Hour) } })
	if _, err := later.v.Identity(context.Background(), later.token(nil)); !errors.Is(err, oidc.ErrExpired) {
		t.Fatalf("clock two hours ahead: %v", err)
	}
}

func TestSigningAlgorithms(t *testing.T) {
	f := newFixture(t, func(c *oidc.Config) { c.SigningAlgorithms = []string{"ES256"} })
	if _, err := f.v.Identity(context.Background(), sign(f.ec, "ec-1", f.is.claims(aud, nil))); err != nil {
		t.Fatalf("ES256: %v", err)
	}
	if _, err := f.v.Identity(context.Background(), f.token(nil)); !errors.Is(err, oidc.ErrSignature) {
		t.Fatalf("RS256 when only ES256 is accepted: %v", err)
	}
}

// The discovery document's algorithm list narrows what is accepted.
func TestDiscoveredAlgorithms(t *testing.T) {
	is := startIssuer(map[string]crypto.Signer{"rsa-1": rsaKeys()[0], "ec-1": ecKeys()[0]})
	defer is.Close()
	is.mu.Lock()
	is.discovery["id_token_signing_alg_values_supported"] = []string{"RS256", "none", "HS256"}
	is.mu.Unlock()
	v, err := oidc.New(context.Background(), oidc.Config{Issuer: is.URL, Audience: aud, HTTPClient: is.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Identity(context.Background(), sign(rsaKeys()[0], "rsa-1", is.claims(aud, nil))); err != nil {
		t.Fatalf("RS256: %v", err)
	}
	if _, err := v.Identity(context.Background(), sign(ecKeys()[0], "ec-1", is.claims(aud, nil))); !errors.Is(err, oidc.ErrSignature) {
		t.Fatalf("ES256 not listed by the issuer: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	old, next := rsaKeys()[0], rsaKeys()[1]
	is := startIssuer(map[string]crypto.Signer{"2025": old})
	defer is.Close()
	v, err := oidc.New(context.Background(), oidc.Config{Issuer: is.URL, Audience: aud, HTTPClient: is.Client(), KeyRefreshInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Identity(ctx, sign(old, "2025", is.claims(aud, nil))); err != nil {
		t.Fatalf("old key before rotation: %v", err)
	}
	is.publish(map[string]crypto.Signer{"2026": next})
	settle()
	if _, err := v.Identity(ctx, sign(next, "2026", is.claims(aud, nil))); err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}
	settle()
	if _, err := v.Identity(ctx, sign(old, "2025", is.claims(aud, nil))); !errors.Is(err, oidc.ErrSignature) {
		t.Fatalf("retired key after rotation: %v", err)
	}
	// Same kid, new key material: the signature check fails against the
	// cached key, the set is fetched again, and the new key verifies.
	is.publish(map[string]crypto.Signer{"2026": old})
	settle()
	if _, err := v.Identity(ctx, sign(old, "2026", is.claims(aud, nil))); err != nil {
		t.Fatalf("kid reused for a new key: %v", err)
	}
}

// settle waits for go-oidc's key fetch to retire: for a moment after a
// fetch has answered, a new lookup still joins it and gets its (old) keys.
// Only back-to-back rotations, as in tests, can meet that window.
func settle() { time.Sleep(20 * time.Millisecond) }

// Forged tokens naming unknown keys do not make the verifier hammer the
// issuer: within the refresh interval the last key set is reused.
func TestKeyRefreshThrottled(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	f := newFixture(t, func(c *oidc.Config) { c.KeyRefreshInterval = time.Minute; c.Now = now })
	ctx := context.Background()
	if _, err := f.v.Identity(ctx, f.token(nil)); err != nil {
		t.Fatal(err)
	}
	if n := f.is.keysHits.Load(); n != 1 {
		t.Fatalf("key set fetched %d times for the first token, want 1", n)
	}
	forger := rsaKeys()[2]
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kid := "forged-" + string(rune('a'+i%26))
			if _, err := f.v.Identity(ctx, sign(forger, kid, f.is.claims(aud, nil))); !errors.Is(err, oidc.ErrSignature) {
				t.Errorf("forged token: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := f.is.keysHits.Load(); n != 1 {
		t.Fatalf("key set fetched %d times after 40 forged tokens, want 1", n)
	}
	// A genuine rotation inside the interval waits for it to pass.
	f.is.publish(map[string]crypto.Signer{"rsa-2": forger})
	settle()
	if _, err := f.v.Identity(ctx, sign(forger, "rsa-2", f.is.claims(aud, nil))); !errors.Is(err, oidc.ErrSignature) {
		t.Fatalf("new key within the interval: %v", err)
	}
	mu.Lock()
	clock = clock.Add(2 * time.Minute)
	mu.Unlock()
	settle()
	tok := sign(forger, "rsa-2", f.is.claims(aud, map[string]any{"exp": now().Add(time.Hour).Unix(), "iat": now().Unix()}))
	if _, err := f.v.Identity(ctx, tok); err != nil {
		t.Fatalf("new key after the interval: %v", err)
	}
	if n := f.is.keysHits.Load(); n != 2 {
		t.Fatalf("key set fetched %d times, want 2", n)
	}
}

// A key the issuer withdraws stops verifying once the key set is older
// than KeySetMaxAge, even if no token ever made the verifier fetch again.
func TestWithdrawnKeyExpires(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	f := newFixture(t, func(c *oidc.Config) { c.KeySetMaxAge = time.Hour; c.Now = now })
	ctx := context.Background()
	if _, err := f.v.Identity(ctx, f.token(nil)); err != nil {
		t.Fatal(err)
	}
	f.is.publish(map[string]crypto.Signer{"ec-1": f.ec}) // rsa-1 withdrawn
	settle()
	if _, err := f.v.Identity(ctx, f.token(nil)); err != nil {
		t.Fatalf("within the max age the cached key still verifies: %v", err)
	}
	mu.Lock()
	clock = clock.Add(61 * time.Minute)
	mu.Unlock()
	tok := sign(f.rsa, "rsa-1", f.is.claims(aud, map[string]any{"exp": now().Add(time.Hour).Unix(), "iat": now().Unix()}))
	if _, err := f.v.Identity(ctx, tok); !errors.Is(err, oidc.ErrSignature) {
		t.Fatalf("withdrawn key after the max age: %v", err)
	}
	tok = sign(f.ec, "ec-1", f.is.claims(aud, map[string]any{"exp": now().Add(time.Hour).Unix(), "iat": now().Unix()}))
	if _, err := f.v.Identity(ctx, tok); err != nil {
		t.Fatalf("published key after the max age: %v", err)
	}
}

func TestKeySetProblems(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"not JSON", []byte("<html>")},
		{"larger than 1 MiB", []byte(`{"keys":[],"pad":"` + strings.Repeat("x", 1<<20) + `"}`)},
		{"empty set", []byte(`{"keys":[]}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.is.mu.Lock()
			f.is.keysBody = tc.body
			f.is.mu.Unlock()
			_, err := f.v.Identity(ctx, f.token(nil))
			if !errors.Is(err, oidc.ErrSignature) {
				t.Fatalf("err = %v", err)
			}
			if len(err.Error()) > 400 {
				t.Fatalf("error message is %d bytes long", len(err.Error()))
			}
		})
	}
}

// A key set endpoint that never answers is cut off by the caller's context
// and by FetchTimeout, and does not wedge later verifications.
func TestKeySetHangs(t *testing.T) {
	f := newFixture(t, func(c *oidc.Config) { c.FetchTimeout = 300 * time.Millisecond; c.KeyRefreshInterval = -1 })
	release := make(chan struct{})
	f.is.mu.Lock()
	f.is.hold = release
	f.is.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := f.v.Identity(ctx, f.token(nil))
	if !errors.Is(err, oidc.ErrSignature) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	close(release)
	time.Sleep(400 * time.Millisecond) // the background fetch times out
	if _, err := f.v.Identity(context.Background(), f.token(nil)); err != nil {
		t.Fatalf("after the hang: %v", err)
	}
}

func TestConcurrentIdentity(t *testing.T) {
	f := newFixture(t, nil)
	tokens := []string{f.token(nil), sign(f.ec, "ec-1", f.is.claims(aud, nil))}
	bad := f.token(map[string]any{"aud": "x"})
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.v.Identity(context.Background(), tokens[i%2]); err != nil {
				t.Errorf("valid: %v", err)
			}
			if _, err := f.v.Identity(context.Background(), bad); !errors.Is(err, oidc.ErrAudience) {
				t.Errorf("bad: %v", err)
			}
		}()
	}
	wg.Wait()
}
