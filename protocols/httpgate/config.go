package httpgate

import (
	"errors"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/hashicorp/go-hclog"
)

// MethodOverride chooses what happens to a request that asks for another
// method through X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override
// or a _method query or form parameter.
type MethodOverride int

const (
	// MethodOverrideRefuse refuses such requests with 400 (the default):
	// the method the rules see is always the method on the wire.
	MethodOverrideRefuse MethodOverride = iota
	// MethodOverrideHonour puts the overriding method into the model, so
	// the rules see what the upstream will execute, and forwards the
	// request unchanged.
	MethodOverrideHonour
)

// Defaults for the zero values of Config.
const (
	DefaultMaxBodyBytes     = 1 << 20
	DefaultMaxResponseBytes = 16 << 20
	DefaultIdleTimeout      = 5 * time.Minute
	// DefaultMaxSessionsPerIdentity is Config.MaxSessionsPerIdentity when
	// unset.
	DefaultMaxSessionsPerIdentity = 64
	DefaultRetryAfter             = 10 * time.Second
	DefaultMaxEventBytes          = 1 << 20
)

// DefaultMethods are the methods accepted when Config.Methods is empty.
var DefaultMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// DefaultSecretHeaders are the request headers whose values are listed in
// gate.Request.Secrets (so that recorders HMAC them) when
// Config.SecretHeaders is empty. It is mask.SecretHeaders, the module's one
// list of credential headers.
var DefaultSecretHeaders = mask.SecretHeaders

// DefaultSecretQuery are the query and form parameters whose values are
// listed in gate.Request.Secrets when Config.SecretQuery is empty. It is
// mask.SecretNames, the module's one list of secret names (see there for
// the syntax: names are compared ignoring case, '-', '_', '.' and spaces,
// and '*' matches any text).
var DefaultSecretQuery = mask.SecretNames

// Config configures a Gateway. Gate and Authenticator are required; every
// other zero value picks a safe default.
type Config struct {
	// Gate decides, holds and records every request (a *gate.Gate, or a
	// wrapper of one).
	Gate gate.Hub
	// Authenticator tells who the client is, from a gate.Credential with
	// the protocol, the client's address and the bearer token of its one
	// Authorization header (empty when there is none; token
	// authenticators such as gate.Tokens and oidc.Verifier refuse it). An
	// error refuses the request with 401; its text is recorded, never
	// shown to the client.
	Authenticator gate.Authenticator
	// Target names the protected resource in sessions ("billing-api", a
	// base URL). A proxy with no Target uses its upstream URL (without
	// credentials). Sessions are per client identity, run and target.
	Target string
	// Proxy is the upstream Handler forwards to (see Gateway.Proxy); nil
	// for a Gateway used only as Middleware.
	Proxy *ProxyConfig

	// LowerCasePaths lower-cases the path in the model, for upstreams that
	// route case-insensitively. The path forwarded keeps its case.
	LowerCasePaths bool
	// Methods lists the accepted methods, upper case; nil means
	// DefaultMethods. Any other method, lower-case ones included, is
	// refused with 405.
	Methods []string
	// MethodOverride is MethodOverrideRefuse (default) or MethodOverrideHonour.
	MethodOverride MethodOverride
	// AllowDuplicateQuery accepts repeated query and form parameters
	// (one name, or names equal under case folding); by default they are
	// refused because servers disagree on which value wins. A name spelled
	// unlike the name a rule reads is refused either way (see the
	// package doc, Names and case).
	AllowDuplicateQuery bool
	// MaxBodyBytes bounds a request body, after decoding a Content-Encoding.
	// A larger body is refused with 413. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxResponseBytes bounds a JSON response body that is masked as a
	// whole; a larger one fails closed (502). 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxEventBytes bounds one server-sent event. 0 means DefaultMaxEventBytes.
	MaxEventBytes int64
	// RecordLimit bounds the request body and the response (head and
	// body) kept in the session record: a longer request body is recorded
	// as its SHA-256 and length, a longer response is cut and marked
	// truncated. 0 means gate.DefaultRecordLimit, a negative value no
	// bound. The client always receives the whole response.
	RecordLimit int64
	// SecretHeaders are request headers whose values are secrets; nil
	// means DefaultSecretHeaders.
	SecretHeaders []string
	// SecretQuery are query and form parameters whose values are secrets,
	// as patterns in the syntax of mask.SecretNames; nil means
	// DefaultSecretQuery.
	SecretQuery []string

	// IdleTimeout closes a client's session after this long without
	// requests. 0 means DefaultIdleTimeout; negative means one session per
	// request.
	IdleTimeout time.Duration
	// MaxSessionsPerIdentity bounds the sessions one identity holds open
	// at once: one per run it names with RunHeader, so an agent cannot
	// grow the gateway's memory by naming a new run on every request. 0
	// means DefaultMaxSessionsPerIdentity; negative means no bound.
	MaxSessionsPerIdentity int
	// RetryAfter is sent with 409 in RefuseThenRetry mode. 0 means
	// DefaultRetryAfter.
	RetryAfter time.Duration

	// Logger receives operational logs; nil means silence.
	Logger hclog.Logger
}

func (c *Config) withDefaults() (Config, error) {
	o := *c
	if o.Gate == nil {
		return o, errors.New("httpgate: Config.Gate is required")
	}
	if o.Authenticator == nil {
		return o, errors.New("httpgate: Config.Authenticator is required (gate.Tokens for a token table)")
	}
	if o.MethodOverride != MethodOverrideRefuse && o.MethodOverride != MethodOverrideHonour {
		return o, errors.New("httpgate: unknown MethodOverride")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.MaxEventBytes <= 0 {
		o.MaxEventBytes = DefaultMaxEventBytes
	}
	if o.RecordLimit == 0 {
		o.RecordLimit = gate.DefaultRecordLimit
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxSessionsPerIdentity == 0 {
		o.MaxSessionsPerIdentity = DefaultMaxSessionsPerIdentity
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.Methods == nil {
		o.Methods = DefaultMethods
	}
	if o.SecretHeaders == nil {
		o.SecretHeaders = DefaultSecretHeaders
	}
	if o.SecretQuery == nil {
		o.SecretQuery = DefaultSecretQuery
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return o, nil
}
