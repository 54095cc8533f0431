package mcpgate

import (
	"context"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

func inMemoryUpstream(context.Context) (sdk.Transport, error) {
	serverEnd, clientEnd := sdk.NewInMemoryTransports()
	go func() { _ = customersServer().Run(context.Background(), serverEnd) }()
	return clientEnd, nil
}

// benchClient returns a client connected straight to the upstream, or
// through the gateway.
func benchClient(b *testing.B, gated bool) *sdk.ClientSession {
	b.Helper()
	ctx := context.Background()
	c := sdk.NewClient(&sdk.Implementation{Name: "bench", Version: "1"}, nil)
	var t sdk.Transport
	if gated {
		rs, err := gate.ParseRules("test.yaml", []byte(testRules))
		if err != nil {
			b.Fatal(err)
		}
		gw, err := New(Config{Gate: gate.New(gate.Config{Rules: rs, Recorder: &record.Memory{}}), Upstream: inMemoryUpstream, Authenticator: gate.StaticIdentity(agent)})
		if err != nil {
			b.Fatal(err)
		}
		agentEnd, gatewayEnd := sdk.NewInMemoryTransports()
		go func() { _ = gw.Serve(ctx, gatewayEnd) }()
		t = agentEnd
	} else {
		var err error
		if t, err = inMemoryUpstream(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cs, err := c.Connect(ctx, t, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cs.Close() })
	return cs
}

func benchCall(b *testing.B, gated bool, name string) {
	cs := benchClient(b, gated)
	ctx := context.Background()
	params := &sdk.CallToolParams{Name: name, Arguments: map[string]any{"id": 1}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := cs.CallTool(ctx, params)
		if err != nil || res.IsError {
			b.Fatal(err, res)
		}
	}
}

// BenchmarkCallDirect is the baseline: the client talks to the upstream.
func BenchmarkCallDirect(b *testing.B) { benchCall(b, false, "read_customer") }

// BenchmarkCallGated: judged, masked (e-mail, card, in text and
// structuredContent) and recorded in memory.
func BenchmarkCallGated(b *testing.B) { benchCall(b, true, "read_customer") }

func BenchmarkListDirect(b *testing.B) { benchList(b, false) }

// BenchmarkListGated includes one probe per listed tool.
func BenchmarkListGated(b *testing.B) { benchList(b, true) }

func benchList(b *testing.B, gated bool) {
	cs := benchClient(b, gated)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := cs.ListTools(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGatewayWork is the gateway's own work for one call, without
// transports: decode the arguments, probe the discovery filter, judge,
// build the masker, mask text and structuredContent, record the result.
func BenchmarkGatewayWork(b *testing.B) {
	rs, err := gate.ParseRules("test.yaml", []byte(testRules))
	if err != nil {
		b.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Recorder: &record.Memory{}})
	gw, err := New(Config{Gate: g, Upstream: inMemoryUpstream, Authenticator: gate.StaticIdentity(agent)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	conn, err := g.Open(ctx, gate.Session{Protocol: gate.ProtocolMCP, Identity: agent})
	if err != nil {
		b.Fatal(err)
	}
	gs := conn.Session()
	s := &session{g: gw, conn: conn, gs: gs}
	upstream := &sdk.CallToolResult{
		Content:           []sdk.Content{&sdk.TextContent{Text: "customer 1: Ada Lovelace <ada@example.com>, card 4111 1111 1111 1111"}},
		StructuredContent: map[string]any{"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "card": "4111 1111 1111 1111"},
	}
	raw := []byte(`{"id":1}`)
	b.ReportAllocs()
	for b.Loop() {
		args, _, err := decodeArgs(raw)
		if err != nil {
			b.Fatal(err)
		}
		req, _ := callRequest(gs, kindCall, "read_customer", args)
		probe := probeRequest(gs, kindCall, "read_customer")
		d, m, refusal := s.admit(ctx, req, probe, nil)
		if refusal != "" {
			b.Fatal(refusal)
		}
		res, err := m.callResult(upstream)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.reply(ctx, d, "result", res, m.findings); err != nil {
			b.Fatal(err)
		}
	}
}
