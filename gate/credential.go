package gate

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
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

// Tokens returns an Authenticator over a table of static tokens: the one
// token table of every protocol and of the review console. A bearer token
// (Credential.Token) is looked up as it is; a password (PostgreSQL) is
// looked up too, and then the user the client claimed must be the
// identity's subject, so a token cannot be replayed under another name.
// Tokens are kept hashed and compared in constant time per entry.
func Tokens(table map[string]Identity) Authenticator {
	t := make(tokenTable, 0, len(table))
	for tok, id := range table {
		t = append(t, tokenEntry{sum: sha256.Sum256([]byte(tok)), id: id})
	}
	return t
}

type tokenEntry struct {
	sum [32]byte
	id  Identity
}

type tokenTable []tokenEntry

// ErrUnknownCredential is returned by Tokens for a credential it does not hold.
var ErrUnknownCredential = errors.New("airlock: unknown credential")

func (t tokenTable) Authenticate(_ context.Context, c Credential) (Identity, error) {
	secret, password := c.Token, false
	if secret == "" {
		secret, password = c.Password, true
	}
	if secret == "" {
		return Identity{}, ErrNoCredential
	}
	sum := sha256.Sum256([]byte(secret))
	var found *Identity
	for i := range t {
		if subtle.ConstantTimeCompare(t[i].sum[:], sum[:]) == 1 {
			found = &t[i].id
		}
	}
	if found == nil || (password && found.Subject != c.User) {
		return Identity{}, ErrUnknownCredential
	}
	return *found, nil
}

// FirstOf tries each authenticator in turn and returns the first identity
// one grants; the error, when all refuse, is the last one's.
func FirstOf(as ...Authenticator) Authenticator {
	return AuthenticatorFunc(func(ctx context.Context, c Credential) (Identity, error) {
		err := ErrNoCredential
		for _, a := range as {
			if a == nil {
				continue
			}
			var id Identity
			if id, err = a.Authenticate(ctx, c); err == nil {
				return id, nil
			}
		}
		return Identity{}, err
	})
}
