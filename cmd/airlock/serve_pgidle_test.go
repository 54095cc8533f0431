package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postgres.idle_in_transaction_timeout reaches the gateway: a psql session
// that waits inside a transaction for longer is ended with SQLSTATE 25P03
// (its locks released), one that waits less goes on.
func TestServePostgresIdleInTransactionTimeout(t *testing.T) {
	requireTool(t, "psql")
	bin := buildAirlock(t)
	db := testDatabase(t)
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "rules.yaml")
	writeFile(t, rulesPath, serveRules)
	pgAddr := freePort(t)
	cfg := fmt.Sprintf(`
rules: {file: %s}
record:
  file: {path: %s}
identities:
  tokens:
    agent-token-0123456789: {subject: agent-1, kind: agent}
postgres:
  listen: %s
  upstream: postgres://postgres@127.0.0.1:5432/%s?sslmode=disable
  allow_insecure_password: true
  idle_in_transaction_timeout: 1500ms
`, rulesPath, filepath.Join(dir, "record.jsonl"), pgAddr, db)
	startGateway(t, bin, dir, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	psql := func(wait string) (string, error) {
		return psqlAs(ctx, pgAddr, "agent-1", "agent-token-0123456789", db, "BEGIN", `\! sleep `+wait, "SELECT 41 + 1", "COMMIT")
	}
	out, err := psql("0.2")
	require.NoError(t, err, out)
	assert.Contains(t, out, "42")
	out, err = psql("3")
	require.Error(t, err, "a session idle in a transaction past the timeout went on: %s", out)
	assert.Contains(t, out, "idle in a transaction")
	assert.NotContains(t, out, "42")
}
