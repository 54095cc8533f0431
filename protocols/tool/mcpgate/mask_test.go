package mcpgate

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

func testPolicy(t *testing.T) *mask.Policy {
	t.Helper()
	eng, err := mask.New(mask.Config{})
	require.NoError(t, err)
	p, err := eng.Policy([]string{"email"})
	require.NoError(t, err)
	return p
}

func TestMaskContentKinds(t *testing.T) {
	m := &masker{p: testPolicy(t)}
	cases := []struct {
		in   sdk.Content
		want string
	}{
		{&sdk.TextContent{Text: "mail ada@example.com", Meta: sdk.Meta{"x": "ada@example.com"}}, `"text":"mail [EMAIL]"`},
		{&sdk.ResourceLink{URI: "mailto:ada@example.com", Name: "ada@example.com", Description: "ada@example.com"}, `[EMAIL]`},
		{&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "x://1", Text: "ada@example.com"}}, `"text":"[EMAIL]"`},
		{&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "x://1", Blob: []byte("ada@example.com")}}, `withheld`},
		{&sdk.ImageContent{MIMEType: "image/png", Data: []byte("ada@example.com")}, `withheld`},
		{&sdk.AudioContent{MIMEType: "audio/wav", Data: []byte("ada@example.com")}, `withheld`},
	}
	for _, c := range cases {
		out, err := m.content(c.in)
		require.NoError(t, err)
		b, err := json.Marshal(out)
		require.NoError(t, err)
		assert.Contains(t, string(b), c.want, "%T", c.in)
		assert.NotContains(t, string(b), "ada@example.com", "%T", c.in)
		assert.NotContains(t, string(b), "ZGEu", "%T: no base64 of the data", c.in)
	}
	assert.NotEmpty(t, m.findings)

	// No policy: everything passes through untouched.
	none := &masker{}
	img := &sdk.ImageContent{MIMEType: "image/png", Data: []byte("x")}
	out, err := none.content(img)
	require.NoError(t, err)
	assert.Same(t, img, out)
}

func TestMaskResults(t *testing.T) {
	m := &masker{p: testPolicy(t)}
	rr, err := m.readResult(&sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: "x://1", Text: "ada@example.com"}, {URI: "x://2", Blob: []byte{1, 2}}}})
	require.NoError(t, err)
	b, _ := json.Marshal(rr)
	assert.NotContains(t, string(b), "ada@example.com")
	assert.Contains(t, string(b), "withheld")

	pr, err := m.promptResult(&sdk.GetPromptResult{Description: "for ada@example.com", Messages: []*sdk.PromptMessage{nil, {Role: "user", Content: &sdk.TextContent{Text: "ada@example.com"}}}})
	require.NoError(t, err)
	b, _ = json.Marshal(pr)
	assert.NotContains(t, string(b), "ada@example.com")

	cr, err := m.callResult(&sdk.CallToolResult{StructuredContent: map[string]any{"contact": map[string]any{"email": "ada@example.com"}}})
	require.NoError(t, err)
	b, _ = json.Marshal(cr)
	assert.NotContains(t, string(b), "ada@example.com")

	_, err = m.callResult(&sdk.CallToolResult{StructuredContent: func() {}})
	assert.Error(t, err, "what cannot be inspected is not passed on")

	msg := upstreamFailure(&jsonrpc.Error{Code: 1, Message: "no row for ada@example.com"}, m)
	assert.NotContains(t, msg, "ada@example.com")
}

func TestPolicyFor(t *testing.T) {
	p, err := policyFor(nil, &gate.Decision{})
	assert.NoError(t, err)
	assert.Nil(t, p)
	_, err = policyFor(nil, &gate.Decision{Mask: []string{"email"}})
	assert.Error(t, err, "a decision that demands masking but carries no masker is refused")
	eng, err := mask.New(mask.Config{})
	require.NoError(t, err)
	p, err = policyFor(eng, &gate.Decision{Mask: []string{"email"}})
	assert.NoError(t, err)
	assert.NotNil(t, p)
	_, err = policyFor(eng, &gate.Decision{Mask: []string{"no_such_detector"}})
	assert.Error(t, err)
}

// Lists are judged too: a rule set that does not allow them refuses with a
// JSON-RPC error, and a refused list shows nothing.
func TestListDenied(t *testing.T) {
	rs, err := gate.ParseRules("r.yaml", []byte(`
default: deny
rules:
  - name: calls-only
    when: request.protocol == "mcp" && tool.kind == "call"
    action: allow
`))
	require.NoError(t, err)
	f := newFixture(t, gate.Hold, upstreamCommand())
	f.gate.SetRules(rs)
	cs, _ := f.connectStdio(t, nil)
	_, err = cs.ListTools(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `denied by rule "default"`)
	_, err = cs.ListResourceTemplates(context.Background(), nil)
	require.Error(t, err)
}

func TestListResourceTemplates(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs, _ := f.connectStdio(t, nil)
	res, err := cs.ListResourceTemplates(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, res.ResourceTemplates)
}
