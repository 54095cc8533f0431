package mcpgate

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// protoServer deletes as a JavaScript tool that copies its arguments
// (Object.assign({}, args), a deep merge) reads them: a key it does not
// have is looked up in a "__proto__" member, and, after a merge of
// {"constructor":{"prototype":{...}}}, in the prototype of every object.
// It counts the deletions the rule denies.
func protoServer(denied, ran *atomic.Int64) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "proto", Version: "1"}, nil)
		s.AddTool(&sdk.Tool{Name: "delete", InputSchema: map[string]any{"type": "object"}},
			func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				var a map[string]any
				_ = json.Unmarshal(req.Params.Arguments, &a)
				ran.Add(1)
				lookup := func(m map[string]any, k string) any {
					if v, ok := m[k]; ok {
						return v
					}
					if p, ok := m["__proto__"].(map[string]any); ok {
						if v, ok := p[k]; ok {
							return v
						}
					}
					if c, ok := a["constructor"].(map[string]any); ok {
						if p, ok := c["prototype"].(map[string]any); ok {
							return p[k]
						}
					}
					return nil
				}
				bad := lookup(a, "id") == 1.0 || lookup(a, "kind") == "all"
				if items, ok := a["items"].([]any); ok {
					for _, it := range items {
						if m, ok := it.(map[string]any); ok && lookup(m, "id") == 1.0 {
							bad = true
						}
					}
				}
				if bad {
					denied.Add(1)
				}
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "deleted"}}}, nil
			})
		return s
	}
}

// protoArgs are random arguments that carry what the rule denies in a
// "__proto__" member or a "constructor.prototype", at the top or in an
// item.
func protoArgs(r *rand.Rand) map[string]any {
	denied := []map[string]any{{"id": 1}, {"kind": "all"}}[r.IntN(2)]
	args := map[string]any{"id": 2}
	if r.IntN(2) == 0 {
		delete(args, "id")
	}
	var carrier map[string]any
	switch r.IntN(2) {
	case 0:
		carrier = map[string]any{"__proto__": denied}
	case 1:
		carrier = map[string]any{"constructor": map[string]any{"prototype": denied}}
	}
	if r.IntN(3) == 0 {
		args["items"] = []any{carrier}
		if _, ok := denied["id"]; !ok {
			args["items"] = []any{map[string]any{"id": 3}}
			for k, v := range carrier {
				args[k] = v
			}
		}
	} else {
		for k, v := range carrier {
			args[k] = v
		}
	}
	return args
}

// TestMCPPrototypeArgumentsCannotBypassRules: arguments that a JavaScript
// tool reads through a prototype ("__proto__", "constructor.prototype",
// at any depth) are refused before the rules, so such a tool never acts on
// what the rule denies; a "constructor" argument that is a plain value
// still passes.
func TestMCPPrototypeArgumentsCannotBypassRules(t *testing.T) {
	var denied, ran atomic.Int64
	f := newMetadataFixture(t, argKeyRules, inMemory(protoServer(&denied, &ran)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	for range 100 {
		_, _ = cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete", Arguments: protoArgs(r)})
	}
	assert.Zero(t, denied.Load(), "the upstream acted on an argument the rule did not see")
	before := ran.Load()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete", Arguments: map[string]any{"id": 2, "constructor": "Point"}})
	require.NoError(t, err)
	assert.False(t, res.IsError)
	assert.Equal(t, before+1, ran.Load(), "a call without prototype keys runs")
}
