package httpgate

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// IdentifyFunc tells who sent r. An error refuses the request with 401; its
// text is not shown to the client.
type IdentifyFunc func(r *http.Request) (gate.Identity, error)

// ErrNoCredentials is returned by BearerTokens when the request carries no
// bearer token, and ErrUnknownToken when the token is not known.
var (
	ErrNoCredentials = errors.New("httpgate: no bearer token")
	ErrUnknownToken  = errors.New("httpgate: unknown bearer token")
)

// BearerTokens identifies clients by the bearer token in their Authorization
// header. Tokens are kept as SHA-256 digests, so the lookup does not compare
// secrets byte by byte. The map is copied; later changes to it are not seen.
func BearerTokens(tokens map[string]gate.Identity) IdentifyFunc {
	byDigest := make(map[[32]byte]gate.Identity, len(tokens))
	for tok, id := range tokens {
		if tok == "" {
			continue
		}
		byDigest[sha256.Sum256([]byte(tok))] = id
	}
	return func(r *http.Request) (gate.Identity, error) {
		tok, ok := bearerToken(r)
		if !ok {
			return gate.Identity{}, ErrNoCredentials
		}
		id, ok := byDigest[sha256.Sum256([]byte(tok))]
		if !ok {
			return gate.Identity{}, ErrUnknownToken
		}
		return id, nil
	}
}

// bearerToken returns the token of the only Authorization header, if it
// uses the Bearer scheme.
func bearerToken(r *http.Request) (string, bool) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
