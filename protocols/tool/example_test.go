package tool_test

import (
	"context"
	"fmt"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/tool"
	"github.com/airlock-sdk/airlock/record"
)

func ExampleWrap() {
	rules, _ := gate.ParseRules("rules.yaml", []byte(`
rules:
  - name: lookups
    when: tool.name == "lookup_customer"
    action: allow
    mask: [email]
`))
	g := gate.New(gate.Config{Rules: rules, Recorder: &record.Memory{}})

	type args struct {
		ID int `json:"id"`
	}
	lookup := tool.Wrap("lookup_customer", func(ctx context.Context, a args) (string, error) {
		return fmt.Sprintf("customer %d: ada@example.com", a.ID), nil
	})
	drop := tool.Wrap("drop_table", func(ctx context.Context, a args) (string, error) { return "dropped", nil })

	// One session handle per agent session; the calls find it in the context.
	conn, err := g.Open(context.Background(), gate.Session{Protocol: gate.ProtocolTool, Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}})
	if err != nil {
		fmt.Println("the session could not be recorded:", err)
		return
	}
	defer conn.Close(context.Background(), "agent done")
	ctx := conn.Context(context.Background())

	out, _ := lookup(ctx, args{ID: 7})
	fmt.Println(out)
	_, err = drop(ctx, args{ID: 1})
	fmt.Println(err)
	// Output:
	// customer 7: [EMAIL]
	// airlock: denied by rule "default": no rule matched; the default is deny
}
