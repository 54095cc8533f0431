package mcpgate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// captureTransport records every message the client reads, encoded as on
// the wire: what the tests judge is the bytes the client received.
type captureTransport struct {
	t   sdk.Transport
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *captureTransport) Connect(ctx context.Context) (sdk.Connection, error) {
	conn, err := c.t.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &captureConn{Connection: conn, c: c}, nil
}

func (c *captureTransport) bytes() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

type captureConn struct {
	sdk.Connection
	c *captureTransport
}

func (cc *captureConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	m, err := cc.Connection.Read(ctx)
	if m != nil {
		if b, eerr := jsonrpc.EncodeMessage(m); eerr == nil {
			cc.c.mu.Lock()
			cc.c.buf.Write(b)
			cc.c.buf.WriteByte('\n')
			cc.c.mu.Unlock()
		}
	}
	return m, err
}

// inMemory returns an Upstream serving newServer() in memory, one server per
// session.
func inMemory(newServer func() *sdk.Server) func(context.Context) (sdk.Transport, error) {
	return func(context.Context) (sdk.Transport, error) {
		serverEnd, clientEnd := sdk.NewInMemoryTransports()
		go func() { _ = newServer().Run(context.Background(), serverEnd) }()
		return clientEnd, nil
	}
}

// connectCaptured connects an SDK client to the gateway over an in-memory
// stream and returns the session and everything the client read.
func (f *fixture) connectCaptured(t *testing.T, opts *sdk.ClientOptions) (*sdk.ClientSession, *captureTransport) {
	t.Helper()
	ct, st := sdk.NewInMemoryTransports()
	go func() { _ = f.gw.Serve(context.Background(), st) }()
	cap := &captureTransport{t: ct}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test-agent", Version: "0.1"}, opts).Connect(ctx, cap, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs, cap
}

// piiServer puts PII on every surface a server can show a client.
const (
	piiEmail  = "ada@example.com"
	piiCard   = "4111 1111 1111 1111"
	piiEmail2 = "grace.hopper@navy.example.org"
)

func piiServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "crm-" + piiEmail, Title: "CRM of " + piiEmail2, Version: "1.0.0",
		WebsiteURL: "https://crm.example.net/owner/" + piiEmail,
		Icons:      []sdk.Icon{{Source: "https://icons.example.net/" + piiEmail + ".png"}}},
		&sdk.ServerOptions{Instructions: "Escalate to " + piiEmail + " or charge card " + piiCard,
			SubscribeHandler:   func(context.Context, *sdk.SubscribeRequest) error { return nil },
			UnsubscribeHandler: func(context.Context, *sdk.UnsubscribeRequest) error { return nil }})
	schema := map[string]any{
		"type":        "object",
		"description": "Query for " + piiEmail,
		"properties": map[string]any{
			"customer": map[string]any{"type": "string", "description": "e.g. " + piiEmail2,
				"default": piiEmail, "examples": []any{piiEmail2, piiCard}},
			piiEmail: map[string]any{"type": "string"},
		},
	}
	s.AddTool(&sdk.Tool{Name: "lookup", Title: "Lookup " + piiEmail, Description: "Ask " + piiEmail2 + " before using card " + piiCard,
		InputSchema: schema,
		OutputSchema: map[string]any{"type": "object", "description": "owner " + piiEmail,
			"properties": map[string]any{"x": map[string]any{"type": "string", "description": piiCard}}},
		Annotations: &sdk.ToolAnnotations{Title: "annotated " + piiEmail},
		Meta:        sdk.Meta{"owner": piiEmail2},
		Icons:       []sdk.Icon{{Source: "https://icons.example.net/" + piiEmail2}},
	}, func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		// Notifications the server sends the gateway: none may reach the client.
		//lint:ignore SA1019 servers still send log messages; they must not leak
		_ = req.Session.Log(ctx, &sdk.LoggingMessageParams{Level: "error", Data: "log " + piiEmail})
		_ = req.Session.NotifyProgress(ctx, &sdk.ProgressNotificationParams{ProgressToken: "t", Progress: 1, Message: "progress " + piiEmail2})
		_ = s.ResourceUpdated(ctx, &sdk.ResourceUpdatedNotificationParams{URI: "people://" + piiEmail})
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "ok"}}}, nil
	})
	// A tool whose very name is PII is withheld: names must stay exact.
	s.AddTool(&sdk.Tool{Name: "charge_4111111111111111", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "charged"}}}, nil
		})
	s.AddResource(&sdk.Resource{URI: "people://" + piiEmail, Name: "person " + piiEmail2, Title: "Ada " + piiCard,
		Description: "profile of " + piiEmail, MIMEType: "text/plain", Meta: sdk.Meta{"k": piiEmail}},
		func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, Text: "profile"}}}, nil
		})
	s.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: "people://{id}/" + piiEmail, Name: "tpl " + piiEmail2,
		Title: "by " + piiEmail, Description: "template of " + piiCard},
		func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: req.Params.URI, Text: "tpl"}}}, nil
		})
	s.AddPrompt(&sdk.Prompt{Name: "brief", Title: "Brief " + piiEmail, Description: "Write to " + piiEmail2,
		Arguments: []*sdk.PromptArgument{{Name: "who", Title: "who " + piiEmail, Description: "default " + piiCard}}},
		func(ctx context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			return &sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: "hi"}}}}, nil
		})
	return s
}

