package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The documented example configuration must stay valid.
func TestExampleConfigIsValid(t *testing.T) {
	for k, v := range map[string]string{"ALICE_REVIEW_TOKEN": "alice-review-token-0123", "AGENT_TOKEN": "agent-token-0123456789",
		"APP_DB_PASSWORD": "x", "BILLING_API_TOKEN": "y"} {
		t.Setenv(k, v)
	}
	t.Chdir("../..")
	var out, errb bytes.Buffer
	code := cmdServe([]string{"--config", "examples/airlock.yaml", "--check"}, &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "configuration valid")
}
