package mcpgate

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// The test binary doubles as a real upstream MCP server: started with
// upstreamEnv=stdio it serves the customers server on its stdin and stdout,
// so the stdio tests spawn a real subprocess.
const upstreamEnv = "AIRLOCK_MCP_TEST_UPSTREAM"

func TestMain(m *testing.M) {
	if os.Getenv(upstreamEnv) == "stdio" {
		if err := customersServer().Run(context.Background(), &sdk.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, "upstream:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(upstreamEnv) == "gateway" {
		os.Exit(runGatewayProcess())
	}
	os.Exit(m.Run())
}

// runGatewayProcess is `airlock mcp -- <customers server>` in miniature: a
// gateway on its own stdin and stdout that spawns the upstream, recording to
// the file named by AIRLOCK_MCP_TEST_RECORD.
func runGatewayProcess() int {
	rs, err := gate.ParseRules("test.yaml", []byte(testRules))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sink, err := record.OpenFile(os.Getenv("AIRLOCK_MCP_TEST_RECORD"), record.FileOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rec := record.New(sink, record.Options{})
	defer rec.Close()
	gw, err := New(Config{
		Gate:     gate.New(gate.Config{Rules: rs, Recorder: rec}),
		Upstream: Command(os.Stderr, append(os.Environ(), upstreamEnv+"=stdio"), os.Args[0]),
		Target:   "customers", Authenticator: gate.StaticIdentity(agent),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := gw.ServeStdio(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// upstreamCommand spawns this test binary as the customers server.
func upstreamCommand() func(context.Context) (sdk.Transport, error) {
	return Command(os.Stderr, append(os.Environ(), upstreamEnv+"=stdio"), os.Args[0])
}

type idArgs struct {
	ID int `json:"id" jsonschema:"customer id"`
}

type customer struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Card  string `json:"card"`
}

var customers = map[int]customer{
	1: {1, "Ada Lovelace", "ada@example.com", "4111 1111 1111 1111"},
	2: {2, "Alan Turing", "alan@example.org", "5500 0000 0000 0004"},
}

// customersServer is a small MCP server with a read and a delete tool, a
// resource per customer, a prompt, and tools that misbehave on purpose.
func customersServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "customers", Version: "1.0.0"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "read_customer", Description: "Read one customer"},
		func(ctx context.Context, req *sdk.CallToolRequest, a idArgs) (*sdk.CallToolResult, map[string]any, error) {
			c, ok := customers[a.ID]
			if !ok {
				return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "no such customer"}}}, nil, nil
			}
			text := fmt.Sprintf("customer %d: %s <%s>, card %s", c.ID, c.Name, c.Email, c.Card)
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: text}}},
				map[string]any{"id": c.ID, "name": c.Name, "email": c.Email, "card": c.Card}, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "delete_customer", Description: "Delete one customer"},
		func(ctx context.Context, req *sdk.CallToolRequest, a idArgs) (*sdk.CallToolResult, any, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: fmt.Sprintf("deleted customer %d", a.ID)}}}, nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "admin_reset", Description: "Wipe everything"},
		func(ctx context.Context, req *sdk.CallToolRequest, _ struct{}) (*sdk.CallToolResult, any, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "wiped"}}}, nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "crash", Description: "Exit mid-call"},
		func(ctx context.Context, req *sdk.CallToolRequest, _ struct{}) (*sdk.CallToolResult, any, error) {
			if os.Getenv(upstreamEnv) == "stdio" {
				os.Exit(3)
			}
			return nil, nil, fmt.Errorf("crash only works in a subprocess")
		})
	sdk.AddTool(s, &sdk.Tool{Name: "photo", Description: "A customer's photo"},
		func(ctx context.Context, req *sdk.CallToolRequest, _ struct{}) (*sdk.CallToolResult, any, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.ImageContent{MIMEType: "image/png", Data: []byte("\x89PNG ada@example.com")}}}, nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "slow", Description: "Takes a while"},
		func(ctx context.Context, req *sdk.CallToolRequest, _ struct{}) (*sdk.CallToolResult, any, error) {
			select {
			case <-time.After(200 * time.Millisecond):
			case <-ctx.Done():
			}
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "done"}}}, nil, nil
		})
	for id, c := range customers {
		s.AddResource(&sdk.Resource{URI: fmt.Sprintf("customers://%d", id), Name: c.Name, MIMEType: "text/plain"},
			func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
				return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, MIMEType: "text/plain",
					Text: fmt.Sprintf("%s <%s>", c.Name, c.Email)}}}, nil
			})
	}
	s.AddResource(&sdk.Resource{URI: "secrets://root", Name: "root password", MIMEType: "text/plain"},
		func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, Text: "hunter2"}}}, nil
		})
	s.AddPrompt(&sdk.Prompt{Name: "summarize", Arguments: []*sdk.PromptArgument{{Name: "id"}}},
		func(ctx context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			return &sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: "user",
				Content: &sdk.TextContent{Text: "Summarise customer " + req.Params.Arguments["id"] + ": write to ada@example.com"}}}}, nil
		})
	s.AddPrompt(&sdk.Prompt{Name: "admin_prompt"},
		func(ctx context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			return &sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: "secret"}}}}, nil
		})
	return s
}
