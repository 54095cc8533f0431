// Package oidc turns OpenID Connect tokens into gate identities.
//
// A Verifier trusts one issuer. It discovers the issuer at start
// (/.well-known/openid-configuration), fetches its key set (JWKS) when the
// first token arrives and again when a token names a key it has not seen, so
// the issuer can rotate keys. Each token is checked for signature (an
// asymmetric algorithm the issuer lists; never "none" or HMAC), issuer,
// audience, exp, nbf and iat (with a clock skew), and its claims become a
// gate.Identity: sub is the Subject, name (or preferred_username, or email)
// the Name, the groups claim the Groups, and the kind (agent, human or
// service) comes from the airlock_kind claim or from group membership; the
// other claims stay in Identity.Claims for rules to read.
//
//	v, err := oidc.New(ctx, oidc.Config{
//		Issuer:      "https://login.example.com/realms/prod",
//		Audience:    "airlock",
//		HumanGroups: []string{"sre"},
//		AgentGroups: []string{"agents"},
//	})
//	if err != nil {
//		return err // names the issuer: unreachable, or not what it claims
//	}
//	// v is a gate.Authenticator: the identity hook of every protocol.
//	// HTTP and MCP pass the bearer token; PostgreSQL passes the password,
//	// which is the token, and the user must be its subject.
//	httpCfg.Authenticator = v
//
// Errors wrap sentinels (ErrExpired, ErrAudience, ErrIssuer, ErrSignature,
// ErrMalformed, ...) so a caller can tell "refresh your token" from "go
// away"; no error message contains the token.
//
// The one thing not to forget: an identity that nothing classifies is an
// agent (Config.DefaultKind), and when the kind claim and the groups
// disagree the least trusted kind wins. To let people approve reviews, map
// their groups to human (Config.HumanGroups) or have the issuer set
// airlock_kind to "human".
package oidc
