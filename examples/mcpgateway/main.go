// Command mcpgateway gates a small "customers" MCP server with Airlock.
//
//	go run ./examples/mcpgateway          # a scripted agent talks to the server through the gateway
//	go run ./examples/mcpgateway server   # the customers server alone, on stdio
//
// The agent is a Go SDK client. The gateway spawns the server as a
// subprocess, hides drop_all from the agent, masks e-mail addresses and
// card numbers in results, refuses to delete customer 1, and holds other
// deletions for a reviewer, who approves one here. Then it prints the record.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/tool/mcpgate"
	"github.com/airlock-sdk/airlock/record"
)

const rules = `
default: deny
rules:
  - name: discovery
    when: request.protocol == "mcp" && tool.kind == "list"
    action: allow
  - name: reads
    when: request.protocol == "mcp" && tool.kind == "call" && tool.name == "read_customer"
    action: allow
  - name: deletes-need-review
    when: request.protocol == "mcp" && tool.kind == "call" && tool.name == "delete_customer"
    action: review
    reason: deleting a customer needs a human
  - name: customer-1-is-protected
    when: tool.name == "delete_customer" && "id" in tool.args && tool.args.id == 1
    action: deny
    reason: customer 1 is under legal hold
  - name: no-bulk-deletes
    when: tool.name == "drop_all"
    action: deny
    reason: bulk deletes are never done by agents
  - name: mask-pii
    when: request.protocol == "mcp"
    mask: [email, credit_card]
`

// roleEnv makes the spawned copy of this program the customers server.
const roleEnv = "MCPGATEWAY_ROLE"

func main() {
	if os.Getenv(roleEnv) == "server" || len(os.Args) > 1 && os.Args[1] == "server" {
		if err := customersServer().Run(context.Background(), &sdk.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, "customers:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mcpgateway:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	rs, err := gate.ParseRules("rules.yaml", []byte(rules))
	if err != nil {
		return err
	}
	rec, reviews := &record.Memory{}, &approval.Memory{}
	g := gate.New(gate.Config{Rules: rs, Recorder: rec, Approver: reviews})
	self, err := os.Executable()
	if err != nil {
		return err
	}
	gw, err := mcpgate.New(mcpgate.Config{
		Gate:     g,
		Upstream: mcpgate.Command(os.Stderr, append(os.Environ(), roleEnv+"=server"), self),
		Target:   "customers",
		// The agent on the other end of the pipe: stdio carries no credential.
		Authenticator: gate.StaticIdentity(gate.Identity{Subject: "agent-7", Name: "coding agent", Kind: gate.KindAgent}),
	})
	if err != nil {
		return err
	}
	defer gw.Close()

	// The agent side: a client connected to the gateway over a pipe, as an
	// agent that started `airlock mcp -- customers` would be.
	agentEnd, gatewayEnd := sdk.NewInMemoryTransports()
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, gatewayEnd) }()
	agent, err := sdk.NewClient(&sdk.Implementation{Name: "demo-agent", Version: "1"}, nil).Connect(ctx, agentEnd, nil)
	if err != nil {
		return err
	}

	// A reviewer approves the one deletion that is held.
	go func() {
		if p, err := reviews.WaitPending(ctx); err == nil {
			fmt.Fprintf(w, "reviewer: approving %q\n", p.Request.Command)
			_, _ = reviews.Approve(ctx, p.ID, gate.Identity{Subject: "alice", Kind: gate.KindHuman}, "ticket CS-42")
		}
	}()

	tools, err := agent.ListTools(ctx, nil)
	if err != nil {
		return err
	}
	var names []string
	for _, t := range tools.Tools {
		names = append(names, t.Name)
	}
	fmt.Fprintf(w, "agent sees tools: %s\n", strings.Join(names, ", "))
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"read_customer", map[string]any{"id": 1}},
		{"delete_customer", map[string]any{"id": 1}},
		{"delete_customer", map[string]any{"id": 2}},
		{"drop_all", map[string]any{}},
	} {
		res, err := agent.CallTool(ctx, &sdk.CallToolParams{Name: call.tool, Arguments: call.args})
		if err != nil {
			// A tool the agent was not shown is not callable: a JSON-RPC error.
			fmt.Fprintf(w, "%s %v -> refused: %v\n", call.tool, call.args, err)
			continue
		}
		fmt.Fprintf(w, "%s %v -> error=%v %s\n", call.tool, call.args, res.IsError, contentText(res))
	}
	if err := agent.Close(); err != nil {
		return err
	}
	if err := <-served; err != nil {
		return err
	}

	fmt.Fprintln(w, "record:")
	for _, id := range rec.Sessions() {
		for _, e := range rec.GateEvents(id) {
			fmt.Fprintf(w, "  %s\n", describe(e))
		}
	}
	return nil
}

func contentText(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func describe(e gate.Event) string {
	switch {
	case e.Decision != nil:
		return fmt.Sprintf("%-18s %s by %q", e.Kind, e.Decision.Action, e.Decision.Rule)
	case e.Output != nil:
		data := string(e.Output.Data)
		if len(data) > 90 {
			data = data[:90] + "..."
		}
		return fmt.Sprintf("%-18s %s", e.Kind, data)
	case e.Request != nil:
		return fmt.Sprintf("%-18s %s %s", e.Kind, e.Request.Command, e.Request.Payload)
	case e.Session != nil && e.Session.Reason != "":
		return fmt.Sprintf("%-18s %s", e.Kind, e.Session.Reason)
	}
	return string(e.Kind)
}
