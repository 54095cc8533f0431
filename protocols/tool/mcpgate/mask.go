package mcpgate

import (
	"encoding/json"
	"fmt"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// withheld replaces content the masker cannot inspect (images, audio, blobs)
// when a mask applies: binary data is never passed on unmasked.
const withheld = "[airlock: %s withheld because masking applies to this result]"

// policyFor returns the masking policy of decision d: the gate's
// (d.Masker), or, when the integrator set Config.Masks, that engine's policy
// for d.Mask. A decision that demands masking without a policy is an error:
// the request is refused rather than answered unmasked.
func policyFor(override *mask.Engine, d *gate.Decision) (*mask.Policy, error) {
	if len(d.Mask) == 0 {
		return nil, nil
	}
	if override != nil {
		p, err := override.Policy(d.Mask)
		if err != nil {
			return nil, fmt.Errorf("mcp: masking policy: %w", err)
		}
		return p, nil
	}
	if d.Masker == nil {
		return nil, fmt.Errorf("mcp: the decision demands masking (%v) but carries no masker", d.Mask)
	}
	return d.Masker, nil
}

// masker applies one policy to the parts of a result and collects findings.
// A nil policy passes everything through unchanged.
type masker struct {
	p        *mask.Policy
	findings []mask.Finding
}

func (m *masker) text(s string) (string, error) {
	if m.p == nil || s == "" {
		return s, nil
	}
	out, f, err := m.p.Value("", s)
	if err != nil {
		return "", err
	}
	m.findings = mask.MergeFindings(m.findings, f)
	return out, nil
}

func (m *masker) structured(v any) (any, error) {
	if m.p == nil || v == nil {
		return v, nil
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("structured content: %w", err)
	}
	out, f, err := m.p.JSON(doc)
	if err != nil {
		return nil, err
	}
	m.findings = mask.MergeFindings(m.findings, f)
	return json.RawMessage(out), nil
}

// content masks one content block. _meta is dropped under a mask: it is not
// meant for the model and the masker does not inspect it.
func (m *masker) content(c sdk.Content) (sdk.Content, error) {
	if m.p == nil {
		return c, nil
	}
	switch x := c.(type) {
	case *sdk.TextContent:
		t, err := m.text(x.Text)
		if err != nil {
			return nil, err
		}
		return &sdk.TextContent{Text: t, Annotations: x.Annotations}, nil
	case *sdk.ResourceLink:
		out := &sdk.ResourceLink{MIMEType: x.MIMEType, Size: x.Size, Annotations: x.Annotations}
		var err error
		for _, f := range []struct{ dst, src *string }{{&out.URI, &x.URI}, {&out.Name, &x.Name}, {&out.Title, &x.Title}, {&out.Description, &x.Description}} {
			if *f.dst, err = m.text(*f.src); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *sdk.EmbeddedResource:
		rc, err := m.resource(x.Resource)
		if err != nil {
			return nil, err
		}
		return &sdk.EmbeddedResource{Resource: rc, Annotations: x.Annotations}, nil
	case *sdk.ImageContent:
		return &sdk.TextContent{Text: fmt.Sprintf(withheld, "image content")}, nil
	case *sdk.AudioContent:
		return &sdk.TextContent{Text: fmt.Sprintf(withheld, "audio content")}, nil
	}
	return &sdk.TextContent{Text: fmt.Sprintf(withheld, fmt.Sprintf("content of type %T", c))}, nil
}

func (m *masker) resource(rc *sdk.ResourceContents) (*sdk.ResourceContents, error) {
	if m.p == nil || rc == nil {
		return rc, nil
	}
	out := &sdk.ResourceContents{MIMEType: rc.MIMEType}
	var err error
	if out.URI, err = m.text(rc.URI); err != nil {
		return nil, err
	}
	if len(rc.Blob) > 0 {
		out.MIMEType = "text/plain"
		out.Text = fmt.Sprintf(withheld, "binary resource content")
		return out, nil
	}
	if out.Text, err = m.text(rc.Text); err != nil {
		return nil, err
	}
	return out, nil
}

// contents masks each content item.
func (m *masker) contents(cs []sdk.Content) ([]sdk.Content, error) {
	return maskEach(cs, m.content)
}

// maskEach masks each of items with mask, failing at the first item that
// cannot be masked.
func maskEach[T any](items []T, mask func(T) (T, error)) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		masked, err := mask(it)
		if err != nil {
			return nil, err
		}
		out = append(out, masked)
	}
	return out, nil
}

// callResult masks a tools/call result.
func (m *masker) callResult(r *sdk.CallToolResult) (*sdk.CallToolResult, error) {
	if m.p == nil {
		return r, nil
	}
	cs, err := m.contents(r.Content)
	if err != nil {
		return nil, err
	}
	sc, err := m.structured(r.StructuredContent)
	if err != nil {
		return nil, err
	}
	return &sdk.CallToolResult{Content: cs, StructuredContent: sc, IsError: r.IsError}, nil
}

// readResult masks a resources/read result.
func (m *masker) readResult(r *sdk.ReadResourceResult) (*sdk.ReadResourceResult, error) {
	if m.p == nil {
		return r, nil
	}
	contents, err := maskEach(r.Contents, m.resource)
	if err != nil {
		return nil, err
	}
	return &sdk.ReadResourceResult{Contents: contents}, nil
}

// promptResult masks a prompts/get result.
func (m *masker) promptResult(r *sdk.GetPromptResult) (*sdk.GetPromptResult, error) {
	if m.p == nil {
		return r, nil
	}
	desc, err := m.text(r.Description)
	if err != nil {
		return nil, err
	}
	out := &sdk.GetPromptResult{Description: desc, Messages: make([]*sdk.PromptMessage, 0, len(r.Messages))}
	for _, msg := range r.Messages {
		if msg == nil {
			continue
		}
		c, err := m.content(msg.Content)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, &sdk.PromptMessage{Role: msg.Role, Content: c})
	}
	return out, nil
}
