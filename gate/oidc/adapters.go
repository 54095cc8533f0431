package oidc

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// BearerIdentity verifies the bearer token of r's Authorization header
// ("Authorization: Bearer <token>", the one header of that name) with r's
// context. Its signature matches the HTTP gateway's IdentifyFunc. Tokens in
// query parameters are not read: they end up in logs.
func (v *Verifier) BearerIdentity(r *http.Request) (gate.Identity, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return gate.Identity{}, fmt.Errorf("oidc: %w: want one Authorization header, got %d", ErrNoToken, len(vals))
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return gate.Identity{}, fmt.Errorf("oidc: %w: Authorization scheme is not Bearer", ErrNoToken)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return gate.Identity{}, fmt.Errorf("oidc: %w: empty bearer token", ErrNoToken)
	}
	return v.Identity(r.Context(), tok)
}

// PasswordIdentity authenticates a PostgreSQL client whose password is a
// token. The user name the client connected as must equal the token's
// Config.UserClaim (a string claim), or its subject when UserClaim is
// empty: a token cannot be replayed under another user name, and session
// records name the same principal the database user suggests. database is
// not checked; rules see it as session.target. Wire it up with:
//
//	Authenticate: func(ctx context.Context, r postgres.AuthRequest) (gate.Identity, error) {
//		return v.PasswordIdentity(ctx, r.User, r.Database, r.Password)
//	},
func (v *Verifier) PasswordIdentity(ctx context.Context, user, database, password string) (gate.Identity, error) {
	if password == "" {
		return gate.Identity{}, fmt.Errorf("oidc: %w: empty password", ErrNoToken)
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
