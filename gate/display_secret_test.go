package gate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
)

// TestReviewSecretPlaceholderSurvivesMasking is the round trip display →
// mask: a request's secret written after every assignment shape the masker
// knows is shown as [SECRET], never as [[PASSWORD_ASSIGNMENT]] or with a
// bracket eaten.
func TestReviewSecretPlaceholderSurvivesMasking(t *testing.T) {
	const sec = "s3cr3t-Vr7xq"
	names := []string{"token", "password", "api_key", "Authorization", "client_secret", "DB_PASSWORD", `"secret"`}
	ops := []string{"=", ": ", ":=", "=>", " = ", ":"}
	wraps := [][2]string{{"", ""}, {`"`, `"`}, {"'", "'"}, {"(", ")"}, {"[", "]"}, {"{", "}"}, {"<", ">"}, {"Bearer ", ""}, {`\"`, `\"`}}
	bad, total := 0, 0
	for _, n := range names {
		for _, op := range ops {
			for _, w := range wraps {
				cmd := "curl -H '" + n + op + w[0] + sec + w[1] + "' https://api.example/v1"
				total++
				p, err := held(t, &gate.Request{Protocol: "http", Command: cmd, Secrets: []string{sec},
					HTTP: &gate.HTTP{Method: "GET", Path: "/v1"}})
				require.NoError(t, err)
				got := p.Request.Command
				want := "curl -H '" + n + op + w[0] + "[SECRET]" + w[1] + "' https://api.example/v1"
				if got != want || strings.Contains(stored(t, p), sec) {
					if bad++; bad <= 10 {
						t.Errorf("%q shown as %q, want %q", cmd, got, want)
					}
				}
			}
		}
	}
	t.Logf("%d of %d placeholders changed by the masker", bad, total)
	assert.Zero(t, bad)
}
