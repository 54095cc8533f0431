package oidc

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// Defaults used when the matching Config field is zero.
const (
	// DefaultGroupsClaim is the claim read for group membership.
	DefaultGroupsClaim = "groups"
	// DefaultKindClaim is the claim read for the identity kind.
	DefaultKindClaim = "airlock_kind"
	// DefaultClockSkew is the tolerance applied to exp, nbf and iat.
	DefaultClockSkew = time.Minute
	// DefaultKeyRefreshInterval is the least time between two fetches of
	// the issuer's key set.
	DefaultKeyRefreshInterval = 10 * time.Second
	// DefaultKeySetMaxAge is how long a fetched key set is trusted.
	DefaultKeySetMaxAge = time.Hour
	// DefaultFetchTimeout bounds one request to the issuer.
	DefaultFetchTimeout = 15 * time.Second
)

// MaxTokenBytes bounds the size of a token; a larger one is malformed.
const MaxTokenBytes = 64 << 10

// maxFetchBytes bounds a discovery document or key set.
const maxFetchBytes = 1 << 20

// DefaultNameClaims are the claims tried, in order, for Identity.Name when
// Config.NameClaim is empty.
var DefaultNameClaims = []string{"name", "preferred_username", "email"}

// Config configures a Verifier. Issuer and Audience are required; every
// other field has a working zero value.
type Config struct {
	// Issuer is the issuer URL exactly as tokens carry it in iss and the
	// discovery document in issuer. It must use https, except on a loopback
	// host (127.0.0.1, ::1, localhost) where http is accepted for local
	// development.
	Issuer string
	// Audience must be one of the token's aud values (the client id, or the
	// API's identifier for access tokens).
	Audience string
	// SigningAlgorithms restricts the accepted JWS algorithms (RS256,
	// ES256, ...). Empty means those the discovery document lists, or RS256
	// when it lists none. "none" is never accepted.
	SigningAlgorithms []string

	// NameClaim is the claim for Identity.Name. Empty tries
	// DefaultNameClaims in order.
	NameClaim string
	// GroupsClaim is the claim for Identity.Groups: a JSON array of strings
	// or a single string. Empty means DefaultGroupsClaim.
	GroupsClaim string
	// KindClaim is the claim for Identity.Kind ("agent", "human" or
	// "service"). Empty means DefaultKindClaim; "-" reads no claim.
	KindClaim string
	// AgentGroups, HumanGroups and ServiceGroups map group membership to a
	// kind. When the kind claim and the groups point to several kinds, the
	// least trusted wins: agent, then service, then human.
	AgentGroups, HumanGroups, ServiceGroups []string
	// DefaultKind is the kind of an identity that neither the kind claim nor
	// its groups classify. Empty means gate.KindAgent, the least trust.
	DefaultKind gate.IdentityKind

	// UserClaim is the claim a PostgreSQL user name must equal in
	// PasswordIdentity (for example "preferred_username"). Empty means the
	// user name must equal the subject.
	UserClaim string

	// HTTPClient fetches the discovery document and the key set. Nil means
	// a client of its own. Its transport is wrapped: every response is
	// read whole under FetchTimeout and bounded in size.
	HTTPClient *http.Client
	// ClockSkew is the tolerance for exp, nbf and iat. Zero means
	// DefaultClockSkew; a negative value means none.
	ClockSkew time.Duration
	// KeyRefreshInterval is the least time between two fetches of the key
	// set. A token signed with an unknown key makes the verifier fetch the
	// key set again; the interval keeps a stream of forged tokens from
	// turning the gateway against the issuer. Zero means
	// DefaultKeyRefreshInterval; a negative value means no limit.
	KeyRefreshInterval time.Duration
	// KeySetMaxAge is how long a fetched key set is trusted before it is
	// fetched again, so a key the issuer withdrew (rotated out, or
	// compromised) stops verifying within that time. Zero means
	// DefaultKeySetMaxAge; a negative value keeps keys until a token with
	// an unknown key causes a fetch.
	KeySetMaxAge time.Duration
	// FetchTimeout bounds one request to the issuer (DefaultFetchTimeout
	// when zero).
	FetchTimeout time.Duration
	// Now returns the current time; nil means time.Now. For tests.
	Now func() time.Time
}

// withDefaults validates cfg and fills in its zero fields.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Issuer == "" {
		return cfg, fmt.Errorf("oidc: Config.Issuer is required")
	}
	if err := checkURL("issuer", cfg.Issuer); err != nil {
		return cfg, err
	}
	if cfg.Audience == "" {
		return cfg, fmt.Errorf("oidc: issuer %q: Config.Audience is required", cfg.Issuer)
	}
	for _, alg := range cfg.SigningAlgorithms {
		if !supportedAlgs[alg] {
			return cfg, fmt.Errorf("oidc: issuer %q: signing algorithm %q is not supported", cfg.Issuer, alg)
		}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = DefaultGroupsClaim
	}
	if cfg.KindClaim == "" {
		cfg.KindClaim = DefaultKindClaim
	}
	if cfg.DefaultKind == "" {
		cfg.DefaultKind = gate.KindAgent
	}
	if !validKind(cfg.DefaultKind) {
		return cfg, fmt.Errorf("oidc: issuer %q: Config.DefaultKind %q is not agent, human or service", cfg.Issuer, cfg.DefaultKind)
	}
	switch {
	case cfg.ClockSkew == 0:
		cfg.ClockSkew = DefaultClockSkew
	case cfg.ClockSkew < 0:
		cfg.ClockSkew = 0
	}
	switch {
	case cfg.KeyRefreshInterval == 0:
		cfg.KeyRefreshInterval = DefaultKeyRefreshInterval
	case cfg.KeyRefreshInterval < 0:
		cfg.KeyRefreshInterval = 0
	}
	switch {
	case cfg.KeySetMaxAge == 0:
		cfg.KeySetMaxAge = DefaultKeySetMaxAge
	case cfg.KeySetMaxAge < 0:
		cfg.KeySetMaxAge = 0
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.SigningAlgorithms = slices.Clone(cfg.SigningAlgorithms)
	cfg.AgentGroups = slices.Clone(cfg.AgentGroups)
	cfg.HumanGroups = slices.Clone(cfg.HumanGroups)
	cfg.ServiceGroups = slices.Clone(cfg.ServiceGroups)
	return cfg, nil
}

// checkURL refuses URLs that would let a network attacker substitute keys:
// anything but https, except http on a loopback host.
func checkURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("oidc: %s %q is not an absolute URL", what, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("oidc: %s %q must use https (http only on a loopback host)", what, raw)
}

// validKind reports whether k is one of the kinds the gate knows.
func validKind(k gate.IdentityKind) bool {
	return k == gate.KindAgent || k == gate.KindHuman || k == gate.KindService
}

// supportedAlgs are the asymmetric JWS algorithms a verifier accepts. HMAC
// and "none" are absent on purpose: an issuer's public keys must never be
// usable as shared secrets.
var supportedAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}
