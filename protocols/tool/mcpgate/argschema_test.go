package mcpgate

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const undeclaredRules = `
default: allow
rules:
  - name: keep-protected
    when: >
      tool.name == "remove" && "path" in tool.args && tool.args.path.startsWith("protected")
    action: deny
  - name: keep-protected-prompt
    when: >
      tool.name == "show" && "path" in tool.args && tool.args.path.startsWith("protected")
    action: deny
`

// aliasKeys are keys a careless upstream reads besides the declared "path".
var aliasKeys = []string{"file", "target", "paths", "Path_", "filename", "src", "path2"}

// closedSchemas declare only "path", in the shapes schemas take: plain,
// additionalProperties false, inside allOf, behind a local $ref.
var closedSchemas = []map[string]any{
	{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"}}},
	{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"}}, "additionalProperties": false},
	{"type": "object", "allOf": []any{map[string]any{"properties": map[string]any{"path": map[string]any{"type": "string"}}}}},
	{"type": "object", "$ref": "#/$defs/args", "$defs": map[string]any{"args": map[string]any{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"}}, "additionalProperties": false}}},
}

// aliasServer offers, for each closed schema, a tool remove<i> that removes
// every file named by its arguments (declared or not), and a prompt show
// that reads the file named by any argument.
func aliasServer(dir string) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "alias", Version: "1"}, nil)
		remove := func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			var args map[string]any
			_ = json.Unmarshal(req.Params.Arguments, &args)
			for _, v := range args {
				names := []any{v}
				if l, ok := v.([]any); ok {
					names = l
				}
				for _, n := range names {
					if name, ok := n.(string); ok {
						_ = os.Remove(filepath.Join(dir, filepath.Base(name)))
					}
				}
			}
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "removed"}}}, nil
		}
		for i, schema := range closedSchemas {
			s.AddTool(&sdk.Tool{Name: fmt.Sprintf("remove%d", i), InputSchema: schema}, remove)
		}
		s.AddPrompt(&sdk.Prompt{Name: "show", Arguments: []*sdk.PromptArgument{{Name: "path"}}},
			func(_ context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
				var out []string
				for _, v := range req.Params.Arguments {
					if b, err := os.ReadFile(filepath.Join(dir, filepath.Base(v))); err == nil {
						out = append(out, string(b))
					}
				}
				return &sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: "read: " + strings.Join(out, ",")}}}}, nil
			})
		return s
	}
}

// TestMCPUndeclaredArgumentsCannotBypassRules: an upstream that acts on
// arguments its schema does not declare (aliases of "path") never acts on
// one: a call carrying a key the tool's input schema (in any of its shapes)
// or the prompt's argument list does not declare is refused as rule
// mcp/argument-key; calls with declared keys only still run.
func TestMCPUndeclaredArgumentsCannotBypassRules(t *testing.T) {
	dir := t.TempDir()
	const secret = "protected-contents"
	for i := range 20 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("protected%d", i)), []byte(secret), 0o600))
	}
	f := newMetadataFixture(t, strings.ReplaceAll(undeclaredRules, `tool.name == "remove"`, `tool.name.startsWith("remove")`), inMemory(aliasServer(dir)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	_, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(7, 8))
	var refused int
	for n := range 300 {
		args := map[string]any{"path": fmt.Sprintf("free%d", n)}
		for k := r.IntN(3) + 1; k > 0; k-- {
			target := fmt.Sprintf("protected%d", r.IntN(20))
			key := aliasKeys[r.IntN(len(aliasKeys))]
			if key == "paths" {
				args[key] = []any{target}
			} else {
				args[key] = target
			}
		}
		if n%3 == 0 {
			pres, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "show", Arguments: map[string]string{"path": "free", aliasKeys[r.IntN(len(aliasKeys))]: "protected1"}})
			if err == nil {
				assert.NotContains(t, promptText(pres), secret, "the prompt read a protected file through an undeclared argument")
			}
		}
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: fmt.Sprintf("remove%d", r.IntN(len(closedSchemas))), Arguments: args})
		if err != nil || res.IsError {
			refused++
		}
	}
	for i := range 20 {
		_, err := os.Stat(filepath.Join(dir, fmt.Sprintf("protected%d", i)))
		assert.NoError(t, err, "protected%d was removed through an undeclared argument", i)
	}
	assert.Equal(t, 300, refused)

	// Declared keys alone still run, under every schema shape.
	for i := range closedSchemas {
		name := fmt.Sprintf("free-declared-%d", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o600))
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: fmt.Sprintf("remove%d", i), Arguments: map[string]any{"path": name}})
		require.NoError(t, err)
		assert.False(t, res.IsError)
		assert.NoFileExists(t, filepath.Join(dir, name), "remove%d ran", i)
	}
	pres, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "show", Arguments: map[string]string{"path": "protected2"}})
	assert.Error(t, err, "the rule still judges the declared argument")
	_ = pres

	var recorded int
	for _, id := range f.rec.Sessions() {
		for _, e := range f.rec.GateEvents(id) {
			if e.Decision != nil && e.Decision.Rule == "mcp/argument-key" {
				recorded++
			}
		}
	}
	assert.GreaterOrEqual(t, recorded, 300, "refusals are recorded as rule mcp/argument-key")
}

