package mcpgate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// errSplitValue refuses a result whose items (a resource's contents, a
// prompt's messages) hold a value masking finds only across items: they
// cannot be joined without changing what the result means.
var errSplitValue = errors.New("mcp: a masked value spans items of the result")

// refuseEncoded refuses text, under a mask, that holds packed data
// encoded (the base64 or hex of a gzip, zip or xlsx file, a PDF: see
// internal/packed): the masker reads the encoding, not what the client
// unpacks. The result is withheld, as binary content is.
func refuseEncoded(text string) error {
	if name := packed.Encoded([]byte(text)); name != "" {
		return fmt.Errorf("mcp: the result holds encoded %s data, which masking cannot read", name)
	}
	return refuseLatin1(text)
}

// refuseLatin1 refuses text that holds packed data as characters up to
// U+00FF ("\u001f\u008b\u0008..."), which a client encodes back to
// bytes (see packed.Latin1).
func refuseLatin1(text string) error {
	if name := packed.Latin1Strings(text); name != "" {
		return fmt.Errorf("mcp: the result holds %s data as characters, which masking cannot read", name)
	}
	return nil
}

// refuseLatin1In is refuseLatin1 for every string of v, structured
// content decoded from JSON (whose escapes hide the characters).
func refuseLatin1In(v any) error {
	if name := packed.Latin1Strings(v); name != "" {
		return fmt.Errorf("mcp: the result holds %s data as characters, which masking cannot read", name)
	}
	return nil
}

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
	if err := refuseEncoded(s); err != nil {
		return "", err
	}
	out, f, err := m.p.Value("", s)
	if err != nil {
		return "", err
	}
	if err := m.readings(out); err != nil {
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
	if err := refuseEncoded(string(doc)); err != nil {
		return nil, err
	}
	var decoded any
	if err := json.Unmarshal(doc, &decoded); err != nil {
		return nil, fmt.Errorf("structured content: %w", err)
	}
	if err := refuseLatin1In(decoded); err != nil {
		return nil, err
	}
	out, f, err := m.p.JSON(doc)
	if err != nil {
		return nil, err
	}
	if err := m.readingsIn(out); err != nil {
		return nil, err
	}
	m.findings = mask.MergeFindings(m.findings, f)
	return json.RawMessage(out), nil
}

// content masks one content block. _meta and annotations are dropped under
// a mask: they are hints for the client, not the model, and their strings
// (lastModified, audience) would otherwise pass unread; MIME types are
// masked like text.
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
		return &sdk.TextContent{Text: t}, nil
	case *sdk.ResourceLink:
		out := &sdk.ResourceLink{Size: x.Size}
		var err error
		for _, f := range []struct{ dst, src *string }{{&out.URI, &x.URI}, {&out.Name, &x.Name}, {&out.Title, &x.Title},
			{&out.Description, &x.Description}, {&out.MIMEType, &x.MIMEType}} {
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
		return &sdk.EmbeddedResource{Resource: rc}, nil
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
	out := &sdk.ResourceContents{}
	var err error
	if out.URI, err = m.text(rc.URI); err != nil {
		return nil, err
	}
	if out.MIMEType, err = m.text(rc.MIMEType); err != nil {
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

// contents masks each content item, then each run of adjacent text blocks
// as one text (joinedText): a value split across blocks is masked too.
func (m *masker) contents(cs []sdk.Content) ([]sdk.Content, error) {
	out, err := maskEach(cs, m.content)
	if err != nil || m.p == nil {
		return out, err
	}
	var merged []sdk.Content
	for i := 0; i < len(out); {
		j := i
		var texts []string
		for j < len(out) {
			tc, ok := out[j].(*sdk.TextContent)
			if !ok {
				break
			}
			texts = append(texts, tc.Text)
			j++
		}
		if j == i {
			merged = append(merged, out[i])
			i++
			continue
		}
		if joined, split, err := m.joinedText(texts); err != nil {
			return nil, err
		} else if split {
			merged = append(merged, &sdk.TextContent{Text: joined})
		} else {
			merged = append(merged, out[i:j]...)
		}
		i = j
	}
	// The model reads every block's text in order, not only runs of text
	// blocks: a value split across a text block and an embedded
	// resource or a resource link cannot be joined into one block.
	var texts []string
	for _, c := range merged {
		texts = append(texts, blockTexts(c)...)
	}
	if _, split, err := m.joinedText(texts); err != nil || split {
		return nil, errSplitValue
	}
	return merged, nil
}

// blockTexts returns the texts a client reads in a (masked) content
// block, in the order it shows them.
func blockTexts(c sdk.Content) []string {
	var out []string
	add := func(ss ...string) {
		for _, s := range ss {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	switch x := c.(type) {
	case *sdk.TextContent:
		add(x.Text)
	case *sdk.ResourceLink:
		add(x.Title, x.Name, x.Description, x.URI)
	case *sdk.EmbeddedResource:
		if x.Resource != nil {
			add(x.Resource.URI, x.Resource.Text)
		}
	}
	return out
}

// joinedText checks texts, each already masked, read as one: joined with
// nothing and with newlines, as a client may show them. When masking the
// joined text would change it, a value spans pieces: it returns the joined
// text masked and true. Otherwise the pieces stand as they are.
func (m *masker) joinedText(texts []string) (string, bool, error) {
	if len(texts) < 2 {
		return "", false, nil
	}
	for _, sep := range []string{"", "\n", " "} {
		joined := strings.Join(texts, sep)
		out, err := m.text(joined)
		if err != nil {
			return "", false, err
		}
		if out != joined {
			return out, true, nil
		}
	}
	return "", false, nil
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
	texts := make([]string, 0, len(contents))
	for _, c := range contents {
		if c != nil && c.Text != "" {
			texts = append(texts, c.Text)
		}
	}
	if _, split, err := m.joinedText(texts); err != nil || split {
		return nil, errSplitValue
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
		if msg.Role != "user" && msg.Role != "assistant" {
			return nil, fmt.Errorf("mcp: a prompt message with role %q", msg.Role)
		}
		c, err := m.content(msg.Content)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, &sdk.PromptMessage{Role: msg.Role, Content: c})
	}
	var texts []string
	for _, msg := range out.Messages {
		texts = append(texts, blockTexts(msg.Content)...)
	}
	if _, split, err := m.joinedText(texts); err != nil || split {
		return nil, errSplitValue
	}
	return out, nil
}
