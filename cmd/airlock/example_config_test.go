package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The documented example configuration must stay valid once the files it
// names exist; where they do not, --check says so and what to do.
func TestExampleConfigIsValid(t *testing.T) {
	for k, v := range map[string]string{"ALICE_REVIEW_TOKEN": "alice-review-token-0123", "AGENT_TOKEN": "agent-token-0123456789",
		"APP_DB_PASSWORD": "x", "BILLING_API_TOKEN": "y"} {
		t.Setenv(k, v)
	}
	example, err := os.ReadFile("../../examples/airlock.yaml")
	require.NoError(t, err)

	// As shipped, on a machine without its key files: not valid, and the
	// message says how to make them.
	t.Chdir("../..")
	var out, errb bytes.Buffer
	code := cmdServe([]string{"--config", "examples/airlock.yaml", "--check"}, &out, &errb)
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), "record.signing_key_file")
	assert.Contains(t, errb.String(), "airlock keygen --out DIR")

	// With the keys made by keygen and the record directory in place.
	etc, logs := t.TempDir(), t.TempDir()
	keygen(t, etc)
	cfg := strings.NewReplacer("/etc/airlock", etc, "/var/log/airlock", logs).Replace(string(example))
	path := filepath.Join(t.TempDir(), "airlock.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	out.Reset()
	errb.Reset()
	code = cmdServe([]string{path, "--check"}, &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "configuration valid")
}
