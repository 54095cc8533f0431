package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A rule written as !http.path.startsWith("/admin") must hold for /ADMIN at
// an upstream that routes paths case-insensitively: `airlock serve` folds
// paths by default, and lower_case_paths: false turns it off.
func TestServeHTTPFoldsPathCase(t *testing.T) {
	requireTool(t, "curl")
	bin := buildAirlock(t)
	var admin atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(strings.ToLower(r.URL.Path), "/admin") {
			admin.Add(1)
		}
		io.WriteString(w, "reached "+r.URL.Path)
	}))
	defer upstream.Close()
	rules := `
default: deny
rules:
  - name: anything-but-admin
    when: request.protocol == "http" && !http.path.startsWith("/admin")
    action: allow
`
	for _, c := range []struct {
		setting string
		want    string
		reached int64
	}{
		{"", "403", 0},
		{"lower_case_paths: true", "403", 0},
		{"lower_case_paths: false", "200", 1},
	} {
		t.Run(c.setting, func(t *testing.T) {
			admin.Store(0)
			dir := t.TempDir()
			rulesPath := filepath.Join(dir, "rules.yaml")
			require.NoError(t, os.WriteFile(rulesPath, []byte(rules), 0o600))
			httpAddr := freePort(t)
			cfg := fmt.Sprintf(`
rules: {file: %s}
record:
  file: {path: %s}
identities:
  tokens:
    agent-token-0123456789: {subject: agent-1, kind: agent}
http:
  listen: %s
  upstream: %s
  %s
`, rulesPath, filepath.Join(dir, "record.jsonl"), httpAddr, upstream.URL, c.setting)
			cfgPath := filepath.Join(dir, "airlock.yaml")
			require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
			cmd := exec.Command(bin, "serve", "--config", cfgPath)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = io.Discard
			require.NoError(t, cmd.Start())
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			line, err := bufio.NewReader(stdout).ReadString('\n')
			require.NoError(t, err)
			require.Contains(t, line, "serving")
			out, err := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer agent-token-0123456789",
				"http://"+httpAddr+"/ADMIN/users").CombinedOutput()
			require.NoError(t, err, string(out))
			assert.Equal(t, c.want, string(out))
			assert.Equal(t, c.reached, admin.Load())
		})
	}
}
