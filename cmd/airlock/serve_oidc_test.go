package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testIssuer is a local OpenID Connect issuer (plain http on loopback, which
// the verifier accepts for development) with one ES256 key.
type testIssuer struct {
	*httptest.Server
	key *ecdsa.PrivateKey
}

func startTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	is := &testIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	is.Server = httptest.NewServer(mux)
	t.Cleanup(is.Close)
	return is
}

func (is *testIssuer) token(t *testing.T, sub string, groups []string, ttl time.Duration) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: is.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	require.NoError(t, err)
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": is.URL, "aud": "airlock", "sub": sub, "groups": groups,
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(ttl).Unix()})
	jws, err := signer.Sign(claims)
	require.NoError(t, err)
	tok, err := jws.CompactSerialize()
	require.NoError(t, err)
	return tok
}

// TestServeWithOIDC: PostgreSQL and HTTP clients authenticate with tokens
// from an OIDC issuer; groups decide the identity's kind and what is masked.
func TestServeWithOIDC(t *testing.T) {
	requireTool(t, "psql")
	bin := buildAirlock(t)
	db := testDatabase(t)
	dir := t.TempDir()
	is := startTestIssuer(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"email":"ada@example.com"}`)
	}))
	defer api.Close()
	writeFile(t, filepath.Join(dir, "rules.yaml"), serveRules)
	pgAddr, httpAddr := freePort(t), freePort(t)
	cfg := fmt.Sprintf(`
rules: {file: %[1]s/rules.yaml}
record: {file: {path: %[1]s/record.jsonl}}
identities:
  oidc: {issuer: %[2]s, audience: airlock, agent_groups: [agents], human_groups: [engineers]}
postgres: {listen: %[3]s, upstream: "postgres://postgres@127.0.0.1:5432/%[4]s?sslmode=disable", allow_insecure_password: true}
http: {listen: %[5]s, upstream: %[6]s}
`, dir, is.URL, pgAddr, db, httpAddr, api.URL)
	gw := startGateway(t, bin, dir, cfg)
	psql := func(user, token, sql string) (string, error) {
		return psqlAs(context.Background(), pgAddr, user, token, db, sql)
	}
	agentTok := is.token(t, "agent-9", []string{"agents"}, time.Hour)
	out, err := psql("agent-9", agentTok, "SELECT email FROM customers")
	require.NoError(t, err, out+gw.logs.String())
	assert.NotContains(t, out, "ada@example.com", "an agent (by its OIDC groups) sees masked values")

	out, err = psql("agent-9", is.token(t, "agent-9", []string{"agents"}, -time.Minute), "SELECT 1")
	require.Error(t, err, "an expired token is refused")
	assert.NotContains(t, out, "1\n")
	out, err = psql("someone-else", agentTok, "SELECT 1")
	require.Error(t, err, "the user name must match the token's subject: %s", out)

	req, _ := http.NewRequest("GET", "http://"+httpAddr+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+is.token(t, "alice", []string{"engineers"}, time.Hour))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var body map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	assert.Equal(t, "ada@example.com", body["email"], "a human (by OIDC groups) is not masked by the agent rule")
	req.Header.Set("Authorization", "Bearer not-a-token")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
