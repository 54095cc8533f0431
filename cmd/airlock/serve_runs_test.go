package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/pgtest"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runRules say "after reading PII, no egress" in one rule, across
// PostgreSQL, HTTP and MCP.
const runRules = `default: deny
labels:
  pii: {detectors: [email]}
rules:
  - name: reads
    when: request.protocol == "postgres" && sql.statements.all(s, s.kind == "SELECT" && s.read_only && !s.opaque)
    action: allow
    mask: [email]
  - name: api
    when: request.protocol == "http"
    action: allow
  - name: tools
    when: request.protocol == "mcp"
    action: allow
  - name: no-egress-after-pii
    when: >-
      "pii" in run.labels && (
        (request.protocol == "http" && http.method != "GET") ||
        (request.protocol == "mcp" && tool.name == "send_email"))
    action: deny
    reason: this run has read personal data
  - name: three-posts-a-minute
    when: request.protocol == "http" && run.requests_last_minute >= 3
    action: deny
    reason: budget spent
`

// mailServer is an MCP server with an egress tool.
func mailServer() *sdk.Server { return textToolServer("mail", textTool{"send_email", "sent"}) }

// startRunsGateway starts a gateway under runRules, recording to a file,
// agent-1 among its tokens; more is the rest of its configuration, from
// further tokens on.
func startRunsGateway(t *testing.T, bin, more string) {
	t.Helper()
	dir := t.TempDir()
	rulesPath := filepath.Join(dir, "rules.yaml")
	writeFile(t, rulesPath, runRules)
	startGateway(t, bin, dir, fmt.Sprintf(`
rules: {file: %s}
record:
  file: {path: %s}
identities:
  tokens:
    agent-1-token-0123456789: {subject: agent-1, kind: agent}`, rulesPath, filepath.Join(dir, "record.jsonl"))+more)
}

// okUpstream is an HTTP upstream that answers {"ok":true} to everything.
func okUpstream(t *testing.T) *httptest.Server {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(upstream.Close)
	return upstream
}

// curlPost POSTs {} as JSON to /v1/messages at addr and returns the body
// and the status code after it. (Without the type, curl -d sends it as a
// form, which the gateway refuses: it is not one.)
func curlPost(t *testing.T, addr, token string, header ...string) string {
	t.Helper()
	args := []string{"-w", " %{http_code}", "-X", "POST", "-H", "Content-Type: application/json", "-d", "{}"}
	for _, h := range header {
		args = append(args, "-H", h)
	}
	out, err := curlAs(token, append(args, "http://"+addr+"/v1/messages")...)
	require.NoError(t, err, out)
	return out
}

func mcpSend(t *testing.T, addr, token string) error {
	t.Helper()
	client := sdk.NewClient(&sdk.Implementation{Name: "agent", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: "http://" + addr,
		HTTPClient: &http.Client{Transport: bearer(token)}}, nil)
	require.NoError(t, err)
	defer cs.Close()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "send_email", Arguments: map[string]any{}})
	if err != nil {
		return err
	}
	if res.IsError {
		// A refused tool call is a tool error the model reads.
		var text strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*sdk.TextContent); ok {
				text.WriteString(tc.Text)
			}
		}
		return errors.New(text.String())
	}
	return nil
}

// The label a PostgreSQL read sets stops an HTTP POST (curl) and an MCP
// egress tool (the MCP SDK client) in the same run, and not in another.
func TestServeRunLabelStopsEgressAcrossProtocols(t *testing.T) {
	requireTool(t, "psql")
	requireTool(t, "curl")
	bin := buildAirlock(t)
	db := testDatabase(t)
	upstream := okUpstream(t)
	mcpUpstream := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return mailServer() }, nil))
	defer mcpUpstream.Close()
	pgAddr, httpAddr, mcpAddr := freePort(t), freePort(t), freePort(t)
	startRunsGateway(t, bin, fmt.Sprintf(`
    agent-2-token-0123456789: {subject: agent-2, kind: agent}
runs: {idle: 1h}
postgres:
  listen: %s
  upstream: postgres://postgres@127.0.0.1:5432/%s?sslmode=disable
  allow_insecure_password: true
http: {listen: %s, upstream: %s}
mcp: {listen: %s, upstream: %s}
`, pgAddr, db, httpAddr, upstream.URL, mcpAddr, mcpUpstream.URL))

	const agent1, agent2 = "agent-1-token-0123456789", "agent-2-token-0123456789"
	require.Contains(t, curlPost(t, httpAddr, agent1), " 200", "egress before any read")

	got, err := psqlAs(context.Background(), pgAddr, "agent-1", agent1, db, "SELECT id, email FROM customers")
	require.NoError(t, err, got)
	require.NotContains(t, got, "ada@example.com", "the read is masked")

	refused := curlPost(t, httpAddr, agent1)
	assert.Contains(t, refused, " 403", "egress after the read, same run")
	assert.Contains(t, refused, "no-egress-after-pii")
	assert.Contains(t, refused, "pii", "the reason names the label")
	assert.Contains(t, refused, "SELECT id, email FROM customers", "and the read that set it")
	err = mcpSend(t, mcpAddr, agent1)
	require.Error(t, err, "the MCP egress tool is refused in the same run")
	assert.Contains(t, err.Error(), "denied")

	// agent-2's run read nothing.
	assert.Contains(t, curlPost(t, httpAddr, agent2), " 200")
	require.NoError(t, mcpSend(t, mcpAddr, agent2))
}

// Two replicas sharing PostgreSQL count one budget: the fourth request of a
// run is refused whichever replica it reaches.
func TestServeRunBudgetAcrossReplicas(t *testing.T) {
	requireTool(t, "curl")
	bin := buildAirlock(t)
	upstream := okUpstream(t)
	shared := pgtest.Database(t, "airlock_runs")
	var addrs []string
	for range 2 {
		addr := freePort(t)
		startRunsGateway(t, bin, fmt.Sprintf(`
runs: {postgres: "%s"}
http: {listen: %s, upstream: %s}
`, shared, addr, upstream.URL))
		addrs = append(addrs, addr)
	}
	for i := range 3 {
		got := curlPost(t, addrs[i%2], "agent-1-token-0123456789")
		require.True(t, strings.HasSuffix(got, " 200"), "request %d: %s", i+1, got)
	}
	got := curlPost(t, addrs[1], "agent-1-token-0123456789")
	assert.Contains(t, got, " 403", "the fourth request of the run, on the other replica")
	assert.Contains(t, got, "three-posts-a-minute")
}
