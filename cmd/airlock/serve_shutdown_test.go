package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/record"
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
	priv, pub, err := record.GenerateKey()
	require.NoError(t, err)
	pem, err := record.MarshalPrivateKey(priv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "k.pem"), pem, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(serveRules), 0o600))
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
	require.NoError(t, os.WriteFile(filepath.Join(dir, "airlock.yaml"), []byte(cfg), 0o600))
	cmd := exec.Command(bin, "serve", "--config", filepath.Join(dir, "airlock.yaml"))
	var logs syncBuffer
	cmd.Stderr = &logs
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, logs.String())
	require.Contains(t, line, "serving")

	host, port, _ := net.SplitHostPort(pgAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const clients = 6
	done := make(chan error, clients)
	for i := 0; i < clients; i++ {
		go func() {
			c := exec.CommandContext(ctx, "psql", "-h", host, "-p", port, "-U", "agent-1", "-d", db, "-At",
				"-c", "SELECT 1", "-c", "SELECT pg_sleep(0.5)", "-c", "SELECT pg_sleep(5)")
			c.Env = append(os.Environ(), "PGPASSWORD=agent-token-0123456789", "PGSSLMODE=disable")
			_, err := c.CombinedOutput()
			done <- err
		}()
	}
	time.Sleep(1500 * time.Millisecond) // every client is inside its long query
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		require.NoError(t, err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop under load")
	}
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
