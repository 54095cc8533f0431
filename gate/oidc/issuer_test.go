package oidc_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// localIssuer is a small OpenID Connect issuer for tests and examples: a
// TLS server with a discovery document and a key set, and the private keys
// to sign tokens with. Its key set can change while it runs.
type localIssuer struct {
	*httptest.Server

	mu        sync.Mutex
	keys      map[string]crypto.Signer // published: kid -> private key
	discovery map[string]any           // overrides of the discovery document
	keysBody  []byte                   // when set, served instead of the key set
	hold      chan struct{}            // when set, key set requests wait for it to close
	keysHits  atomic.Int64             // requests for the key set
}

// startIssuer starts an issuer publishing the given keys, over TLS.
func startIssuer(keys map[string]crypto.Signer) *localIssuer {
	is := newIssuer(keys)
	is.StartTLS()
	return is
}

// startPlainIssuer starts an issuer over plain http on loopback.
func startPlainIssuer(t testing.TB, keys map[string]crypto.Signer) *localIssuer {
	is := newIssuer(keys)
	is.Start()
	t.Cleanup(is.Close)
	return is
}

// newIssuer builds an issuer that is not started yet.
func newIssuer(keys map[string]crypto.Signer) *localIssuer {
	is := &localIssuer{keys: map[string]crypto.Signer{}, discovery: map[string]any{}}
	for kid, k := range keys {
		is.keys[kid] = k
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{
			"issuer":                                is.URL,
			"jwks_uri":                              is.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		}
		is.mu.Lock()
		for k, v := range is.discovery {
			doc[k] = v
		}
		is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		is.keysHits.Add(1)
		is.mu.Lock()
		hold := is.hold
		is.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		is.mu.Lock()
		defer is.mu.Unlock()
		if is.keysBody != nil {
			_, _ = w.Write(is.keysBody)
			return
		}
		var set jose.JSONWebKeySet
		for kid, k := range is.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public(), KeyID: kid, Algorithm: string(algOf(k)), Use: "sig"})
		}
		_ = json.NewEncoder(w).Encode(set)
	})
	is.Server = httptest.NewUnstartedServer(mux)
	is.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes from clients that distrust the test certificate
	return is
}

// publish replaces the published key set.
func (is *localIssuer) publish(keys map[string]crypto.Signer) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = map[string]crypto.Signer{}
	for kid, k := range keys {
		is.keys[kid] = k
	}
}

// claims returns a valid claim set for audience aud, with overrides
// applied (a nil value deletes the claim).
func (is *localIssuer) claims(aud string, over map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": is.URL,
		"aud": aud,
		"sub": "user-1",
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// sign signs claims with key under kid (any key, published or not).
func sign(key crypto.Signer, kid string, claims any) string {
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	return signBytes(key, kid, payload)
}

// signBytes signs an arbitrary payload.
func signBytes(key crypto.Signer, kid string, payload []byte) string {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: algOf(key), Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return tok
}

// algOf is the JWS algorithm the tests use for a key.
func algOf(k crypto.Signer) jose.SignatureAlgorithm {
	switch k.(type) {
	case *rsa.PrivateKey:
		return jose.RS256
	case *ecdsa.PrivateKey:
		return jose.ES256
	}
	panic(fmt.Sprintf("no algorithm for %T", k))
}

// Keys are generated once per test binary: RSA generation is slow under
// the race detector.
var (
	rsaKeys = sync.OnceValue(func() []*rsa.PrivateKey {
		var ks []*rsa.PrivateKey
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			ks = append(ks, k)
		}
		return ks
	})
	ecKeys = sync.OnceValue(func() []*ecdsa.PrivateKey {
		var ks []*ecdsa.PrivateKey
		for range 2 {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				panic(err)
			}
			ks = append(ks, k)
		}
		return ks
	})
)
