package mcpgate

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/internal/coerce"
)

// typedRules deny what a typed transfer tool must not do; the type guards
// are the rules' authors' (a rule on a string compares strings).
const typedRules = `
default: allow
rules:
  - name: no-transfer-to-9
    when: 'tool.name == "pay" && "to" in tool.args && tool.args.to == 9'
    action: deny
  - name: no-big-transfer
    when: 'tool.name == "pay" && "amount" in tool.args && type(tool.args.amount) in [int, double] && tool.args.amount > 1000'
    action: deny
  - name: no-force
    when: 'tool.name == "pay" && "force" in tool.args && tool.args.force == true'
    action: deny
  - name: no-passwd
    when: 'tool.name == "pay" && "memo" in tool.args && tool.args.memo == "/etc/passwd"'
    action: deny
  - name: no-line-on-9
    when: 'tool.name == "pay" && "items" in tool.args && tool.args.items.exists(i, type(i) == map && "account" in i && i.account == 9)'
    action: deny
`

// coercingServer runs a pay tool which reads each argument as a
// TypeScript server with zod's z.coerce reads it (or a JavaScript one
// calling Number(), String() and Boolean()): as one type, whatever type
// was sent. Its input schema declares those types when typed. It counts
// the calls it ran and those that acted on what typedRules deny.
func coercingServer(typed bool, ran, denied *atomic.Int64) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "bank", Version: "1"}, nil)
		typ := func(t string) map[string]any {
			if !typed {
				return map[string]any{}
			}
			return map[string]any{"type": t}
		}
		schema := map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
			"to": typ("integer"), "amount": typ("number"), "force": typ("boolean"), "memo": typ("string"),
			"items": map[string]any{"type": "array", "items": map[string]any{"type": "object", "additionalProperties": false,
				"properties": map[string]any{"sku": typ("string"), "account": typ("integer")}}},
		}}
		s.AddTool(&sdk.Tool{Name: "pay", InputSchema: schema},
			func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				var a map[string]any
				_ = json.Unmarshal(req.Params.Arguments, &a)
				ran.Add(1)
				bad := false
				if v, ok := a["to"]; ok && coerce.JSNumber(v) == 9 {
					bad = true
				}
				if v, ok := a["amount"]; ok && coerce.JSNumber(v) > 1000 {
					bad = true
				}
				if v, ok := a["force"]; ok && coerce.JSBoolean(v) {
					bad = true
				}
				if v, ok := a["memo"]; ok && coerce.JSString(v) == "/etc/passwd" {
					bad = true
				}
				items, _ := a["items"].([]any)
				for _, it := range items {
					if m, ok := it.(map[string]any); ok {
						if v, ok := m["account"]; ok && coerce.JSNumber(v) == 9 {
							bad = true
						}
					}
				}
				if bad {
					denied.Add(1)
				}
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "paid"}}}, nil
			})
		return s
	}
}

// typeSpellings are, for a value the rules deny, its spellings in JSON
// types other than the one the schema declares, which the tool server
// coerces back to it.
func typeSpellings(v string) []string {
	q := strconv.Quote
	out := []string{"[" + v + "]", "[[" + v + "]]", `[` + q(v) + `]`}
	if n, err := strconv.Atoi(v); err == nil {
		out = append(out, q(fmt.Sprintf("0x%x", n)), q(fmt.Sprintf("0b%b", n)), q(fmt.Sprintf("0o%o", n)), q(" "+v+" "), q(v))
	}
	return out
}

// TestMCPArgumentTypesCannotBypassRules calls a tool with denied values
// spelled in other JSON types than the one it reads them as (a
// one-element array, a hexadecimal string, Infinity, an array of strings
// for a string): a tool server that coerces them (zod's z.coerce,
// JavaScript's Number() and String()) never acts on what the rules deny,
// whether its schema declares the types (refused as mcp/argument-type) or
// not (judged as JavaScript reads them, mcp/argument-reading). Calls with
// the declared types and harmless values run.
func TestMCPArgumentTypesCannotBypassRules(t *testing.T) {
	for _, typed := range []bool{true, false} {
		t.Run(fmt.Sprint("typed=", typed), func(t *testing.T) { testArgumentTypes(t, typed) })
	}
}