const metadataRules = listsAllowed + `
  - name: use
    when: request.protocol == "mcp" && tool.kind in ["call", "resource", "prompt"]
    action: allow
  - name: mask-pii
    when: identity.groups.exists(g, g == "agents")
    mask: [email, credit_card]
`

func newMetadataFixture(t *testing.T, rules string, upstream func(context.Context) (sdk.Transport, error)) *fixture {
	t.Helper()
	rs, err := gate.ParseRules("metadata.yaml", []byte(rules))
	require.NoError(t, err)
	f := &fixture{rec: &record.Memory{}, appr: &approval.Memory{}}
	f.gate = gate.New(gate.Config{Rules: rs, Recorder: f.rec, Approver: f.appr})
	f.gw, err = New(Config{Gate: f.gate, Upstream: upstream, Target: "crm", Authenticator: testAuth()})
	require.NoError(t, err)
	return f
}

// everySurface lists, reads and calls everything a client can, so that all
// the server's metadata crosses the gateway.
func everySurface(t *testing.T, cs *sdk.ClientSession) {
	t.Helper()
	ctx := context.Background()
	tools, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	res, err := cs.ListResources(ctx, nil)
	require.NoError(t, err)
	_, err = cs.ListResourceTemplates(ctx, nil)
	require.NoError(t, err)
	_, err = cs.ListPrompts(ctx, nil)
	require.NoError(t, err)
	for _, tl := range tools.Tools {
		p := &sdk.CallToolParams{Name: tl.Name, Arguments: map[string]any{}}
		p.SetProgressToken("t")
		_, _ = cs.CallTool(ctx, p)
	}
	for _, r := range res.Resources {
		_, _ = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: r.URI})
	}
	_, _ = cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "brief", Arguments: map[string]string{"who": "x"}})
}

func assertNoPII(t *testing.T, got string, pii ...string) {
	t.Helper()
	for _, v := range pii {
		assert.NotContains(t, got, v, "PII reached the client")
	}
}