func promptText(res *sdk.GetPromptResult) string {
	var b strings.Builder
	for _, m := range res.Messages {
		if tc, ok := m.Content.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// TestDeclaredArgsOfSchemaShapes: which schemas declare a closed set of
// keys, and which admit others (and so are not checked).
func TestDeclaredArgsOfSchemaShapes(t *testing.T) {
	for i, s := range closedSchemas {
		d := toolArgs(&sdk.Tool{InputSchema: s})
		assert.False(t, d.open, "closed schema %d", i)
		_, declared := d.names["path"]
		assert.True(t, declared, "closed schema %d declares path", i)
		k, bad := d.undeclared(map[string]any{"path": "x", "file": "y"})
		assert.True(t, bad)
		assert.Equal(t, "file", k)
	}
	raw, err := json.Marshal(closedSchemas[0])
	require.NoError(t, err)
	assert.False(t, toolArgs(&sdk.Tool{InputSchema: json.RawMessage(raw)}).open, "a schema held as raw JSON is read too")
	open := []any{
		nil,
		map[string]any{"type": "object"},
		map[string]any{"type": "object", "properties": map[string]any{"path": map[string]any{}}, "additionalProperties": true},
		map[string]any{"type": "object", "properties": map[string]any{"path": map[string]any{}}, "additionalProperties": map[string]any{"type": "string"}},
		map[string]any{"type": "object", "properties": map[string]any{"path": map[string]any{}}, "patternProperties": map[string]any{"^x-": map[string]any{}}},
		map[string]any{"type": "object", "properties": map[string]any{"path": map[string]any{}}, "$ref": "https://example.com/schema.json"},
	}
	for i, s := range open {
		assert.True(t, toolArgs(&sdk.Tool{InputSchema: s}).open, "open schema %d", i)
	}
	// Nested objects and arrays of objects are checked as far as their
	// schemas declare keys.
	nested := toolArgs(&sdk.Tool{InputSchema: map[string]any{"type": "object", "properties": map[string]any{
		"opts":  map[string]any{"type": "object", "properties": map[string]any{"dry_run": map[string]any{"type": "boolean"}}},
		"items": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{"id": map[string]any{}}, "additionalProperties": false}},
		"free":  map[string]any{"type": "object"},
	}}})
	for args, want := range map[string]string{
		`{"opts":{"dry_run":true}}`:                  "",
		`{"opts":{"dry_run":true,"force":true}}`:     "opts.force",
		`{"items":[{"id":1},{"id":2,"all":true}]}`:   "items.[1].all",
		`{"free":{"anything":1},"items":[{"id":3}]}`: "",
		`{"opts":"not an object"}`:                   "",
	} {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(args), &v))
		got, bad := nested.undeclared(v)
		assert.Equal(t, want != "", bad, args)
		assert.Equal(t, want, got, args)
	}
	closedEmpty := toolArgs(&sdk.Tool{InputSchema: map[string]any{"type": "object", "additionalProperties": false}})
	_, bad := closedEmpty.undeclared(map[string]any{"x": 1})
	assert.True(t, bad, "a schema closed with no properties takes no arguments")
	_, bad = closedEmpty.undeclared(map[string]any{})
	assert.False(t, bad)
}
