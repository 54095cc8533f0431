package mcpgate

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
)

// TestMCPOneTokenVerificationPerRequest counts the calls of the Authenticator
// against the HTTP requests the gateway served, over a whole Go SDK client
// session: exactly one verification each.
func TestMCPOneTokenVerificationPerRequest(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	var verifications, requests atomic.Int64
	inner := f.gw.cfg.Authenticator
	f.gw.cfg.Authenticator = gate.AuthenticatorFunc(func(ctx context.Context, c gate.Credential) (gate.Identity, error) {
		verifications.Add(1)
		return inner.Authenticate(ctx, c)
	})
	h := f.gw.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(context.Background(),
		&sdk.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: bearerClient("agent-token")}, nil)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = cs.ListTools(ctx, nil)
	require.NoError(t, err)
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 1}})
	require.NoError(t, err)
	assert.Contains(t, text(t, res), "Ada Lovelace")
	require.NoError(t, cs.Close())
	waitSessionEnd(t, f)
	assert.GreaterOrEqual(t, requests.Load(), int64(4), "initialize, initialized, list, call, delete")
	assert.Equal(t, requests.Load(), verifications.Load(), "one token verification per HTTP request")
}

// Another subject's valid token can neither use nor end someone else's
// session: its DELETE is refused and the session goes on.
func TestMCPForeignTokenCannotEndSession(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	srv := httptest.NewServer(f.gw.Handler())
	defer srv.Close()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(context.Background(),
		&sdk.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: bearerClient("agent-token")}, nil)
	require.NoError(t, err)
	defer cs.Close()
	for _, method := range []string{http.MethodDelete, http.MethodGet} {
		req, err := http.NewRequest(method, srv.URL, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer other-token")
		req.Header.Set("Mcp-Session-Id", cs.ID())
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, method)
	}
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 2}})
	require.NoError(t, err, "the session survived")
	assert.Contains(t, text(t, res), "Alan Turing")
	assert.Empty(t, f.eventsOf(gate.EventSessionEnd))
}

// A request whose token the handler did not verify (the SDK handler reached
// some other way) is refused, never served as an anonymous identity.
func TestMCPRequestIdentityFailsClosed(t *testing.T) {
	_, ok := requestIdentity(nil)
	assert.False(t, ok)
	_, ok = requestIdentity(&sdk.RequestExtra{Header: http.Header{"Authorization": {"Bearer agent-token"}}})
	assert.False(t, ok, "a header alone is not a verified identity")
	f := newFixture(t, gate.Hold, upstreamCommand())
	f.gw.cfg.Authenticator = gate.AuthenticatorFunc(func(context.Context, gate.Credential) (gate.Identity, error) {
		return gate.Identity{}, errors.New("no")
	})
	srv := httptest.NewServer(f.gw.Handler())
	defer srv.Close()
	body := rawPost(t, srv.URL, "agent-token", "", initBody)
	assert.Contains(t, body, "401")
	assert.Empty(t, openedSessions(f))
}

// A request with a token the gateway does not accept is refused with 401
// and recorded as a refusal, without the token.
func TestMCPUnauthenticatedRequestIsRecorded(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	srv := httptest.NewServer(f.gw.Handler())
	defer srv.Close()
	_, err := sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(context.Background(),
		&sdk.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: bearerClient("Stolen-Token-31")}, nil)
	require.Error(t, err)
	var found bool
	for _, e := range f.eventsOf(gate.EventRefused) {
		found = true
		assert.Equal(t, gate.ProtocolMCP, e.Session.Protocol)
		assert.Contains(t, e.Error, "not accepted")
		assert.NotContains(t, e.Error, "Stolen-Token-31")
	}
	assert.True(t, found, "the refusal is in the record")
}