// TestMCPMetadataMasked: every string the upstream puts in front of the
// client (initialize, the four lists, notifications) is masked, judged by
// the bytes the Go SDK client read.
func TestMCPMetadataMasked(t *testing.T) {
	f := newMetadataFixture(t, metadataRules, inMemory(piiServer))
	var notes []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); notes = append(notes, s); mu.Unlock() }
	cs, cap := f.connectCaptured(t, &sdk.ClientOptions{
		//lint:ignore SA1019 a client still listens for log messages
		LoggingMessageHandler:       func(_ context.Context, r *sdk.LoggingMessageRequest) { note(fmt.Sprint(r.Params.Data)) },
		ProgressNotificationHandler: func(_ context.Context, r *sdk.ProgressNotificationClientRequest) { note(r.Params.Message) },
		ResourceUpdatedHandler:      func(_ context.Context, r *sdk.ResourceUpdatedNotificationRequest) { note(r.Params.URI) },
	})
	ir := cs.InitializeResult()
	require.NotNil(t, ir.ServerInfo)
	assert.Contains(t, ir.ServerInfo.Title, "CRM of ", "the rest of the title is kept")
	assert.Contains(t, ir.Instructions, "Escalate to ")

	ctx := context.Background()
	tools, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"lookup"}, names(tools.Tools), "the tool named by a card number is withheld")
	assert.Contains(t, tools.Tools[0].Description, "Ask ")

	everySurface(t, cs)
	got := cap.bytes()
	_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "charge_4111111111111111"})
	require.Error(t, err, "a withheld tool is not callable")
	assert.Contains(t, err.Error(), "unknown tool")
	require.NoError(t, cs.Close())
	for _, want := range []string{`"tools"`, `"resources"`, `"resourceTemplates"`, `"prompts"`, `"instructions"`, `"serverInfo"`} {
		assert.Contains(t, got, want, "the surface was exercised")
	}
	assertNoPII(t, got, piiEmail, piiEmail2, piiCard, "4111111111111111")
	mu.Lock()
	for _, n := range notes {
		assertNoPII(t, n, piiEmail, piiEmail2, piiCard)
	}
	mu.Unlock()

	// The record holds what the client saw, masked.
	waitSessionEnd(t, f)
	for _, e := range f.events(t) {
		b := fmt.Sprintf("%+v %s", e.Request, func() string {
			if e.Output != nil {
				return string(e.Output.Data)
			}
			return ""
		}())
		assertNoPII(t, b, piiEmail, piiEmail2, piiCard)
	}
}

// TestMCPMetadataMaskedHTTP: the same over streamable HTTP, judged by the
// raw response bodies.
func TestMCPMetadataMaskedHTTP(t *testing.T) {
	f := newMetadataFixture(t, metadataRules, inMemory(piiServer))
	srv := httptest.NewServer(f.gw.Handler())
	defer srv.Close()
	var mu sync.Mutex
	var raw bytes.Buffer
	client := &http.Client{Transport: teeBodies{next: bearer{token: "agent-token", next: http.DefaultTransport}, mu: &mu, buf: &raw}}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil).Connect(context.Background(),
		&sdk.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: client}, nil)
	require.NoError(t, err)
	everySurface(t, cs)
	require.NoError(t, cs.Close())
	mu.Lock()
	got := raw.String()
	mu.Unlock()
	assert.Contains(t, got, `"resourceTemplates"`)
	assertNoPII(t, got, piiEmail, piiEmail2, piiCard, "4111111111111111")
}

type teeBodies struct {
	next http.RoundTripper
	mu   *sync.Mutex
	buf  *bytes.Buffer
}

func (tb teeBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := tb.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, lockedWriter{tb.mu, tb.buf}), resp.Body}
	return resp, nil
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// A mask that only some tools' calls get still masks those tools' metadata:
// an item is masked with what a call of it would be masked with.
func TestMCPMetadataMaskedPerItem(t *testing.T) {
	rules := listsAllowed + `
  - name: use
    when: request.protocol == "mcp" && tool.kind == "call"
    action: allow
  - name: mask-lookup
    when: tool.kind == "call" && tool.name == "lookup"
    mask: [email]
`
	f := newMetadataFixture(t, rules, inMemory(piiServer))
	cs, cap := f.connectCaptured(t, nil)
	tools, err := cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	require.Contains(t, names(tools.Tools), "lookup")
	var lookup string
	for _, m := range strings.Split(cap.bytes(), "\n") {
		if strings.Contains(m, `"tools"`) {
			lookup = m
		}
	}
	require.NotEmpty(t, lookup)
	assertNoPII(t, lookup, piiEmail, piiEmail2)
}

