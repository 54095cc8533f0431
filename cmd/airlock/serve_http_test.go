package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
			writeFile(t, rulesPath, rules)
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
			startGateway(t, bin, dir, cfg)
			out, err := curlAs("agent-token-0123456789", "-o", "/dev/null", "-w", "%{http_code}", "http://"+httpAddr+"/ADMIN/users")
			require.NoError(t, err, out)
			assert.Equal(t, c.want, out)
			assert.Equal(t, c.reached, admin.Load())
		})
	}
}
