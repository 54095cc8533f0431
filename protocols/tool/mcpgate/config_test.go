package mcpgate

import (
	"context"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
)

func TestNewValidatesConfig(t *testing.T) {
	g := gate.New(gate.Config{})
	auth := gate.StaticIdentity(agent)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Upstream: inMemoryUpstream, Authenticator: auth}, "Gate is required"},
		{Config{Gate: g, Authenticator: auth}, "Upstream is required"},
		{Config{Gate: g, Upstream: inMemoryUpstream}, "Authenticator is required"},
		{Config{Gate: g, Upstream: inMemoryUpstream, Authenticator: auth, IdleTimeout: -time.Second}, "must not be negative"},
	} {
		_, err := New(c.cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
		assert.Contains(t, err.Error(), "mcpgate: config: ")
	}
	gw, err := New(Config{Gate: g, Upstream: inMemoryUpstream, Authenticator: auth})
	require.NoError(t, err)
	assert.Equal(t, DefaultProgressInterval, gw.cfg.ProgressInterval)
}

// A client on a stream transport that the Authenticator refuses never gets
// a session; the refusal is recorded.
func TestStdioClientRefusedByAuthenticator(t *testing.T) {
	f := newFixture(t, gate.Hold, inMemoryUpstream)
	f.gw.cfg.Authenticator = gate.Tokens(map[string]gate.Identity{"agent-token": agent}) // no token on stdio
	ct, st := sdk.NewInMemoryTransports()
	go func() { _ = f.gw.Serve(context.Background(), st) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not be authenticated")
	assert.Empty(t, openedSessions(f))
	var refused bool
	for _, e := range f.eventsOf(gate.EventRefused) {
		refused = true
		assert.Contains(t, e.Error, "unauthenticated")
		assert.Equal(t, gate.ProtocolMCP, e.Session.Protocol)
	}
	assert.True(t, refused, "the refusal is in the record")
}

// Close ends every session, recorded as a shutdown, and refuses new ones.
func TestCloseEndsSessions(t *testing.T) {
	f := newFixture(t, gate.Hold, inMemoryUpstream)
	cs, served := f.connectStdio(t, nil)
	_, err := cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	require.NoError(t, f.gw.Close())
	end := waitSessionEnd(t, f)
	assert.Equal(t, "shutdown", end.Session.Reason)
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	ct, st := sdk.NewInMemoryTransports()
	go func() { _ = f.gw.Serve(context.Background(), st) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "shutting down")
}
