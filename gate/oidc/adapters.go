package oidc

import (
	"context"
	"fmt"

	"github.com/airlock-sdk/airlock/gate"
)

// Authenticate is the verifier as a gate.Authenticator, the identity hook
// of every protocol package. A bearer token (c.Token: HTTP and MCP) is
// verified as it is. Otherwise the password is the token (PostgreSQL), and
// the user name the client connected as must equal the token's
// Config.UserClaim, or its subject when UserClaim is empty: a token cannot be
// replayed under another user name, and session records name the same
// principal the database user suggests. c.Database is not checked; rules see
// it as session.target.
func (v *Verifier) Authenticate(ctx context.Context, c gate.Credential) (gate.Identity, error) {
	if c.Token != "" {
		return v.Identity(ctx, c.Token)
	}
	return v.passwordIdentity(ctx, c.User, c.Password)
}

var _ gate.Authenticator = (*Verifier)(nil)

// passwordIdentity authenticates a client whose password is a token.
func (v *Verifier) passwordIdentity(ctx context.Context, user, password string) (gate.Identity, error) {
	if password == "" {
		return gate.Identity{}, fmt.Errorf("oidc: %w: no token and no password", ErrNoToken)
	}
	claims, err := v.verify(ctx, password)
	if err != nil {
		return gate.Identity{}, err
	}
	claim := v.cfg.UserClaim
	if claim == "" {
		claim = "sub"
	}
	want, _ := claims[claim].(string)
	if want == "" || user != want {
		return gate.Identity{}, fmt.Errorf("oidc: %w: user %.64q is not the token's %s", ErrUser, user, claim)
	}
	return v.identity(claims)
}
