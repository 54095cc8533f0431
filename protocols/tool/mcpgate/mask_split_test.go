package mcpgate

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/mask"
)

func splitPolicy(t *testing.T) *mask.Policy {
	t.Helper()
	eng, err := mask.New(mask.Config{})
	require.NoError(t, err)
	p, err := eng.Policy([]string{"email", "credit_card"})
	require.NoError(t, err)
	return p
}

// cut splits s at random offsets into n pieces (some may be empty).
func cut(r *rand.Rand, s string, n int) []string {
	var at []int
	for range n - 1 {
		at = append(at, r.IntN(len(s)+1))
	}
	for i := range at {
		for j := i + 1; j < len(at); j++ {
			if at[j] < at[i] {
				at[i], at[j] = at[j], at[i]
			}
		}
	}
	var out []string
	prev := 0
	for _, a := range at {
		out = append(out, s[prev:a])
		prev = a
	}
	return append(out, s[prev:])
}

// TestSplitValuesAcrossBlocksMasked splits a card or an e-mail at random
// offsets across two or three adjacent text blocks of a tool result: read
// as a client shows them (joined, or one per line), the masked blocks must
// hold nothing the policy masks.
func TestSplitValuesAcrossBlocksMasked(t *testing.T) {
	p := splitPolicy(t)
	r := rand.New(rand.NewPCG(17, 3))
	for i := range 500 {
		value := []string{"4111 1111 1111 1111", "ada.lovelace@example.com", "5500000000000004"}[r.IntN(3)]
		pieces := cut(r, "see "+value+" now", 2+r.IntN(2))
		var cs []sdk.Content
		for _, piece := range pieces {
			cs = append(cs, &sdk.TextContent{Text: piece})
		}
		m := &masker{p: p}
		res, err := m.callResult(&sdk.CallToolResult{Content: cs})
		require.NoError(t, err)
		var texts []string
		for _, c := range res.Content {
			texts = append(texts, c.(*sdk.TextContent).Text)
		}
		for _, sep := range []string{"", "\n"} {
			shown := strings.Join(texts, sep)
			if out, _, _ := p.Value("", shown); out != shown {
				t.Fatalf("case %d: pieces %q: the client shows %q", i, pieces, shown)
			}
		}
	}
}

// TestSplitValuesAcrossItemsRefused: in a resource's contents or a
// prompt's messages, a value masking finds only across items fails the
// request (items cannot be joined).
func TestSplitValuesAcrossItemsRefused(t *testing.T) {
	m := &masker{p: splitPolicy(t)}
	_, err := m.readResult(&sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: "x://1", Text: "4111 1111"}, {URI: "x://2", Text: " 1111 1111"}}})
	require.ErrorIs(t, err, errSplitValue)
	_, err = m.promptResult(&sdk.GetPromptResult{Messages: []*sdk.PromptMessage{
		{Role: "user", Content: &sdk.TextContent{Text: "ada.lovelace@exa"}}, {Role: "assistant", Content: &sdk.TextContent{Text: "mple.com"}}}})
	require.ErrorIs(t, err, errSplitValue)
	_, err = m.readResult(&sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: "x://1", Text: "nothing"}, {URI: "x://2", Text: "here"}}})
	require.NoError(t, err)
}

// TestEveryResultStringMasked puts an e-mail in every string a content
// block carries besides its text (MIME types, annotations' lastModified
// and audience) and in a prompt message's role: the masked result, as the
// client receives it, holds no e-mail, or the request fails.
func TestEveryResultStringMasked(t *testing.T) {
	m := &masker{p: splitPolicy(t)}
	const e = "ada@example.com"
	ann := &sdk.Annotations{LastModified: e, Audience: []sdk.Role{e}}
	for _, c := range []sdk.Content{
		&sdk.TextContent{Text: "x", Annotations: ann},
		&sdk.ResourceLink{URI: "x://1", Name: "n", MIMEType: e, Annotations: ann},
		&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "x://1", MIMEType: e, Text: "t"}, Annotations: ann},
	} {
		res, err := m.callResult(&sdk.CallToolResult{Content: []sdk.Content{c}})
		require.NoError(t, err)
		b, err := json.Marshal(res)
		require.NoError(t, err)
		require.NotContains(t, string(b), e, "%T", c)
	}
	rr, err := m.readResult(&sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: "x://1", MIMEType: e, Text: "t"}}})
	require.NoError(t, err)
	b, _ := json.Marshal(rr)
	require.NotContains(t, string(b), e)
	_, err = m.promptResult(&sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: e, Content: &sdk.TextContent{Text: "t"}}}})
	require.Error(t, err)
}

// TestSplitValuesAcrossBlockKindsNeverShown splits a card or an e-mail
// at random offsets across adjacent content blocks of random kinds (a
// text block, an embedded resource's text, a resource link's title, name
// or description) of a tool result and of a prompt's messages: read in
// order as the model reads them (joined, by line or by space), the
// masked result holds nothing the policy masks, or the request fails.
func TestSplitValuesAcrossBlockKindsNeverShown(t *testing.T) {
	p := splitPolicy(t)
	r := rand.New(rand.NewPCG(23, 5))
	block := func(text string) sdk.Content {
		switch r.IntN(5) {
		case 0:
			return &sdk.TextContent{Text: text}
		case 1:
			return &sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "x://r", MIMEType: "text/plain", Text: text}}
		case 2:
			return &sdk.ResourceLink{URI: "x://l", Name: text}
		case 3:
			return &sdk.ResourceLink{URI: "x://l", Name: "n", Title: text}
		default:
			return &sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "x://r", Text: text}}
		}
	}
	shows := func(cs []sdk.Content) []string {
		var texts []string
		for _, c := range cs {
			texts = append(texts, blockTexts(c)...)
		}
		var out []string
		for _, sep := range []string{"", "\n", " "} {
			out = append(out, strings.Join(texts, sep))
		}
		return out
	}
	for i := range 600 {
		value := []string{"4111 1111 1111 1111", "ada.lovelace@example.com", "5500000000000004"}[r.IntN(3)]
		pieces := cut(r, value, 2)
		var cs []sdk.Content
		for _, piece := range pieces {
			cs = append(cs, block(piece))
		}
		m := &masker{p: p}
		if res, err := m.callResult(&sdk.CallToolResult{Content: cs}); err == nil {
			for _, shown := range shows(res.Content) {
				if out, _, _ := p.Value("", shown); out != shown {
					t.Fatalf("case %d: tool result pieces %q: the model reads %q", i, pieces, shown)
				}
			}
		}
		var msgs []*sdk.PromptMessage
		for _, c := range cs {
			msgs = append(msgs, &sdk.PromptMessage{Role: "user", Content: c})
		}
		if res, err := m.promptResult(&sdk.GetPromptResult{Messages: msgs}); err == nil {
			var got []sdk.Content
			for _, msg := range res.Messages {
				got = append(got, msg.Content)
			}
			for _, shown := range shows(got) {
				if out, _, _ := p.Value("", shown); out != shown {
					t.Fatalf("case %d: prompt pieces %q: the model reads %q", i, pieces, shown)
				}
			}
		}
	}
}
