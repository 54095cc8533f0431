package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	coreos "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// Verifier checks tokens of one issuer and turns them into identities. It
// is safe for concurrent use; build one per issuer and share it.
type Verifier struct {
	cfg      Config
	algs     []string
	joseAlgs []jose.SignatureAlgorithm
	verifier *coreos.IDTokenVerifier
}

// New discovers the issuer (its /.well-known/openid-configuration) and
// returns a Verifier for its tokens. The key set is fetched when the first
// token arrives, and again whenever a token names a key not seen yet, so
// the issuer can rotate keys. ctx bounds discovery only.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var client http.Client
	if cfg.HTTPClient != nil {
		client = *cfg.HTTPClient
	}
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	f := &fetcher{base: base, timeout: cfg.FetchTimeout, interval: cfg.KeyRefreshInterval, now: cfg.Now}
	client.Transport = f

	provider, err := coreos.NewProvider(coreos.ClientContext(ctx, &client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discovery for issuer %q: %s", cfg.Issuer, clip(err.Error()))
	}
	var meta struct {
		JWKSURL string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("oidc: discovery for issuer %q: %s", cfg.Issuer, clip(err.Error()))
	}
	if meta.JWKSURL == "" {
		return nil, fmt.Errorf("oidc: discovery for issuer %q: no jwks_uri", cfg.Issuer)
	}
	if err := checkURL("jwks_uri of issuer "+cfg.Issuer, meta.JWKSURL); err != nil {
		return nil, err
	}
	f.setKeysURL(meta.JWKSURL)

	algs := cfg.SigningAlgorithms
	if len(algs) == 0 {
		for _, a := range meta.Algs {
			if supportedAlgs[a] {
				algs = append(algs, a)
			}
		}
	}
	if len(algs) == 0 {
		algs = []string{"RS256"}
	}
	v := &Verifier{cfg: cfg, algs: algs}
	for _, a := range algs {
		v.joseAlgs = append(v.joseAlgs, jose.SignatureAlgorithm(a))
	}
	keys := &keyRing{
		maxAge: cfg.KeySetMaxAge,
		now:    cfg.Now,
		fresh: func() coreos.KeySet {
			return coreos.NewRemoteKeySet(coreos.ClientContext(context.Background(), &client), meta.JWKSURL)
		},
	}
	v.verifier = coreos.NewVerifier(cfg.Issuer, keys, &coreos.Config{
		ClientID:             cfg.Audience,
		SupportedSigningAlgs: algs,
		// Expiry, nbf and iat are checked here, with the configured skew
		// and clock.
		SkipExpiryCheck: true,
	})
	return v, nil
}

// Issuer returns the issuer URL the verifier trusts.
func (v *Verifier) Issuer() string { return v.cfg.Issuer }

// Identity verifies rawToken (signature, issuer, audience, exp, nbf, iat)
// and maps its claims to an identity. The error wraps one of the package's
// sentinel errors and never contains the token. Its signature matches the
// MCP gateway's TokenIdentity hook.
func (v *Verifier) Identity(ctx context.Context, rawToken string) (gate.Identity, error) {
	claims, err := v.verify(ctx, rawToken)
	if err != nil {
		return gate.Identity{}, err
	}
	return v.identity(claims)
}

