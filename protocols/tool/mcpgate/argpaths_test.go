package mcpgate

import (
	"context"
	"encoding/json"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pathRules keep a file tool out of a secret directory and a fetch tool
// off the cloud metadata host, as rules on strings are written.
const pathRules = `
default: allow
rules:
  - name: no-secrets
    when: 'tool.name == "read_file" && "path" in tool.args && tool.args.path.startsWith("/srv/data/secret")'
    action: deny
  - name: no-metadata
    when: 'tool.name == "fetch" && "url" in tool.args && tool.args.url.lowerAscii().startsWith("http://metadata.internal")'
    action: deny
`

// servedPath is where a file server (Node's path.resolve, Go's
// filepath.Clean on Windows) reads a path.
func servedPath(p string) string {
	return path.Clean("/" + strings.ReplaceAll(p, `\`, "/"))
}

// servedHost is the host a fetch tool (a WHATWG URL parser) connects to.
func servedHost(raw string) string {
	u, err := url.Parse(strings.ReplaceAll(raw, `\`, "/"))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// pathServer serves read_file and fetch, resolving their arguments as
// real servers do, and counts the calls that acted on what pathRules
// deny.
func pathServer(ran, denied *atomic.Int64) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "files", Version: "1"}, nil)
		schema := func(arg string) map[string]any {
			return map[string]any{"type": "object", "additionalProperties": false, "required": []any{arg},
				"properties": map[string]any{arg: map[string]any{"type": "string"}}}
		}
		handler := func(arg string, bad func(string) bool) sdk.ToolHandler {
			return func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				var a map[string]string
				_ = json.Unmarshal(req.Params.Arguments, &a)
				ran.Add(1)
				if bad(a[arg]) {
					denied.Add(1)
				}
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "done"}}}, nil
			}
		}
		s.AddTool(&sdk.Tool{Name: "read_file", InputSchema: schema("path")}, handler("path", func(p string) bool {
			return strings.HasPrefix(servedPath(p), "/srv/data/secret")
		}))
		s.AddTool(&sdk.Tool{Name: "fetch", InputSchema: schema("url")}, handler("url", func(u string) bool {
			return servedHost(u) == "metadata.internal"
		}))
		return s
	}
}

// TestMCPPathArgumentsCannotBypassRules sends paths and URLs a rule on
// their prefix denies, spelled as servers resolve them back (dot-segments,
// repeated slashes, backslashes, host case, a trailing dot, userinfo):
// the tools never act on what the rules deny; plain spellings still run.
func TestMCPPathArgumentsCannotBypassRules(t *testing.T) {
	var ran, denied atomic.Int64
	f := newMetadataFixture(t, pathRules, inMemory(pathServer(&ran, &denied)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	calls := map[string][]string{
		"read_file": {"/srv/data/public/../secret/keys", "/srv/data/./secret/keys", "//srv/data/secret/keys",
			"/srv//data/secret/keys", "/./srv/data/secret/keys", `\srv\data\secret\keys`, `/srv/data\secret\keys`,
			"/x/../srv/data/secret/keys", "/srv/data/public/.././secret", "/srv/data/public/../../data/secret"},
		"fetch": {"HTTP://METADATA.INTERNAL/latest", "http://Metadata.Internal/latest", "http://metadata.internal./latest",
			"http://public.example@metadata.internal/latest", `http:\\metadata.internal\latest`, "http://x:y@METADATA.internal./"},
	}
	arg := map[string]string{"read_file": "path", "fetch": "url"}
	sent := 0
	for tool, values := range calls {
		for _, v := range values {
			sent++
			before := denied.Load()
			b, _ := json.Marshal(map[string]string{arg[tool]: v})
			_, _ = cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: json.RawMessage(b)})
			if denied.Load() != before {
				t.Errorf("%s %q ran, acting on what the rules deny", tool, v)
			}
		}
	}
	t.Logf("%d calls sent, %d ran, %d of them acted on a denied value", sent, ran.Load(), denied.Load())
	for tool, v := range map[string]string{"read_file": "/srv/data/public/../public/a.txt", "fetch": "https://Example.com/a/../b"} {
		before := ran.Load()
		b, _ := json.Marshal(map[string]string{arg[tool]: v})
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: json.RawMessage(b)})
		require.NoError(t, err)
		assert.False(t, res.IsError, "%s %s: %s", tool, v, text(t, res))
		assert.Equal(t, before+1, ran.Load(), "%s %s runs", tool, v)
	}
}
