package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The documented example configuration must stay valid.
func TestExampleConfigIsValid(t *testing.T) {
	for k, v := range map[string]string{"ALICE_REVIEW_TOKEN": "alice-review-token-0123", "AGENT_TOKEN": "agent-token-0123456789",
		"APP_DB_PASSWORD": "x", "BILLING_API_TOKEN": "y"} {
		t.Setenv(k, v)
	}
	require.NoError(t, os.Chdir("../.."))
	t.Cleanup(func() { _ = os.Chdir("cmd/airlock") })
	var out, errb bytes.Buffer
	code := cmdServe([]string{"--config", "examples/airlock.yaml", "--check"}, &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "configuration valid")
}
