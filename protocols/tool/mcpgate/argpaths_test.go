package mcpgate

import (
	"context"
	"encoding/json"
	"net/netip"
	"net/url"
	"path"
	"strconv"
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
  - name: no-metadata-ip
    when: 'tool.name == "fetch" && "url" in tool.args && tool.args.url.contains("169.254.169.254")'
    action: deny
  - name: no-secrets-windows
    when: 'tool.name == "read_file_win" && "path" in tool.args && tool.args.path.startsWith("/srv/data/secret")'
    action: deny
`

// servedPath is where a file server (Node's path.resolve, Go's
// filepath.Clean on Windows) reads a path.
func servedPath(p string) string {
	return path.Clean("/" + strings.ReplaceAll(p, `\`, "/"))
}

// servedWindowsPath is the file a Windows file server reads: case and
// the trailing dots and spaces of names folded.
func servedWindowsPath(p string) string {
	segs := strings.Split(servedPath(p), "/")
	for i, s := range segs {
		segs[i] = strings.TrimRight(s, ". ")
	}
	return strings.ToLower(strings.Join(segs, "/"))
}

// servedHost is the host a fetch tool (a WHATWG URL parser) connects to:
// an IPv4 address in any of its forms as dotted decimal.
func servedHost(raw string) string {
	u, err := url.Parse(strings.ReplaceAll(raw, `\`, "/"))
	if err != nil {
		return ""
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().String()
	}
	parts := strings.Split(h, ".")
	var v uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 0, 64) // 0x hex, leading-0 octal
		if err != nil || len(parts) > 4 {
			return h
		}
		if i < len(parts)-1 {
			v |= n << (8 * (3 - i))
		} else {
			v |= n
		}
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
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
		s.AddTool(&sdk.Tool{Name: "read_file_win", InputSchema: schema("path")}, handler("path", func(p string) bool {
			return strings.HasPrefix(servedWindowsPath(p), "/srv/data/secret")
		}))
		s.AddTool(&sdk.Tool{Name: "fetch", InputSchema: schema("url")}, handler("url", func(u string) bool {
			h := servedHost(u)
			return h == "metadata.internal" || h == "169.254.169.254"
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
		"read_file_win": {"/SRV/Data/Secret/keys", "/srv/data/secret./keys", "/srv/data/secret /keys", `\SRV\DATA\SECRET\keys`,
			"/srv/data/Public/../SECRET.", "/Srv/./data//secret"},
		"fetch": {"http://2852039166/latest", "http://0xa9.0xfe.0xa9.0xfe/latest", "http://0251.254.169.254/latest",
			"http://169.254.43518/latest", "http://[::ffff:a9fe:a9fe]/latest", "http://169.254.169.254./latest", "http://0xA9FEA9FE/",
			"HTTP://METADATA.INTERNAL/latest", "http://Metadata.Internal/latest", "http://metadata.internal./latest",
			"http://public.example@metadata.internal/latest", `http:\\metadata.internal\latest`, "http://x:y@METADATA.internal./"},
	}
	arg := map[string]string{"read_file": "path", "read_file_win": "path", "fetch": "url"}
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
