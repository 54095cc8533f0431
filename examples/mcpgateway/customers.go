package main

import (
	"context"
	"fmt"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// The "customers" MCP server the gateway gates: a read tool that returns
// personal data, and a delete tool. It knows nothing of Airlock; run alone
// with `mcpgateway server`, it serves MCP on stdin and stdout.

type customer struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Card  string `json:"card"`
}

type idArgs struct {
	ID int `json:"id" jsonschema:"the customer's id"`
}

func customersServer() *sdk.Server {
	var mu sync.Mutex
	db := map[int]customer{
		1: {1, "Ada Lovelace", "ada@example.com", "4111 1111 1111 1111"},
		2: {2, "Alan Turing", "alan@example.org", "5500 0000 0000 0004"},
	}
	s := sdk.NewServer(&sdk.Implementation{Name: "customers", Version: "1.0.0"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "read_customer", Description: "Read a customer record"},
		func(_ context.Context, _ *sdk.CallToolRequest, a idArgs) (*sdk.CallToolResult, *customer, error) {
			mu.Lock()
			c, ok := db[a.ID]
			mu.Unlock()
			if !ok {
				return nil, nil, fmt.Errorf("no customer %d", a.ID)
			}
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{
				Text: fmt.Sprintf("%s <%s>, card %s", c.Name, c.Email, c.Card)}}}, &c, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "delete_customer", Description: "Delete a customer record"},
		func(_ context.Context, _ *sdk.CallToolRequest, a idArgs) (*sdk.CallToolResult, any, error) {
			mu.Lock()
			_, ok := db[a.ID]
			delete(db, a.ID)
			mu.Unlock()
			if !ok {
				return nil, nil, fmt.Errorf("no customer %d", a.ID)
			}
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: fmt.Sprintf("deleted customer %d", a.ID)}}}, nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "drop_all", Description: "Delete every customer"},
		func(_ context.Context, _ *sdk.CallToolRequest, _ struct{}) (*sdk.CallToolResult, any, error) {
			mu.Lock()
			clear(db)
			mu.Unlock()
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "all customers deleted"}}}, nil, nil
		})
	return s
}
