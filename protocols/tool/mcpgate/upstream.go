package mcpgate

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Command returns an Upstream that spawns name with args for each client
// session and talks MCP over its stdin and stdout. The process is stopped
// when the session ends (stdin closed, then SIGTERM after five seconds). Its
// stderr goes to stderr (nil discards it); env, when non-nil, replaces the
// environment, so that credentials meant for the server stay out of the
// agent's reach.
func Command(stderr io.Writer, env []string, name string, args ...string) func(context.Context) (sdk.Transport, error) {
	return func(context.Context) (sdk.Transport, error) {
		if name == "" {
			return nil, errors.New("mcp: upstream command: empty command")
		}
		cmd := exec.Command(name, args...)
		cmd.Stderr = stderr
		if env != nil {
			cmd.Env = env
		}
		return &sdk.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil
	}
}

// URL returns an Upstream that connects to a streamable HTTP MCP server at
// endpoint. client carries the gateway's credentials for the upstream (for
// example a RoundTripper that adds an Authorization header); nil means
// http.DefaultClient. The agent's own token is never forwarded.
func URL(endpoint string, client *http.Client) func(context.Context) (sdk.Transport, error) {
	return func(context.Context) (sdk.Transport, error) {
		if endpoint == "" {
			return nil, errors.New("mcp: upstream URL: empty endpoint")
		}
		return &sdk.StreamableClientTransport{Endpoint: endpoint, HTTPClient: client, DisableStandaloneSSE: true}, nil
	}
}
