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
	s := &gate.Session{Protocol: gate.ProtocolTool, Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}}
	_ = g.OpenSession(context.Background(), s)
	ctx := gate.WithSession(context.Background(), s)

	type args struct {
		ID int `json:"id"`
	}
	lookup := tool.Wrap(g, "lookup_customer", func(ctx context.Context, a args) (string, error) {
		return fmt.Sprintf("customer %d: ada@example.com", a.ID), nil
	})
	drop := tool.Wrap(g, "drop_table", func(ctx context.Context, a args) (string, error) { return "dropped", nil })

	out, _ := lookup(ctx, args{ID: 7})
	fmt.Println(out)
	_, err := drop(ctx, args{ID: 1})
	fmt.Println(err)
	// Output:
	// customer 7: [EMAIL]
	// airlock: denied by rule "default": no rule matched; the default is deny
}
