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

	"github.com/airlock-sdk/airlock/internal/jsontext"
)

const argKeyRules = `
default: allow
rules:
  - name: never-customer-one
    when: >
      tool.name == "delete" && (("id" in tool.args && tool.args.id == 1) ||
      ("kind" in tool.args && tool.args.kind == "all") ||
      ("items" in tool.args && tool.args.items.exists(i, "id" in i && i.id == 1)))
    action: deny
`

// deleteArgs is how an upstream written with encoding/json reads the
// arguments: keys matched by Unicode simple folding.
type deleteArgs struct {
	ID    int    `json:"id"`
	Kind  string `json:"kind"`
	Items []struct {
		ID int `json:"id"`
	} `json:"items"`
}

// foldingServer deletes what encoding/json decodes, and counts the
// deletions the rule denies.
func foldingServer(denied, ran *atomic.Int64) func() *sdk.Server {
	return func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "folding", Version: "1"}, nil)
		s.AddTool(&sdk.Tool{Name: "delete", InputSchema: map[string]any{"type": "object"}},
			func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				var a deleteArgs
				_ = json.Unmarshal(req.Params.Arguments, &a)
				ran.Add(1)
				bad := a.ID == 1 || a.Kind == "all"
				for _, it := range a.Items {
					bad = bad || it.ID == 1
				}
				if bad {
					denied.Add(1)
				}
				return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "deleted"}}}, nil
			})
		return s
	}
}

var (
	idSpellings   = []string{"id", "id", "ID", "Id", "iD"}
	kindSpellings = []string{"kind", "kind", "Kind", "KIND", "\u212aind", "kInd"}
	noteSpellings = []string{"note", "Note", "NOTE", "noteſ"}
)

// foldedArgs are random arguments with fold variants of the keys the rule
// reads, duplicates under folding, nested objects and arrays of objects.
func foldedArgs(r *rand.Rand) map[string]any {
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	args := map[string]any{}
	for n := r.IntN(3); n >= 0; n-- {
		args[pick(idSpellings)] = r.IntN(2) + 1
	}
	if r.IntN(2) == 0 {
		args[pick(kindSpellings)] = []string{"all", "one"}[r.IntN(2)]
	}
	if r.IntN(2) == 0 {
		args[pick(noteSpellings)] = "x"
	}
	if r.IntN(2) == 0 {
		var items []any
		for n := r.IntN(3); n > 0; n-- {
			it := map[string]any{}
			for m := r.IntN(2); m >= 0; m-- {
				it[pick(idSpellings)] = r.IntN(2) + 1
			}
			items = append(items, it)
		}
		args[[]string{"items", "items", "Items", "ITEMS"}[r.IntN(4)]] = items
	}
	return args
}

// TestMCPArgumentKeySpellingsCannotBypassRules: however argument keys are
// spelt (ASCII case, the Kelvin sign, duplicates under folding, nested
// objects and arrays of objects), an upstream that decodes with
// encoding/json never acts on an argument the rule did not see; plain
// calls and keys no rule reads ("Note") still pass.
func TestMCPArgumentKeySpellingsCannotBypassRules(t *testing.T) {
	var denied, ran atomic.Int64
	f := newMetadataFixture(t, argKeyRules, inMemory(foldingServer(&denied, &ran)))
	cs, _ := f.connectCaptured(t, nil)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		_, _ = cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete", Arguments: foldedArgs(r)})
	}
	assert.Zero(t, denied.Load(), "the upstream acted on an argument the rule did not see")
	before := ran.Load()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete", Arguments: map[string]any{"id": 2, "Note": "camel", "items": []any{map[string]any{"id": 3}}}})
	require.NoError(t, err)
	assert.False(t, res.IsError)
	assert.Equal(t, before+1, ran.Load(), "a call spelt like the rules runs")
	_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete", Arguments: map[string]any{"ID": 1}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "differs only in case")
	var refusals int
	for _, id := range f.rec.Sessions() {
		for _, e := range f.rec.GateEvents(id) {
			if e.Decision != nil && e.Decision.Rule == "mcp/argument-key" {
				refusals++
			}
		}
	}
	assert.Positive(t, refusals, "refusals are recorded as rule mcp/argument-key")
}

// TestFoldKeyAgreesWithEncodingJSON: two keys fold alike exactly when
// encoding/json decodes one into a field tagged with the other.
func TestFoldKeyAgreesWithEncodingJSON(t *testing.T) {
	keys := []string{"id", "ID", "kind", "\u212aind", "sort", "ſort", "SORT", "ﬀ", "ff", "straße", "STRASSE", "σ", "ς", "Σ", "ǅ", "ǆ", "Ǆ"}
	for _, a := range keys {
		for _, b := range keys {
			doc := []byte(`{` + string(mustJSON(a)) + `:1}`)
			got := decodeIntoTag(t, doc, b)
			assert.Equal(t, got, jsontext.FoldKey(a) == jsontext.FoldKey(b), "%q vs %q", a, b)
		}
	}
}

func mustJSON(s string) []byte { b, _ := json.Marshal(s); return b }

// decodeIntoTag reports whether encoding/json decodes doc's one key into
// a struct field tagged tag.
func decodeIntoTag(t *testing.T, doc []byte, tag string) bool {
	t.Helper()
	typ := reflectStructWithTag(tag)
	v := reflectNew(typ)
	require.NoError(t, json.Unmarshal(doc, v.Interface()))
	return v.Elem().Field(0).Int() == 1
}
