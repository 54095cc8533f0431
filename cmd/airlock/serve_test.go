package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/record"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const serveRules = `default: deny
rules:
  - name: reads
    when: (request.protocol == "postgres" && sql.statements.all(s, s.read_only)) || (request.protocol == "http" && http.method == "GET")
    action: allow
  - name: mcp-lists
    when: request.protocol == "mcp" && tool.kind == "list"
    action: allow
  - name: mcp-read
    when: request.protocol == "mcp" && tool.name == "read_note"
    action: allow
  - name: mask
    when: identity.kind == "agent"
    mask: [credit_card, email]
`

// notesServer is an MCP server for the gateway to gate.
func notesServer() *sdk.Server {
	return textToolServer("notes", textTool{"read_note", "call bob@example.com"}, textTool{"delete_note", "deleted"})
}

func TestServeEndToEnd(t *testing.T) {
	requireTool(t, "psql")
	requireTool(t, "curl")
	bin := buildAirlock(t)
	db := testDatabase(t)
	dir := t.TempDir()

	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "upstream-secret" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"customer":"ada@example.com","card":"5500 0000 0000 0004"}`)
	}))
	defer upstream.Close()
	mcpUpstream := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return notesServer() }, nil))
	defer mcpUpstream.Close()

	pub := writeSigningKey(t, filepath.Join(dir, "signing.key"))
	rulesPath := filepath.Join(dir, "rules.yaml")
	writeFile(t, rulesPath, serveRules)
	pgAddr, httpAddr, metricsAddr, consoleAddr, mcpAddr := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)
	recordPath := filepath.Join(dir, "record.jsonl")
	cfg := fmt.Sprintf(`
rules: {file: %s, reload: 100ms}
record:
  file: {path: %s, group_commit: 2ms}
  signing_key_file: %s
identities:
  tokens:
    ${AGENT_TOKEN}: {subject: agent-1, kind: agent, groups: [agents]}
review:
  console:
    listen: %s
    reviewers: {"reviewer-token-0123456789": {subject: alice, kind: human}}
postgres:
  listen: %s
  upstream: postgres://postgres@127.0.0.1:5432/%s?sslmode=disable
  allow_insecure_password: true
http:
  listen: %s
  upstream: %s
  credential_header: X-Api-Key
  credential: upstream-secret
mcp: {listen: %s, upstream: %s}
metrics: {listen: %s}
shutdown_timeout: 10s
`, rulesPath, recordPath, filepath.Join(dir, "signing.key"), consoleAddr, pgAddr, db, httpAddr, upstream.URL, mcpAddr, mcpUpstream.URL, metricsAddr)
	cfgPath := filepath.Join(dir, "airlock.yaml")
	writeFile(t, cfgPath, cfg)
	const agentToken = "agent-token-0123456789"
	check := exec.Command(bin, "serve", "--config", cfgPath, "--check")
	check.Env = append(os.Environ(), "AGENT_TOKEN="+agentToken)
	out, err := check.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "configuration valid")

	gw := startGateway(t, bin, dir, cfg, "AGENT_TOKEN="+agentToken)
	psql := func(sql string) (string, error) {
		return psqlAs(context.Background(), pgAddr, "agent-1", agentToken, db, sql)
	}
	got, err := psql("SELECT id, email, card FROM customers")
	require.NoError(t, err, got)
	assert.Contains(t, got, "1|")
	assert.NotContains(t, got, "ada@example.com")
	assert.NotContains(t, got, "4111")
	got, err = psql("DROP TABLE customers")
	require.Error(t, err)
	assert.Contains(t, got, "denied")

	curl := func(method string) string {
		b, _ := curlAs(agentToken, "-X", method, "http://"+httpAddr+"/v1/customers/1")
		return b
	}
	body := curl("GET")
	assert.Contains(t, body, `"customer"`)
	assert.NotContains(t, body, "ada@example.com")
	assert.NotContains(t, body, "5500")
	assert.Contains(t, curl("DELETE"), "denied")

	// MCP: the hidden tool is not listed, the listed one is masked.
	client := sdk.NewClient(&sdk.Implementation{Name: "agent", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: "http://" + mcpAddr,
		HTTPClient: &http.Client{Transport: bearer(agentToken)}}, nil)
	require.NoError(t, err)
	tools, err := cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, tools.Tools, 1)
	assert.Equal(t, "read_note", tools.Tools[0].Name)
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "read_note", Arguments: map[string]any{}})
	require.NoError(t, err)
	require.Len(t, res.Content, 1)
	assert.Equal(t, "call [EMAIL]", res.Content[0].(*sdk.TextContent).Text)
	_, err = cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "delete_note", Arguments: map[string]any{}})
	require.Error(t, err, "a hidden tool is not advertised, so not callable")
	assert.Contains(t, err.Error(), "unknown tool")
	require.NoError(t, cs.Close())

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(metrics), "airlock_decisions")

	// Hot reload: reads are now denied too.
	writeFile(t, rulesPath, "default: deny\nrules: []\n")
	require.Eventually(t, func() bool {
		out, err := psql("SELECT 1")
		return err != nil && strings.Contains(out, "denied")
	}, 10*time.Second, 100*time.Millisecond)

	gw.stop(t, 20*time.Second)

	sessions, err := record.ReadFile(recordPath)
	require.NoError(t, err)
	require.NotEmpty(t, sessions)
	for id, entries := range sessions {
		require.NoError(t, record.Verify(entries, pub), "session %s verifies", id)
		kinds := map[string]bool{}
		for _, e := range entries {
			kinds[e.Kind] = true
		}
		assert.True(t, kinds["session_end"], "session %s is closed in the record", id)
	}
}

func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
		return p
	}
	var out, errb strings.Builder
	code := cmdServe([]string{"--config", write("rules: {file: r.yaml}\nlisten: x\n"), "--check"}, &out, &errb)
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), `line 2: unknown key "listen" at the top level`)

	errb.Reset()
	code = cmdServe([]string{"--config", write("rules: {file: r.yaml}\nreview: {mode: later}\n"), "--check"}, &out, &errb)
	assert.Equal(t, 1, code)
	for _, want := range []string{"review.mode", "record: a file or postgres sink is required", "no listener"} {
		assert.Contains(t, errb.String(), want)
	}

	errb.Reset()
	code = cmdServe([]string{"--config", write("rules: {file: r.yaml}\nidentities:\n  tokens:\n    ${NOPE_NOT_SET}: {subject: a}\n# ${IN_A_COMMENT} is not expanded\n"), "--check"}, &out, &errb)
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), "NOPE_NOT_SET (line 4)")
	assert.NotContains(t, errb.String(), "IN_A_COMMENT")
}
