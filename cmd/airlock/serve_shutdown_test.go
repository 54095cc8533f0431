package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeShutdownUnderLoad stops the gateway while clients are mid-query:
// every session in the record must end with a session_end event and a final
// checkpoint.
func TestServeShutdownUnderLoad(t *testing.T) {
	requireTool(t, "psql")
	bin := buildAirlock(t)
	db := testDatabase(t)
	dir := t.TempDir()
	pub := writeSigningKey(t, filepath.Join(dir, "k.pem"))
	writeFile(t, filepath.Join(dir, "rules.yaml"), serveRules)
	pgAddr := freePort(t)
	cfg := fmt.Sprintf(`
rules: {file: %[1]s/rules.yaml}
record: {file: {path: %[1]s/record.jsonl, group_commit: 2ms}, signing_key_file: %[1]s/k.pem}
identities:
  tokens:
    agent-token-0123456789: {subject: agent-1, kind: agent}
postgres: {listen: %[2]s, upstream: "postgres://postgres@127.0.0.1:5432/%[3]s?sslmode=disable", allow_insecure_password: true}
shutdown_timeout: 5s
`, dir, pgAddr, db)
	gw := startGateway(t, bin, dir, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const clients = 6
	done := make(chan error, clients)
	for i := 0; i < clients; i++ {
		go func() {
			_, err := psqlAs(ctx, pgAddr, "agent-1", "agent-token-0123456789", db, "SELECT 1", "SELECT pg_sleep(0.5)", "SELECT pg_sleep(5)")
			done <- err
		}()
	}
	waitForLongQueries(t, ctx, db, clients)
	gw.stop(t, 30*time.Second)
	for i := 0; i < clients; i++ {
		<-done // each client ends (its connection is closed by the shutdown)
	}
	sessions, err := record.ReadFile(filepath.Join(dir, "record.jsonl"))
	require.NoError(t, err)
	assert.Len(t, sessions, clients)
	for id, entries := range sessions {
		kinds := map[string]bool{}
		for _, e := range entries {
			kinds[e.Kind] = true
		}
		assert.True(t, kinds["session_end"], "session %s ends in the record", id)
		assert.NoError(t, record.Verify(entries, pub), "session %s verifies, final checkpoint included", id)
	}
}

// waitForLongQueries waits until n sessions of db are running pg_sleep(5),
// as PostgreSQL sees them: every client is then inside its long query,
// however slowly the machine started the clients.
func waitForLongQueries(t *testing.T, ctx context.Context, db string, n int) {
	t.Helper()
	c, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/"+db+"?sslmode=disable")
	require.NoError(t, err)
	defer c.Close(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var running int
		require.NoError(t, c.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = $1 AND state = 'active' AND query = 'SELECT pg_sleep(5)'`, db).Scan(&running))
		if running == n {
			return
		}
		require.True(t, time.Now().Before(deadline), "only %d of %d clients reached their long query", running, n)
		time.Sleep(20 * time.Millisecond)
	}
}
