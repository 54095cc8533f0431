package approval

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
)

// ErrUnauthenticated means the HTTP request carries no valid reviewer credential.
var ErrUnauthenticated = errors.New("approval: not authenticated")

// Authenticator returns the reviewer behind an HTTP request, or an error
// (ErrUnauthenticated when it carries no valid credential). The Console and
// the webhook callback use one to learn who votes; plug in OIDC, mTLS or a
// proxy header check as needed.
type Authenticator func(r *http.Request) (gate.Identity, error)

// BearerTokens authenticates requests carrying "Authorization: Bearer
// <token>" where token is a key of tokens. The map is copied; only hashes of
// the tokens are kept. Give each reviewer their own token and an identity of
// kind human or service: agents never review.
func BearerTokens(tokens map[string]gate.Identity) Authenticator {
	table := gate.Tokens(tokens) // the gate's one token table
	return func(r *http.Request) (gate.Identity, error) {
		tok, ok := bearer(r)
		if !ok {
			return gate.Identity{}, ErrUnauthenticated
		}
		id, err := table.Authenticate(r.Context(), gate.Credential{Protocol: "review", ClientAddr: r.RemoteAddr, Token: tok})
		if err != nil {
			return gate.Identity{}, ErrUnauthenticated
		}
		return cloneIdentity(id), nil
	}
}

func tokenIdentity(byHash map[[32]byte]gate.Identity, tok string) (gate.Identity, error) {
	id, ok := byHash[sha256.Sum256([]byte(tok))]
	if !ok || tok == "" {
		return gate.Identity{}, ErrUnauthenticated
	}
	return cloneIdentity(id), nil
}

// bearer reads the request's bearer token with the gate's one parser.
func bearer(r *http.Request) (string, bool) {
	return gate.BearerToken(r.Header.Values("Authorization"))
}

// Tokens is a set of reviewer tokens that can change while the Console
// runs: revoking a token logs its browser sessions out on their next
// request. Only hashes of the tokens are kept. The zero value is empty and
// ready to use; use its Authenticate method as the Console's Authenticator.
type Tokens struct {
	mu     sync.RWMutex
	byHash map[[32]byte]gate.Identity
}

// Add makes token authenticate as id (replacing what it did before).
func (t *Tokens) Add(token string, id gate.Identity) {
	if token == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byHash == nil {
		t.byHash = make(map[[32]byte]gate.Identity)
	}
	t.byHash[sha256.Sum256([]byte(token))] = cloneIdentity(id)
}

// Revoke makes token authenticate no one.
func (t *Tokens) Revoke(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byHash, sha256.Sum256([]byte(token)))
}

// Authenticate is an Authenticator over the set's current tokens.
func (t *Tokens) Authenticate(r *http.Request) (gate.Identity, error) {
	tok, ok := bearer(r)
	if !ok {
		return gate.Identity{}, ErrUnauthenticated
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return tokenIdentity(t.byHash, tok)
}
