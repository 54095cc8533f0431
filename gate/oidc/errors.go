package oidc

import "errors"

// Errors returned by Verifier, so callers can branch with errors.Is. Every
// error from Identity wraps exactly one of them. No error message ever
// contains the token.
var (
	// ErrMalformed: the token is not a compact JWS carrying a JSON claims
	// object, is too large, lacks exp, or has a registered claim (sub, exp,
	// nbf, iat) of the wrong JSON type.
	ErrMalformed = errors.New("malformed token")
	// ErrSignature: the token is unsigned (alg "none"), uses an algorithm
	// not accepted, or no key of the issuer verifies its signature.
	ErrSignature = errors.New("token signature not verified")
	// ErrIssuer: the token was issued by another issuer.
	ErrIssuer = errors.New("token from another issuer")
	// ErrAudience: the token is not meant for this audience.
	ErrAudience = errors.New("token for another audience")
	// ErrExpired: the token's exp lies in the past (beyond the clock skew).
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid: the token's nbf or iat lies in the future (beyond the
	// clock skew).
	ErrNotYetValid = errors.New("token not yet valid")
	// ErrClaims: the token is valid but its claims cannot be mapped to an
	// identity (no sub, a groups or kind claim of the wrong type, an
	// unknown kind).
	ErrClaims = errors.New("token claims not usable")
	// ErrNoToken: an HTTP request carries no bearer token, or a PostgreSQL
	// client sent an empty password.
	ErrNoToken = errors.New("no bearer token")
	// ErrUser: the PostgreSQL user name does not match the token.
	ErrUser = errors.New("user does not match token")
)
