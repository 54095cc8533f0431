package mcpgate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// transferRules deny, at any depth of the arguments, a transfer to
// account 9 or above 1000, the force option and a line on account 9,
// compared with equality and guarded by type tests.
const transferRules = `
default: allow
rules:
  - name: no-transfer-to-9
    when: 'tool.name == "transfer" && "to" in tool.args && tool.args.to == 9'
    action: deny
  - name: no-big-transfer
    when: 'tool.name == "transfer" && "amount" in tool.args && type(tool.args.amount) == int && tool.args.amount > 1000'
    action: deny
  - name: no-force
    when: 'tool.name == "transfer" && "force" in tool.args && tool.args.force == true'
    action: deny
  - name: no-line-on-9
    when: 'tool.name == "transfer" && "items" in tool.args && tool.args.items.exists(i, type(i) == map && "account" in i && i.account == 9)'
    action: deny
`

// laxInt reads v as Pydantic's lax mode and zod's coerce.number() read an
// integer argument: numbers with no fraction, strings holding one
// (trimmed; zod also reads "" as 0), booleans as 1 or 0.
func laxInt(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), x == math.Trunc(x)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return int64(f), err == nil && f == math.Trunc(f)
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// laxBool reads v as zod's coerce.boolean() (JavaScript's Boolean: every
// non-empty string is true) and Pydantic's lax mode ("yes", "on", "1").
func laxBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	}
	return false
}

// laxTransferServer runs a transfer tool that reads its arguments as a
// Pydantic or zod server does, counting the calls it ran and those that
// acted on what transferRules deny.
func laxTransferServer(ran, denied *atomic.Int64) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "bank", Version: "1"}, nil)
		schema := map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
			"to": map[string]any{}, "amount": map[string]any{}, "force": map[string]any{}, "memo": map[string]any{},
			"items": map[string]any{"type": "array", "items": map[string]any{"type": "object", "additionalProperties": false,
				"properties": map[string]any{"sku": map[string]any{}, "account": map[string]any{}}}},
		}}
		s.AddTool(&sdk.Tool{Name: "transfer", InputSchema: schema},
			func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				var a map[string]any
				_ = json.Unmarshal(req.Params.Arguments, &a)
				ran.Add(1)
				bad := false
				if n, ok := laxInt(a["to"]); ok && n == 9 {
					bad = true
				}
				if n, ok := laxInt(a["amount"]); ok && n > 1000 {
					bad = true
				}
				if laxBool(a["force"]) {
					bad = true
				}
				items, _ := a["items"].([]any)
				for _, it := range items {
					m, _ := it.(map[string]any)
					if n, ok := laxInt(m["account"]); ok && n == 9 {
						bad = true
					}
				}
				if bad {
					denied.Add(1)
				}
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "done"}}}, nil
			})
		return s
	}
}

// TestMCPArgumentReadingsCannotBypassRules sends transfer calls whose
// arguments, at the top and in items, are spelled as another type than
// the rules compare ("9", "09", 9.5 is not, "5e3", "yes", "no"): a tool
// server coercing them as Pydantic or zod does never acts on what the
// rules deny. Calls with the documented types and harmless values run.
func TestMCPArgumentReadingsCannotBypassRules(t *testing.T) {
	var ran, denied atomic.Int64
	f := newMetadataFixture(t, transferRules, inMemory(laxTransferServer(&ran, &denied)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 12))
	tos := []string{`9`, `"9"`, `" 9"`, `"9.0"`, `9.0`, `"09"`, `8`, `"8"`}
	amounts := []string{`50`, `"50"`, `5000`, `"5000"`, `"5e3"`, `5e3`, `"5000.0"`}
	forces := []string{`false`, `true`, `"true"`, `"yes"`, `"no"`, `1`, `0`, `"false"`}
	for range 200 {
		var parts []string
		if r.IntN(2) == 0 {
			parts = append(parts, `"to":`+tos[r.IntN(len(tos))])
		}
		if r.IntN(2) == 0 {
			parts = append(parts, `"amount":`+amounts[r.IntN(len(amounts))])
		}
		if r.IntN(3) == 0 {
			parts = append(parts, `"force":`+forces[r.IntN(len(forces))])
		}
		if r.IntN(3) == 0 {
			parts = append(parts, fmt.Sprintf(`"items":[{"sku":"a","account":%s}]`, tos[r.IntN(len(tos))]))
		}
		_, _ = cs.CallTool(ctx, &sdk.CallToolParams{Name: "transfer", Arguments: json.RawMessage("{" + strings.Join(parts, ",") + "}")})
	}
	t.Logf("%d calls ran, %d of them acted on a denied value", ran.Load(), denied.Load())
	assert.Zero(t, denied.Load(), "the tool server acted on an argument the rules deny")
	require.NotZero(t, ran.Load(), "no call ran: the test proves nothing")
	for _, args := range []string{`{"to":8,"amount":50,"force":false,"items":[{"sku":"9","account":3}],"memo":"9"}`, `{"to":"8","amount":"50"}`} {
		before := ran.Load()
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "transfer", Arguments: json.RawMessage(args)})
		require.NoError(t, err, args)
		assert.False(t, res.IsError, args)
		assert.Equal(t, before+1, ran.Load(), "%s runs", args)
	}
}