// A mask rule written for tool calls only masks the server's description
// of itself too: the instructions are read by the same model.
func TestMCPInitializeMaskedByCallRules(t *testing.T) {
	rules := `
default: deny
rules:
  - name: mask-calls
    when: request.protocol == "mcp" && tool.kind == "call"
    mask: [email, credit_card]
`
	f := newMetadataFixture(t, rules, inMemory(piiServer))
	cs, cap := f.connectCaptured(t, nil)
	ir := cs.InitializeResult()
	assert.Contains(t, ir.Instructions, "Escalate to ")
	require.NoError(t, cs.Close())
	assertNoPII(t, cap.bytes(), piiEmail, piiEmail2, piiCard)
}

// The upstream's error message on a list is masked like the list.
func TestMCPListErrorMasked(t *testing.T) {
	f := newMetadataFixture(t, metadataRules, inMemory(func() *sdk.Server {
		s := piiServer()
		s.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
			return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
				if method == "prompts/list" {
					return nil, &jsonrpc.Error{Code: -32000, Message: "backend down, page " + piiEmail}
				}
				return next(ctx, method, req)
			}
		})
		return s
	}))
	cs, _ := f.connectCaptured(t, nil)
	_, err := cs.ListPrompts(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "backend down")
	assertNoPII(t, err.Error(), piiEmail)
}

