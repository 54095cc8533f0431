package mcpgate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// upstreamSecret is the credential the gateway holds for its upstream.
const upstreamSecret = "upst-9f8e7d6c5b4a39281706"

// echoServer echoes its credential the ways a server may: a tool printing
// its environment (plain, base64, split across structured fields, in an
// error), a resource, a prompt, a list description.
func echoServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "echo", Version: "1"}, nil)
	open := map[string]any{"type": "object"}
	s.AddTool(&sdk.Tool{Name: "env", InputSchema: open}, func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		var a map[string]string
		_ = json.Unmarshal(req.Params.Arguments, &a)
		switch a["how"] {
		case "base64":
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "TOKEN_B64=" + base64.StdEncoding.EncodeToString([]byte(upstreamSecret))}}}, nil
		case "structured":
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "see structured"}},
				StructuredContent: map[string]any{"env": map[string]any{"UPSTREAM_TOKEN": upstreamSecret}}}, nil
		case "error":
			return nil, fmt.Errorf("cannot connect with token %s", upstreamSecret)
		case "tool-error":
			return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "bad token " + upstreamSecret}}}, nil
		case "clean":
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "HOME=/srv"}}}, nil
		}
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "UPSTREAM_TOKEN=" + upstreamSecret}}}, nil
	})
	s.AddTool(&sdk.Tool{Name: "described", Description: "uses " + upstreamSecret, InputSchema: open},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "ok"}}}, nil
		})
	s.AddResource(&sdk.Resource{URI: "config://upstream", Name: "config"}, func(context.Context, *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: "config://upstream", Text: "token: " + upstreamSecret}}}, nil
	})
	s.AddPrompt(&sdk.Prompt{Name: "debug"}, func(context.Context, *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
		return &sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: "token " + upstreamSecret}}}}, nil
	})
	return s
}

// TestGatewaySecretsNeverReachTheClient: under rules that mask nothing,
// every answer of an upstream echoing the gateway's credential (results,
// structured content, errors, resources, prompts, list items) reaches the
// client without it; answers without it pass.
func TestGatewaySecretsNeverReachTheClient(t *testing.T) {
	rs, err := gate.ParseRules("open.yaml", []byte("default: allow\nrules: []\n"))
	require.NoError(t, err)
	f := &fixture{rec: &record.Memory{}, appr: &approval.Memory{}}
	f.gate = gate.New(gate.Config{Rules: rs, Recorder: f.rec, Approver: f.appr})
	f.gw, err = New(Config{Gate: f.gate, Upstream: inMemory(echoServer), Target: "echo", Authenticator: testAuth(), Secrets: []string{upstreamSecret}})
	require.NoError(t, err)
	cs, captured := f.connectCaptured(t, nil)
	ctx := context.Background()
	for _, how := range []string{"plain", "base64", "structured", "error", "tool-error"} {
		_, _ = cs.CallTool(ctx, &sdk.CallToolParams{Name: "env", Arguments: map[string]any{"how": how}})
	}
	_, _ = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "config://upstream"})
	_, _ = cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "debug"})
	_, _ = cs.ListTools(ctx, nil)
	seen := captured.bytes()
	b64 := base64.StdEncoding.EncodeToString([]byte(upstreamSecret))
	leaks := strings.Count(seen, upstreamSecret) + strings.Count(seen, b64)
	t.Logf("the client read the credential %d times", leaks)
	assert.Zero(t, leaks, "the gateway's credential reached the client")
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "env", Arguments: map[string]any{"how": "clean"}})
	require.NoError(t, err)
	assert.Equal(t, "HOME=/srv", text(t, res))
	var rpcErr interface{ Error() string }
	_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "env", Arguments: map[string]any{"how": "plain"}})
	require.True(t, errors.As(err, &rpcErr))
	assert.Contains(t, err.Error(), "credential of the gateway")
}
