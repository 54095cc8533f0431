package gate

import (
	"context"
	"errors"
	"strings"
)

// Credential is what a client presented to a protocol gateway: one type for
// the identity hooks of every protocol. A protocol fills in the fields its
// handshake carries and leaves the others empty.
type Credential struct {
	// Protocol is one of the Protocol constants.
	Protocol string
	// ClientAddr is the client's network address.
	ClientAddr string
	// User is the user name the client claimed (PostgreSQL user, SSH user).
	User string
	// Database is the database a PostgreSQL client asked for.
	Database string
	// Password is a password the client sent (PostgreSQL cleartext
	// password, which may itself be a token). Never log or record it.
	Password string
	// Token is a bearer token (HTTP and MCP "Authorization: Bearer").
	// Never log or record it.
	Token string
	// PublicKey is an SSH public key or certificate the client proved it
	// holds, in SSH wire format.
	PublicKey []byte
}

// Authenticator maps a credential to an identity: the one identity hook of
// every protocol package. An error refuses the client; its text is recorded
// and logged, so it must not echo the credential.
type Authenticator interface {
	Authenticate(ctx context.Context, c Credential) (Identity, error)
}

// AuthenticatorFunc adapts a function to an Authenticator.
type AuthenticatorFunc func(ctx context.Context, c Credential) (Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, c Credential) (Identity, error) {
	return f(ctx, c)
}

// ErrNoCredential is returned by authenticators given no credential of the
// kind they read.
var ErrNoCredential = errors.New("airlock: no credential")

// StaticIdentity authenticates every client as id (a gateway whose clients
// are authenticated by other means, such as a local stdio MCP server).
func StaticIdentity(id Identity) Authenticator {
	return AuthenticatorFunc(func(context.Context, Credential) (Identity, error) { return id, nil })
}

// BearerToken returns the token of an Authorization header value
// ("Bearer <token>", scheme case-insensitive, surrounding space trimmed),
// or false when values is not exactly one such header. It is the one
// parser every package uses.
func BearerToken(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