// Cursors are the upstream's strings too: the client gets opaque tokens,
// pages still work, and a cursor the gateway did not issue is refused.
func TestMCPCursorsOpaque(t *testing.T) {
	pager := func() *sdk.Server {
		s := sdk.NewServer(&sdk.Implementation{Name: "pager", Version: "1"}, &sdk.ServerOptions{PageSize: 2})
		for i := range 5 {
			s.AddTool(&sdk.Tool{Name: fmt.Sprintf("t%d", i), InputSchema: map[string]any{"type": "object"}},
				func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
					return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "ok"}}}, nil
				})
		}
		return s
	}
	f := newMetadataFixture(t, metadataRules, inMemory(pager))
	cs, _ := f.connectCaptured(t, nil)
	var all []string
	cursor := ""
	for range 10 {
		res, err := cs.ListTools(context.Background(), &sdk.ListToolsParams{Cursor: cursor})
		require.NoError(t, err)
		all = append(all, names(res.Tools)...)
		if res.NextCursor == "" {
			break
		}
		assert.True(t, strings.HasPrefix(res.NextCursor, "airlock-"), res.NextCursor)
		cursor = res.NextCursor
	}
	assert.Equal(t, []string{"t0", "t1", "t2", "t3", "t4"}, all)
	_, err := cs.ListTools(context.Background(), &sdk.ListToolsParams{Cursor: "forged"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown cursor")
}

// piiPlacer puts one PII value on one metadata surface of a server.
type piiPlacer struct {
	name string
	put  func(c *piiConfig, v string) string
}

type piiConfig struct {
	impl                  sdk.Implementation
	instructions          string
	tool                  sdk.Tool
	resource              sdk.Resource
	template              sdk.ResourceTemplate
	prompt                sdk.Prompt
	arg                   sdk.PromptArgument
	schemaDesc, schemaDef string
	propName              string
	outDesc               string
	examples              []any
}

var piiPlacers = []piiPlacer{
	{"serverInfo.name", func(c *piiConfig, v string) string { c.impl.Name += " " + v + " "; return v }},
	{"serverInfo.title", func(c *piiConfig, v string) string { c.impl.Title += " " + v + " "; return v }},
	{"serverInfo.version", func(c *piiConfig, v string) string { c.impl.Version += " " + v + " "; return v }},
	{"serverInfo.websiteUrl", func(c *piiConfig, v string) string { v = uriSafe(v); c.impl.WebsiteURL += "/" + v; return v }},
	{"serverInfo.icon", func(c *piiConfig, v string) string {
		v = uriSafe(v)
		c.impl.Icons = append(c.impl.Icons, sdk.Icon{Source: "https://i/" + v})
		return v
	}},
	{"instructions", func(c *piiConfig, v string) string { c.instructions += " " + v + " "; return v }},
	{"tool.title", func(c *piiConfig, v string) string { c.tool.Title += " " + v + " "; return v }},
	{"tool.description", func(c *piiConfig, v string) string { c.tool.Description += " " + v + " "; return v }},
	{"tool.annotations.title", func(c *piiConfig, v string) string {
		c.tool.Annotations = &sdk.ToolAnnotations{Title: " " + v + " "}
		return v
	}},
	{"tool._meta", func(c *piiConfig, v string) string { c.tool.Meta = sdk.Meta{"x": " " + v + " "}; return v }},
	{"tool.icon", func(c *piiConfig, v string) string {
		v = uriSafe(v)
		c.tool.Icons = append(c.tool.Icons, sdk.Icon{Source: "https://i/" + v})
		return v
	}},
	{"tool.inputSchema.description", func(c *piiConfig, v string) string { c.schemaDesc += " " + v + " "; return v }},
	{"tool.inputSchema.default", func(c *piiConfig, v string) string { c.schemaDef += " " + v + " "; return v }},
	{"tool.inputSchema.propertyName", func(c *piiConfig, v string) string { c.propName += " " + v + " "; return v }},
	{"resource.uri", func(c *piiConfig, v string) string { v = uriSafe(v); c.resource.URI += "/" + v; return v }},
	{"resource.name", func(c *piiConfig, v string) string { c.resource.Name += " " + v + " "; return v }},
	{"resource.title", func(c *piiConfig, v string) string { c.resource.Title += " " + v + " "; return v }},
	{"resource.description", func(c *piiConfig, v string) string { c.resource.Description += " " + v + " "; return v }},
	{"template.uriTemplate", func(c *piiConfig, v string) string { v = uriSafe(v); c.template.URITemplate += "/" + v; return v }},
	{"template.name", func(c *piiConfig, v string) string { c.template.Name += " " + v + " "; return v }},
	{"template.description", func(c *piiConfig, v string) string { c.template.Description += " " + v + " "; return v }},
	{"prompt.title", func(c *piiConfig, v string) string { c.prompt.Title += " " + v + " "; return v }},
	{"prompt.description", func(c *piiConfig, v string) string { c.prompt.Description += " " + v + " "; return v }},
	{"prompt.argument.title", func(c *piiConfig, v string) string { c.arg.Title += " " + v + " "; return v }},
	{"prompt.argument.description", func(c *piiConfig, v string) string { c.arg.Description += " " + v + " "; return v }},
	{"prompt.argument.name", func(c *piiConfig, v string) string { c.arg.Name += " " + v + " "; return v }},
	{"prompt.icon", func(c *piiConfig, v string) string {
		v = uriSafe(v)
		c.prompt.Icons = append(c.prompt.Icons, sdk.Icon{Source: "https://i/" + v})
		return v
	}},
	{"resource.icon", func(c *piiConfig, v string) string {
		v = uriSafe(v)
		c.resource.Icons = append(c.resource.Icons, sdk.Icon{Source: "https://i/" + v})
		return v
	}},
	{"resource._meta", func(c *piiConfig, v string) string { c.resource.Meta = sdk.Meta{"owner": v}; return v }},
	{"template.title", func(c *piiConfig, v string) string { c.template.Title += " " + v + " "; return v }},
	{"tool.outputSchema.description", func(c *piiConfig, v string) string { c.outDesc += " " + v + " "; return v }},
	{"tool.inputSchema.examples", func(c *piiConfig, v string) string { c.examples = append(c.examples, v); return v }},
}

func (c *piiConfig) server() *sdk.Server {
	impl := c.impl
	s := sdk.NewServer(&impl, &sdk.ServerOptions{Instructions: c.instructions})
	tool := c.tool
	tool.InputSchema = map[string]any{"type": "object", "description": c.schemaDesc,
		"properties": map[string]any{"q" + c.propName: map[string]any{"type": "string", "default": c.schemaDef, "examples": c.examples}}}
	tool.OutputSchema = map[string]any{"type": "object", "description": c.outDesc}
	s.AddTool(&tool, func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "ok"}}}, nil
	})
	res := c.resource
	s.AddResource(&res, func(_ context.Context, r *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: r.Params.URI, Text: "x"}}}, nil
	})
	tpl := c.template
	s.AddResourceTemplate(&tpl, func(_ context.Context, r *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
		return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: r.Params.URI, Text: "x"}}}, nil
	})
	p := c.prompt
	arg := c.arg
	p.Arguments = []*sdk.PromptArgument{&arg}
	s.AddPrompt(&p, func(context.Context, *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
		return &sdk.GetPromptResult{Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: "x"}}}}, nil
	})
	return s
}

