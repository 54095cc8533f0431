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
