package mcpgate_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/tool/mcpgate"
	"github.com/airlock-sdk/airlock/record"
)

// upstreamServer is the MCP server being gated; here it runs in process.
func upstreamServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "notes", Version: "1"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "read_note"}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "call bob@example.com"}}}, nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "delete_note"}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "deleted"}}}, nil, nil
	})
	return s
}

func Example() {
	rules, err := gate.ParseRules("rules.yaml", []byte(`
default: deny
rules:
  - name: lists
    when: request.protocol == "mcp" && tool.kind == "list"
    action: allow
  - name: reads
    when: request.protocol == "mcp" && tool.name == "read_note"
    action: allow
  - name: mask
    when: request.protocol == "mcp"
    mask: [email]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	g := gate.New(gate.Config{Rules: rules, Recorder: &record.Memory{}})
	gw, err := mcpgate.New(mcpgate.Config{
		Gate: g,
		// In production: mcpgate.Command(...) or mcpgate.URL(...).
		Upstream: func(ctx context.Context) (sdk.Transport, error) {
			serverEnd, clientEnd := sdk.NewInMemoryTransports()
			go func() { _ = upstreamServer().Run(context.Background(), serverEnd) }()
			return clientEnd, nil
		},
		// The agent on the other end of the pipe is known: stdio has no credentials.
		Authenticator: gate.StaticIdentity(gate.Identity{Subject: "agent-7"}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	agentEnd, gatewayEnd := sdk.NewInMemoryTransports()
	go func() { _ = gw.Serve(ctx, gatewayEnd) }()
	agent, err := sdk.NewClient(&sdk.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx, agentEnd, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer agent.Close()

	tools, _ := agent.ListTools(ctx, nil)
	for _, t := range tools.Tools {
		fmt.Println("tool:", t.Name)
	}
	res, _ := agent.CallTool(ctx, &sdk.CallToolParams{Name: "read_note"})
	fmt.Println(res.Content[0].(*sdk.TextContent).Text)
	// delete_note is hidden (no rule allows it), so it is not callable either.
	_, err = agent.CallTool(ctx, &sdk.CallToolParams{Name: "delete_note"})
	fmt.Println(err)
	// Output:
	// tool: read_note
	// call [EMAIL]
	// calling "tools/call": airlock: unknown tool delete_note: the upstream advertises no tool of exactly this name to this identity
}

type bearerToken string

func (b bearerToken) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// The gateway over streamable HTTP: the identity comes from the bearer
// token, the upstream is another streamable HTTP server.
func ExampleGateway_Handler() {
	upstream := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return upstreamServer() }, nil))
	defer upstream.Close()

	rules, _ := gate.ParseRules("rules.yaml", []byte(`
default: deny
rules:
  - name: notes-team
    when: request.protocol == "mcp" && identity.groups.exists(g, g == "notes") && tool.name != "delete_note"
    action: allow
`))
	gw, err := mcpgate.New(mcpgate.Config{
		Gate:     gate.New(gate.Config{Rules: rules, Recorder: &record.Memory{}}),
		Upstream: mcpgate.URL(upstream.URL, nil),
		// Every HTTP request's bearer token is looked up (or use an oidc.Verifier).
		Authenticator: gate.Tokens(map[string]gate.Identity{
			"s3cret": {Subject: "agent-7", Groups: []string{"notes"}},
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	front := httptest.NewServer(gw.Handler())
	defer front.Close()

	ctx := context.Background()
	agent, err := sdk.NewClient(&sdk.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx,
		&sdk.StreamableClientTransport{Endpoint: front.URL, HTTPClient: &http.Client{Transport: bearerToken("s3cret")}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer agent.Close()
	tools, _ := agent.ListTools(ctx, nil)
	for _, t := range tools.Tools {
		fmt.Println("tool:", t.Name)
	}
	// Output:
	// tool: read_note
}
