package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoShowsAllOutcomesAndVerifies(t *testing.T) {
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "demo.jsonl")
	require.NoError(t, runDemo(context.Background(), &out, path))
	text := out.String()
	for _, want := range []string{
		`ALLOWED -> the agent sees: ["Ada Lovelace"]`,
		`"email":"[EMAIL]","card":"[CREDIT_CARD]"`,
		`denied by rule "no-bulk-deletes"`,
		`refunded 49.90 EUR`,
		`denied by review: customers are deleted`,
		`denied by rule "default"`,
		"record.Verify: all 7 sessions",
		"deploy key: [AWS_ACCESS_KEY_ID]",
		"db_password=[PASSWORD_ASSIGNMENT]",
		`["read_note"]`,
		`["Ada Lovelace | [EMAIL] | [CREDIT_CARD]"]`,
		`denied by rule "no-ddl"`,
		"(SQLSTATE 42501)",
		`denied by rule "no-destructive-commands"`,
		// A run: the POST allowed before the PostgreSQL read is held
		// after it, the reason naming the label and the read.
		"ALLOWED -> the agent sees: delivered",
		`this run is labelled pii (by detector:email`,
		`reading "SELECT name, email FROM customers"`,
		`denied by rule \"no-egress-after-pii\"`,
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "4111 1111 1111 1111", "the card never reaches the agent")
	assert.NotContains(t, text, "ada@example.com")

	sessions, err := record.ReadFile(path)
	require.NoError(t, err)
	require.Len(t, sessions, 7, "tool calls, HTTP, MCP, SSH, PostgreSQL, and the run's HTTP and PostgreSQL sessions")
	for _, entries := range sessions {
		if entries[0].Event.Session.Protocol != "tool" {
			continue
		}
		kinds := map[string]int{}
		for _, e := range entries {
			kinds[e.Kind]++
		}
		assert.Equal(t, 8, kinds["decision"], "six calls, two of them decided again after review")
		assert.Equal(t, 1, kinds["approval_approved"])
		assert.Equal(t, 1, kinds["approval_denied"])
	}
	raw, err := readAll(path)
	require.NoError(t, err)
	assert.NotContains(t, raw, "4111 1111 1111 1111", "the record holds what the agent saw, masked")

	// The demo keeps its public key beside the record and prints the verify
	// command; that command works.
	pub := strings.TrimSuffix(path, ".jsonl") + ".pub"
	assert.Contains(t, text, "verify "+path+" --key "+pub)
	var vout, verr bytes.Buffer
	assert.Equal(t, 0, run([]string{"verify", path, "--key", pub}, nil, &vout, &verr), vout.String()+verr.String())
	assert.Contains(t, vout.String(), "verified 7 sessions")
}

func TestUsageAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 0, run([]string{"version"}, nil, &out, &errb))
	assert.True(t, strings.HasPrefix(out.String(), "airlock "))
	out.Reset()
	assert.Equal(t, 2, run([]string{"nope"}, nil, &out, &errb))
	assert.Contains(t, errb.String(), `unknown command "nope"`)
	out.Reset()
	assert.Equal(t, 0, run([]string{"help"}, nil, &out, &errb))
	assert.Contains(t, out.String(), "demo")
}

func readAll(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
