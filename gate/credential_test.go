package gate_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/require"
)

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
		want    string
	}{
		{"bearer", []string{"Bearer abc"}, "abc"},
		{"scheme in lower case", []string{"bearer abc"}, "abc"},
		{"extra spaces", []string{"Bearer   abc "}, "abc"},
		{"no header", nil, ""},
		{"two headers", []string{"Bearer abc", "Bearer abc"}, ""},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, ""},
		{"scheme only", []string{"Bearer"}, ""},
		{"empty token", []string{"Bearer  "}, ""},
		{"other scheme with bearer inside", []string{"Token Bearer abc"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := gate.BearerToken(tc.headers)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.want != "", ok)
		})
	}
}

func TestStaticIdentity(t *testing.T) {
	id := gate.Identity{Subject: "local"}
	got, err := gate.StaticIdentity(id).Authenticate(context.Background(), gate.Credential{})
	require.NoError(t, err)
	require.Equal(t, id.Subject, got.Subject)
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	a := gate.Tokens(map[string]gate.Identity{"tok-1": {Subject: "agent-1"}})
	id, err := a.Authenticate(ctx, gate.Credential{Token: "tok-1"})
	require.NoError(t, err)
	require.Equal(t, "agent-1", id.Subject)
	_, err = a.Authenticate(ctx, gate.Credential{Token: "tok-2"})
	require.ErrorIs(t, err, gate.ErrUnknownCredential)
	_, err = a.Authenticate(ctx, gate.Credential{})
	require.ErrorIs(t, err, gate.ErrNoCredential)
	// As a password, the token only works for its own subject.
	_, err = a.Authenticate(ctx, gate.Credential{User: "agent-1", Password: "tok-1"})
	require.NoError(t, err)
	_, err = a.Authenticate(ctx, gate.Credential{User: "postgres", Password: "tok-1"})
	require.ErrorIs(t, err, gate.ErrUnknownCredential)

	both := gate.FirstOf(nil, a, gate.StaticIdentity(gate.Identity{Subject: "fallback"}))
	id, err = both.Authenticate(ctx, gate.Credential{Token: "nope"})
	require.NoError(t, err)
	require.Equal(t, "fallback", id.Subject)
	_, err = gate.FirstOf(a).Authenticate(ctx, gate.Credential{Token: "nope"})
	require.ErrorIs(t, err, gate.ErrUnknownCredential)
}