// uriSafe spells a PII value so that it fits in a URI.
func uriSafe(v string) string { return strings.ReplaceAll(v, " ", "-") }

// randomPII returns an e-mail address or a Luhn-valid card number, spelled
// at random.
func randomPII(rng *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	if rng.IntN(2) == 0 {
		return word(3+rng.IntN(6)) + []string{"", ".", "_", "+"}[rng.IntN(4)] + word(2+rng.IntN(4)) + "@" +
			word(3+rng.IntN(6)) + "." + []string{"com", "org", "net", "io"}[rng.IntN(4)]
	}
	digits := make([]int, 16)
	digits[0] = 4
	for i := 1; i < 15; i++ {
		digits[i] = rng.IntN(10)
	}
	sum := 0
	for i := 14; i >= 0; i-- {
		d := digits[i]
		if (14-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	digits[15] = (10 - sum%10) % 10
	var b strings.Builder
	sep := []string{"", " ", "-"}[rng.IntN(3)]
	for i, d := range digits {
		if i > 0 && i%4 == 0 {
			b.WriteString(sep)
		}
		fmt.Fprint(&b, d)
	}
	return b.String()
}

// TestMCPMetadataPIIGenerator places random PII values on random metadata
// surfaces and asserts none reaches the client raw.
func TestMCPMetadataPIIGenerator(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range 25 {
		c := &piiConfig{impl: sdk.Implementation{Name: "srv", Version: "1"}, tool: sdk.Tool{Name: "tool"},
			resource: sdk.Resource{URI: "res://r", Name: "r"}, template: sdk.ResourceTemplate{URITemplate: "res://{id}", Name: "t"},
			prompt: sdk.Prompt{Name: "p"}, arg: sdk.PromptArgument{Name: "a"}}
		var placed []string
		var where []string
		for range 1 + rng.IntN(4) {
			v := randomPII(rng)
			pl := piiPlacers[rng.IntN(len(piiPlacers))]
			placed, where = append(placed, pl.put(c, v)), append(where, pl.name)
		}
		f := newMetadataFixture(t, metadataRules, inMemory(c.server))
		cs, cap := f.connectCaptured(t, nil)
		everySurface(t, cs)
		require.NoError(t, cs.Close())
		got := cap.bytes()
		for j, v := range placed {
			if strings.Contains(got, v) {
				t.Errorf("iteration %d: %q placed on %s reached the client", i, v, where[j])
			}
		}
	}
}

// TestMCPMetadataEverySurface: one subtest per metadata surface, each with
// an e-mail address and a card number, judged by the bytes the client read.
func TestMCPMetadataEverySurface(t *testing.T) {
	for _, pl := range piiPlacers {
		for _, tc := range []struct{ v, token string }{{"mallory.x@corp.example.com", "[EMAIL]"}, {"4242 4242 4242 4242", "[CREDIT_CARD]"}} {
			v := tc.v
			t.Run(pl.name+"/"+strings.Trim(tc.token, "[]"), func(t *testing.T) {
				c := &piiConfig{impl: sdk.Implementation{Name: "srv", Version: "1"}, tool: sdk.Tool{Name: "tool"},
					resource: sdk.Resource{URI: "res://r", Name: "r"}, template: sdk.ResourceTemplate{URITemplate: "res://{id}", Name: "t"},
					prompt: sdk.Prompt{Name: "p"}, arg: sdk.PromptArgument{Name: "a"}}
				placed := pl.put(c, v)
				f := newMetadataFixture(t, metadataRules, inMemory(c.server))
				cs, cap := f.connectCaptured(t, nil)
				everySurface(t, cs)
				require.NoError(t, cs.Close())
				got := cap.bytes()
				assert.NotContains(t, got, placed, "placed on %s", pl.name)
				assert.Contains(t, got, tc.token, "the value was masked, not dropped")
			})
		}
	}
}