// verify checks rawToken and returns its verified claims.
func (v *Verifier) verify(ctx context.Context, raw string) (map[string]any, error) {
	if raw == "" {
		return nil, fmt.Errorf("oidc: %w: empty token", ErrMalformed)
	}
	if len(raw) > MaxTokenBytes {
		return nil, fmt.Errorf("oidc: %w: token is larger than %d bytes", ErrMalformed, MaxTokenBytes)
	}
	if err := v.precheck(raw); err != nil {
		return nil, err
	}

	p := &probe{}
	tok, err := v.verifier.Verify(context.WithValue(ctx, probeKey{}, p), raw)
	if err != nil {
		return nil, v.classify(ctx, raw, p)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil || claims == nil {
		return nil, fmt.Errorf("oidc: %w: claims are not a JSON object", ErrMalformed)
	}

	now := v.cfg.Now()
	skew := v.cfg.ClockSkew
	if tok.Expiry.IsZero() {
		return nil, fmt.Errorf("oidc: %w: token has no exp", ErrMalformed)
	}
	if now.After(tok.Expiry.Add(skew)) {
		return nil, fmt.Errorf("oidc: %w at %s", ErrExpired, tok.Expiry.UTC().Format(time.RFC3339))
	}
	if nbf, present := claims["nbf"]; present {
		t, ok := numericDate(nbf)
		if !ok {
			return nil, fmt.Errorf("oidc: %w: nbf is not a number", ErrMalformed)
		}
		if now.Add(skew).Before(t) {
			return nil, fmt.Errorf("oidc: %w before %s (nbf)", ErrNotYetValid, t.UTC().Format(time.RFC3339))
		}
	}
	if !tok.IssuedAt.IsZero() && now.Add(skew).Before(tok.IssuedAt) {
		return nil, fmt.Errorf("oidc: %w: issued in the future (iat %s)", ErrNotYetValid, tok.IssuedAt.UTC().Format(time.RFC3339))
	}
	return claims, nil
}

// precheck refuses what is not a compact JWS signed with an accepted
// algorithm, before any key is looked up.
func (v *Verifier) precheck(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return fmt.Errorf("oidc: %w: not a compact JWS (%d parts)", ErrMalformed, len(parts))
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return fmt.Errorf("oidc: %w: header is not base64url", ErrMalformed)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		return fmt.Errorf("oidc: %w: header is not a JSON object", ErrMalformed)
	}
	if !slices.Contains(v.algs, h.Alg) {
		return fmt.Errorf("oidc: %w: algorithm %.16q is not accepted", ErrSignature, h.Alg)
	}
	if _, err := jose.ParseSignedCompact(raw, v.joseAlgs); err != nil {
		return fmt.Errorf("oidc: %w: not a valid JWS", ErrMalformed)
	}
	return nil
}

// classify explains why go-oidc refused raw, in the order it checks:
// signature, then issuer, then audience.
func (v *Verifier) classify(ctx context.Context, raw string, p *probe) error {
	if !p.called {
		return fmt.Errorf("oidc: %w: not a valid JWS", ErrMalformed)
	}
	if p.err != nil {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("oidc: %w: %w", ErrSignature, err)
		}
		return fmt.Errorf("oidc: %w: %s", ErrSignature, clip(p.err.Error()))
	}
	// The signature holds, so the payload is the issuer's.
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	if err != nil {
		return fmt.Errorf("oidc: %w: payload is not base64url", ErrMalformed)
	}
	var c struct {
		Iss any `json:"iss"`
		Aud any `json:"aud"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return fmt.Errorf("oidc: %w: claims are not a JSON object", ErrMalformed)
	}
	if iss, _ := c.Iss.(string); iss != v.cfg.Issuer {
		return fmt.Errorf("oidc: %w: issued by %.100q, want %q", ErrIssuer, iss, v.cfg.Issuer)
	}
	auds, err := stringList(c.Aud)
	if err != nil || !slices.Contains(auds, v.cfg.Audience) {
		return fmt.Errorf("oidc: %w: want %q", ErrAudience, v.cfg.Audience)
	}
	return fmt.Errorf("oidc: %w: claims are not valid", ErrMalformed)
}

// numericDate converts a JSON NumericDate (seconds since the epoch).
func numericDate(v any) (time.Time, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// clip shortens a message from a dependency: bodies of error responses can
// be long.
func clip(s string) string {
	const max = 300
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// probe records, per verification, what the key set said: go-oidc folds
// every failure into plain text, and callers need to tell a bad signature
// from a bad claim.
type probe struct {
	called bool
	err    error
}

type probeKey struct{}

// keyRing passes signature checks to the issuer's key set (go-oidc's
// RemoteKeySet, which fetches again when a token names an unknown key) and
// notes the outcome in the context's probe. RemoteKeySet keeps a key until
// some token makes it fetch again; keyRing replaces it after maxAge, so a
// withdrawn key stops verifying.
type keyRing struct {
	maxAge time.Duration
	now    func() time.Time
	fresh  func() coreos.KeySet

	mu   sync.Mutex
	set  coreos.KeySet
	born time.Time
}

// current returns the key set in use, replacing it when it is too old.
func (k *keyRing) current() coreos.KeySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now := k.now(); k.set == nil || (k.maxAge > 0 && now.Sub(k.born) >= k.maxAge) {
		k.set, k.born = k.fresh(), now
	}
	return k.set
}

// VerifySignature implements coreos.KeySet.
func (k *keyRing) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.current().VerifySignature(ctx, jwt)
	if p, ok := ctx.Value(probeKey{}).(*probe); ok {
		p.called, p.err = true, err
	}
	return payload, err
}
