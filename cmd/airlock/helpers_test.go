package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/airlock-sdk/airlock/internal/syncbuf"
	"github.com/airlock-sdk/airlock/record"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// The helpers the tests of this package share: the built binary, free
// ports, required tools, the test database, written files and keys, an
// `airlock serve` process, and the psql and curl clients.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// buildAirlock builds the command once per test binary; TestMain removes it.
func buildAirlock(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "airlock-bin-"); buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "airlock")
		var out []byte
		if out, buildErr = exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); buildErr != nil {
			buildErr = fmt.Errorf("%w: %s", buildErr, out)
		}
	})
	require.NoError(t, buildErr)
	return builtBin
}

// removeBuiltBinary is called by TestMain (mcp_test.go) after the tests.
func removeBuiltBinary() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("%s not installed", name)
		}
		t.Fatalf("%s not installed", name)
	}
}

// testDatabase creates a randomly named database with a customers table
// and returns its name.
func testDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	url := pgtest.Database(t, "airlock_serve")
	c, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer c.Close(ctx)
	_, err = c.Exec(ctx, `CREATE TABLE customers (id int, email text, card text);
INSERT INTO customers VALUES (1, 'ada@example.com', '4111 1111 1111 1111')`)
	require.NoError(t, err)
	return c.Config().Database
}

// writeFile writes content to path, readable by its owner only.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
}

// writeSigningKey writes a new record signing key (PEM) to path and
// returns its public half.
func writeSigningKey(t *testing.T, path string) ed25519.PublicKey {
	t.Helper()
	priv, pub, err := record.GenerateKey()
	require.NoError(t, err)
	privPEM, err := record.MarshalPrivateKey(priv)
	require.NoError(t, err)
	writeFile(t, path, string(privPEM))
	return pub
}

// keygen writes record keys into dir with `airlock keygen`.
func keygen(t *testing.T, dir string) {
	t.Helper()
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"keygen", "--out", dir}, nil, &out, &errb), errb.String())
}

// syncBuffer is a bytes.Buffer safe for a process's writes and the test's reads.
type syncBuffer = syncbuf.Buffer

// gateway is an `airlock serve` process a test started.
type gateway struct {
	cmd  *exec.Cmd
	logs *syncBuffer   // its standard error
	done chan struct{} // closed when it has exited
	err  error         // what it exited with, once done is closed
}

// startGateway writes cfg to dir/airlock.yaml and starts the gateway on it.
func startGateway(t *testing.T, bin, dir, cfg string, env ...string) *gateway {
	t.Helper()
	return startGatewayAt(t, bin, filepath.Join(dir, "airlock.yaml"), cfg, env...)
}

// startGatewayAt writes cfg to cfgPath and runs `airlock serve` on it, env
// added to the test's environment; it returns once the gateway says it
// serves. At cleanup the gateway gets SIGTERM, and is killed after ten
// seconds.
func startGatewayAt(t *testing.T, bin, cfgPath, cfg string, env ...string) *gateway {
	t.Helper()
	writeFile(t, cfgPath, cfg)
	g := &gateway{cmd: exec.Command(bin, "serve", "--config", cfgPath), logs: &syncBuffer{}, done: make(chan struct{})}
	if len(env) > 0 {
		g.cmd.Env = append(os.Environ(), env...)
	}
	g.cmd.Stderr = g.logs
	stdout, err := g.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, g.cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	go func() {
		g.err = g.cmd.Wait()
		close(g.done)
	}()
	t.Cleanup(func() {
		if _, ok := g.wait(syscall.SIGTERM, 10*time.Second); !ok {
			_ = g.cmd.Process.Kill()
			<-g.done
		}
	})
	require.NoError(t, err, g.logs.String())
	require.Contains(t, line, "serving")
	return g
}

// wait sends sig and waits up to timeout for the gateway to exit: it
// returns what it exited with, and false when it did not.
func (g *gateway) wait(sig os.Signal, timeout time.Duration) (error, bool) {
	_ = g.cmd.Process.Signal(sig)
	select {
	case <-g.done:
		return g.err, true
	case <-time.After(timeout):
		return nil, false
	}
}

// stop sends SIGTERM and requires the gateway to exit cleanly (status 0)
// within timeout.
func (g *gateway) stop(t *testing.T, timeout time.Duration) {
	t.Helper()
	err, exited := g.wait(syscall.SIGTERM, timeout)
	if !exited {
		t.Fatalf("serve did not stop within %v of SIGTERM: %s", timeout, g.logs)
	}
	require.NoError(t, err, "a clean shutdown exits 0: %s", g.logs)
}

// psqlAs runs psql against the PostgreSQL listener at addr as user, with
// token as the password, one -c a statement, and returns what it printed.
func psqlAs(ctx context.Context, addr, user, token, db string, statements ...string) (string, error) {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-h", host, "-p", port, "-U", user, "-d", db, "-At"}
	for _, s := range statements {
		args = append(args, "-c", s)
	}
	c := exec.CommandContext(ctx, "psql", args...)
	c.Env = append(os.Environ(), "PGPASSWORD="+token, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
	b, err := c.CombinedOutput()
	return string(b), err
}

// curlAs runs curl -s with token as the bearer token and returns what it
// printed.
func curlAs(token string, args ...string) (string, error) {
	b, err := exec.Command("curl", append([]string{"-s", "-H", "Authorization: Bearer " + token}, args...)...).CombinedOutput()
	return string(b), err
}