func testArgumentTypes(t *testing.T, typed bool) {
	var ran, denied atomic.Int64
	f := newMetadataFixture(t, typedRules, inMemory(coercingServer(typed, &ran, &denied)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	var calls []string
	for _, v := range typeSpellings("9") {
		calls = append(calls, `{"to":`+v+`}`, `{"items":[{"sku":"a","account":`+v+`}]}`)
	}
	for _, v := range append(typeSpellings("5000"), `"Infinity"`, `["Infinity"]`, `"1e4"`, `[1e4]`) {
		calls = append(calls, `{"amount":`+v+`}`)
	}
	for _, v := range []string{`"x"`, `[true]`, `{}`, `[]`, `"false"`, `1`, `[0]`} {
		calls = append(calls, `{"force":`+v+`}`)
	}
	for _, v := range []string{`["/etc/passwd"]`, `[["/etc/passwd"]]`, `["/etc","passwd"]`} {
		calls = append(calls, `{"memo":`+v+`}`)
	}
	for _, c := range calls {
		before := denied.Load()
		_, _ = cs.CallTool(ctx, &sdk.CallToolParams{Name: "pay", Arguments: json.RawMessage(c)})
		if denied.Load() != before {
			t.Errorf("%s ran, acting on what the rules deny", c)
		}
	}
	t.Logf("%d calls sent, %d ran, %d of them acted on a denied value", len(calls), ran.Load(), denied.Load())
	assert.Zero(t, denied.Load(), "the tool server acted on an argument the rules deny")
	for _, args := range []string{`{"to":8,"amount":50,"force":false,"memo":"rent","items":[{"sku":"9","account":3}]}`,
		`{"to":8.0,"amount":50.5}`, `{"amount":1e3}`} {
		before := ran.Load()
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "pay", Arguments: json.RawMessage(args)})
		require.NoError(t, err, args)
		assert.False(t, res.IsError, "%s: %s", args, text(t, res))
		assert.Equal(t, before+1, ran.Load(), "%s runs", args)
	}
}

// TestDeclaredArgTypesOfSchemaShapes reads the types a schema declares
// through the shapes schemas take, and admits what they admit.
func TestDeclaredArgTypesOfSchemaShapes(t *testing.T) {
	schema := map[string]any{"type": "object", "$defs": map[string]any{"id": map[string]any{"type": "integer"}},
		"properties": map[string]any{
			"ref":      map[string]any{"$ref": "#/$defs/id"},
			"either":   map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "null"}}},
			"loose":    map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{}}},
			"list":     map[string]any{"type": []any{"string", "array"}, "items": map[string]any{"type": "string"}},
			"choice":   map[string]any{"enum": []any{"a", "b"}},
			"fixed":    map[string]any{"const": 3.0},
			"nullable": map[string]any{"type": "string", "nullable": true},
			"untyped":  map[string]any{},
			"all":      map[string]any{"allOf": []any{map[string]any{"description": "x"}, map[string]any{"type": "boolean"}}},
		}}
	d := readSchema(schema, schema, 0)
	require.NotNil(t, d)
	for _, c := range []struct {
		args string
		bad  bool
	}{
		{`{"ref":7}`, false}, {`{"ref":7.0}`, false}, {`{"ref":7.5}`, true}, {`{"ref":"7"}`, true}, {`{"ref":[7]}`, true},
		{`{"either":"x"}`, false}, {`{"either":null}`, false}, {`{"either":["x"]}`, true},
		{`{"loose":["x"]}`, false}, {`{"untyped":{"a":[1]}}`, false},
		{`{"list":"x"}`, false}, {`{"list":["x"]}`, false}, {`{"list":[["x"]]}`, true}, {`{"list":[1]}`, true},
		{`{"choice":"a"}`, false}, {`{"choice":["a"]}`, true}, {`{"fixed":3}`, false}, {`{"fixed":"3"}`, true},
		{`{"nullable":null}`, false}, {`{"nullable":1}`, true}, {`{"all":true}`, false}, {`{"all":"true"}`, true},
	} {
		args, _, err := decodeArgs([]byte(c.args))
		require.NoError(t, err)
		p, got, want, bad := d.mistyped(args)
		assert.Equal(t, c.bad, bad, "%s: %s is %s, want %v", c.args, p, got, want)
	}
}
