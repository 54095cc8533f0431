package gate_test

import (
	"context"
	"fmt"
	"os"

	"github.com/airlock-sdk/airlock/gate"
)

// A protocol package opens one Conn per client connection; every request
// is checked through it and every byte of its result leaves through an
// output writer bound to the decision: masked, bounded, recorded.
func ExampleConn() {
	rules, _ := gate.ParseRules("rules.yaml", []byte(`
default: deny
rules:
  - name: agents-read
    when: tool.name == "lookup"
    action: allow
    mask: [credit_card]
`))
	recorded := 0
	g := gate.New(gate.Config{Rules: rules, Recorder: gate.RecorderFunc(func(_ context.Context, e gate.Event) error {
		recorded++
		return nil
	})})
	ctx := context.Background()
	conn, err := g.Open(ctx, gate.Session{Protocol: gate.ProtocolTool, Identity: gate.Identity{Subject: "agent-7"}})
	if err != nil {
		fmt.Println("refuse the client:", err)
		return
	}
	defer conn.Close(ctx, "client closed")

	d, err := conn.Check(ctx, &gate.Request{Command: "lookup", Tool: &gate.ToolCall{Kind: "call", Name: "lookup"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	out := conn.Output(d, "stdout", os.Stdout, gate.OutputOptions{})
	fmt.Fprintln(out, "card on file: 4111 1111 1111 1111")
	if err := out.Close(); err != nil {
		fmt.Println("end the connection:", err)
	}
	fmt.Println("events recorded:", recorded)

	_, err = conn.Refuse(ctx, &gate.Request{Command: "\x00garbage"}, "parse", "the request could not be parsed")
	fmt.Println(err)
	// Output:
	// card on file: [CREDIT_CARD]
	// events recorded: 3
	// airlock: denied by rule "tool/parse": the request could not be parsed
}
