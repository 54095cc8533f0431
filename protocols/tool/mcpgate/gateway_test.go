package mcpgate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

// listsAllowed opens the tests' rule files: every list is allowed.
const listsAllowed = `
default: deny
rules:
  - name: lists
    when: request.protocol == "mcp" && tool.kind == "list"
    action: allow`

const testRules = listsAllowed + `
  - name: read-tools
    when: request.protocol == "mcp" && tool.kind == "call" && tool.name in ["read_customer", "crash", "photo", "slow"]
    action: allow
  - name: delete-needs-review
    when: request.protocol == "mcp" && tool.kind == "call" && tool.name == "delete_customer"
    action: review
    reason: deleting a customer needs a human
  - name: never-delete-customer-one
    when: request.protocol == "mcp" && tool.name == "delete_customer" && "id" in tool.args && tool.args.id == 1
    action: deny
    reason: customer 1 is protected
  - name: no-admin
    when: request.protocol == "mcp" && tool.name.startsWith("admin_")
    action: deny
    reason: admin tools are for humans
  - name: customer-resources
    when: request.protocol == "mcp" && tool.kind == "resource" && tool.uri.startsWith("customers://")
    action: allow
  - name: prompts
    when: request.protocol == "mcp" && tool.kind == "prompt" && tool.name == "summarize"
    action: allow
  - name: mask-pii
    when: request.protocol == "mcp" && identity.groups.exists(g, g == "agents")
    mask: [email, credit_card]
`

var agent = gate.Identity{Subject: "agent-7", Name: "coding agent", Groups: []string{"agents"}, Kind: gate.KindAgent}

var reviewer = gate.Identity{Subject: "alice", Name: "Alice", Kind: gate.KindHuman}

type fixture struct {
	gate *gate.Gate
	rec  *record.Memory
	appr *approval.Memory
	gw   *Gateway
}

func newFixture(t *testing.T, mode gate.ReviewMode, upstream func(context.Context) (sdk.Transport, error)) *fixture {
	t.Helper()
	return newFixtureWith(t, mode, upstream, nil)
}

// newFixtureWith is newFixture whose gate records through wrap(f.rec)
// when wrap is set.
func newFixtureWith(t *testing.T, mode gate.ReviewMode, upstream func(context.Context) (sdk.Transport, error), wrap func(*record.Memory) gate.Recorder) *fixture {
	t.Helper()
	rs, err := gate.ParseRules("test.yaml", []byte(testRules))
	require.NoError(t, err)
	f := &fixture{rec: &record.Memory{}, appr: &approval.Memory{}}
	var rec gate.Recorder = f.rec
	if wrap != nil {
		rec = wrap(f.rec)
	}
	f.gate = gate.New(gate.Config{Rules: rs, Recorder: rec, Approver: f.appr, ReviewMode: mode})
	f.gw, err = New(Config{
		Gate: f.gate, Upstream: upstream, Target: "customers", Authenticator: testAuth(),
		ProgressInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	return f
}

// eventsOf returns the recorded events of the given kinds (all when none
// is given), all sessions.
func (f *fixture) eventsOf(kinds ...gate.EventKind) []gate.Event {
	return gatetest.Events(f.rec, kinds...)
}

// testAuth is the fixtures' Authenticator: a client on a stream transport
// (no token) is the agent; over HTTP, tokens are looked up in a table.
func testAuth() gate.Authenticator {
	tokens := gate.Tokens(map[string]gate.Identity{
		"agent-token": agent,
		"other-token": {Subject: "mallory", Groups: []string{"agents"}},
	})
	return gate.AuthenticatorFunc(func(ctx context.Context, c gate.Credential) (gate.Identity, error) {
		if c.Token == "" {
			return agent, nil
		}
		return tokens.Authenticate(ctx, c)
	})
}

// connectStdio serves one in-process client session through the gateway
// (the upstream is whatever the fixture spawns) and returns the client.
func (f *fixture) connectStdio(t *testing.T, opts *sdk.ClientOptions) (*sdk.ClientSession, <-chan error) {
	t.Helper()
	ct, st := sdk.NewInMemoryTransports()
	served := make(chan error, 1)
	go func() { served <- f.gw.Serve(context.Background(), st) }()
	c := sdk.NewClient(&sdk.Implementation{Name: "test-agent", Version: "0.1"}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, ct, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs, served
}

// connectHTTP starts the gateway's HTTP endpoint and connects a Go SDK
// client with the given bearer token.
func (f *fixture) connectHTTP(t *testing.T, token string, opts *sdk.ClientOptions) *sdk.ClientSession {
	t.Helper()
	srv := httptest.NewServer(f.gw.Handler())
	t.Cleanup(srv.Close)
	c := sdk.NewClient(&sdk.Implementation{Name: "test-agent-http", Version: "0.1"}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: bearerClient(token)}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func bearerClient(token string) *http.Client {
	return &http.Client{Transport: bearer{token: token, next: http.DefaultTransport}}
}

func text(t *testing.T, res *sdk.CallToolResult) string {
	t.Helper()
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func names(tools []*sdk.Tool) []string {
	var out []string
	for _, t := range tools {
		out = append(out, t.Name)
	}
	return out
}

// events returns the recorded events of the only session.
func (f *fixture) events(t *testing.T) []gate.Event {
	t.Helper()
	ids := f.rec.Sessions()
	require.Len(t, ids, 1)
	return f.rec.GateEvents(ids[0])
}

func waitSessionEnd(t *testing.T, f *fixture) gate.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ends := f.eventsOf(gate.EventSessionEnd); len(ends) > 0 {
			return ends[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no session_end recorded")
	return gate.Event{}
}

// exercise runs the common scenario over one client session: filtered list,
// masked read, denied call, hidden tool.
func exercise(t *testing.T, cs *sdk.ClientSession) {
	ctx := context.Background()
	tools, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"read_customer", "delete_customer", "crash", "photo", "slow"}, names(tools.Tools))

	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 1}})
	require.NoError(t, err)
	assert.False(t, res.IsError, text(t, res))
	got := text(t, res)
	assert.Contains(t, got, "Ada Lovelace")
	assert.NotContains(t, got, "ada@example.com")
	assert.NotContains(t, got, "4111 1111 1111 1111")
	sc, _ := json.Marshal(res.StructuredContent)
	assert.NotContains(t, string(sc), "ada@example.com")
	assert.NotContains(t, string(sc), "4111")
	assert.Contains(t, string(sc), "Ada Lovelace")

	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete_customer", Arguments: map[string]any{"id": 1}})
	require.NoError(t, err)
	assert.True(t, res.IsError)
	assert.Contains(t, text(t, res), `denied by rule "never-delete-customer-one": customer 1 is protected`)

	// A hidden tool is not advertised, so it is refused before the rules.
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "admin_reset", Arguments: map[string]any{}})
	require.Error(t, err)
	assert.Nil(t, res)
	assert.Contains(t, err.Error(), `unknown tool admin_reset`)
	assert.NotContains(t, err.Error(), "wiped")
}

func TestStdioUpstreamSubprocess(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs, served := f.connectStdio(t, nil)
	assert.Equal(t, "customers", cs.InitializeResult().ServerInfo.Name)
	exercise(t, cs)
	require.NoError(t, cs.Close())
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the client closed")
	}
	evs := f.events(t)
	kinds := map[gate.EventKind]int{}
	for _, e := range evs {
		kinds[e.Kind]++
	}
	assert.Equal(t, 1, kinds[gate.EventSessionStart])
	assert.Equal(t, 1, kinds[gate.EventSessionEnd])
	assert.Equal(t, 1, kinds[gate.EventRequest], "initialize handshake")
	assert.Equal(t, 4, kinds[gate.EventDecision], "one list and three calls")
	assert.Equal(t, 4, kinds[gate.EventOutput])

	hs := evs[1]
	require.Equal(t, gate.EventRequest, hs.Kind)
	assert.Contains(t, string(hs.Request.Payload), `"test-agent"`)
	assert.Contains(t, string(hs.Request.Payload), `"customers"`)
	for _, e := range evs {
		if e.Kind == gate.EventOutput {
			assert.NotContains(t, string(e.Output.Data), "ada@example.com", "the record holds what the client saw, masked")
		}
	}
	assert.Equal(t, gate.EventSessionEnd, evs[len(evs)-1].Kind)
}

func TestHTTPDownstream(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs := f.connectHTTP(t, "agent-token", nil)
	exercise(t, cs)
	require.NoError(t, cs.Close())
	end := waitSessionEnd(t, f)
	assert.Equal(t, "agent-7", end.Identity.Subject)
}

func TestHTTPUpstreamURL(t *testing.T) {
	up := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return customersServer() }, nil))
	defer up.Close()
	f := newFixture(t, gate.Hold, URL(up.URL, nil))
	cs := f.connectHTTP(t, "agent-token", nil)
	exercise(t, cs)
}

func TestHTTPAuthentication(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	srv := httptest.NewServer(f.gw.Handler())
	defer srv.Close()
	for _, tok := range []string{"", "wrong"} {
		c := sdk.NewClient(&sdk.Implementation{Name: "x", Version: "1"}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: bearerClient(tok), MaxRetries: -1}, nil)
		cancel()
		require.Error(t, err, "token %q", tok)
	}
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Empty(t, openedSessions(f), "nothing opened for unauthenticated clients (only refusals recorded)")
}

// A token of another subject cannot ride an existing session.
func TestHTTPSessionBoundToSubject(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	srv := httptest.NewServer(f.gw.Handler())
	defer srv.Close()
	sid, _ := rawInitialize(t, srv.URL, "agent-token")
	body := rawPost(t, srv.URL, "other-token", sid, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_customer","arguments":{"id":1}}}`)
	assert.Contains(t, body, "does not belong to this session")
	assert.NotContains(t, body, "Ada")
}

func TestHeldApproved(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	var mu sync.Mutex
	progress := 0
	cs, _ := f.connectStdio(t, &sdk.ClientOptions{ProgressNotificationHandler: func(context.Context, *sdk.ProgressNotificationClientRequest) {
		mu.Lock()
		progress++
		mu.Unlock()
	}})
	go func() {
		p, err := f.appr.WaitPending(context.Background())
		if err != nil {
			return
		}
		time.Sleep(300 * time.Millisecond) // long enough for progress notifications
		_, _ = f.appr.Approve(context.Background(), p.ID, reviewer, "ok")
	}()
	params := &sdk.CallToolParams{Name: "delete_customer", Arguments: map[string]any{"id": 2}}
	params.SetProgressToken("tok-1")
	res, err := cs.CallTool(context.Background(), params)
	require.NoError(t, err)
	assert.False(t, res.IsError, text(t, res))
	assert.Equal(t, "deleted customer 2", text(t, res))
	mu.Lock()
	assert.Positive(t, progress, "progress notifications while held")
	mu.Unlock()
}

func TestHeldDenied(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs := f.connectHTTP(t, "agent-token", nil)
	go func() {
		p, err := f.appr.WaitPending(context.Background())
		if err == nil {
			_, _ = f.appr.Deny(context.Background(), p.ID, reviewer, "not today")
		}
	}()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "delete_customer", Arguments: map[string]any{"id": 2}})
	require.NoError(t, err)
	assert.True(t, res.IsError)
	assert.Contains(t, text(t, res), "denied by review: not today")
	assert.NotContains(t, text(t, res), "deleted")
}

func TestRefuseThenRetry(t *testing.T) {
	f := newFixture(t, gate.RefuseThenRetry, upstreamCommand())
	cs, _ := f.connectStdio(t, nil)
	ctx := context.Background()
	call := func() *sdk.CallToolResult {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete_customer", Arguments: map[string]any{"id": 2}})
		require.NoError(t, err)
		return res
	}
	res := call()
	assert.True(t, res.IsError)
	msg := text(t, res)
	assert.Contains(t, msg, "held for review")
	pend, _ := f.appr.Pending(context.Background())
	require.Len(t, pend, 1)
	assert.Contains(t, msg, pend[0].ID, "the approval id is in the error text")
	_, err := f.appr.Approve(ctx, pend[0].ID, reviewer, "fine")
	require.NoError(t, err)
	res = call()
	assert.False(t, res.IsError, text(t, res))
	assert.Equal(t, "deleted customer 2", text(t, res))
	res = call()
	assert.True(t, res.IsError, "an approval is used once")
}

func TestFilteredResourcesAndPrompts(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs, _ := f.connectStdio(t, nil)
	ctx := context.Background()
	rl, err := cs.ListResources(ctx, nil)
	require.NoError(t, err)
	var uris []string
	for _, r := range rl.Resources {
		uris = append(uris, r.URI)
	}
	assert.ElementsMatch(t, []string{"customers://1", "customers://2"}, uris)
	rr, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "customers://1"})
	require.NoError(t, err)
	require.Len(t, rr.Contents, 1)
	assert.Contains(t, rr.Contents[0].Text, "Ada Lovelace")
	assert.NotContains(t, rr.Contents[0].Text, "ada@example.com")
	_, err = cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "secrets://root"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown resource secrets://root`, "hidden, so not advertised")
	assert.NotContains(t, err.Error(), "hunter2")

	pl, err := cs.ListPrompts(ctx, nil)
	require.NoError(t, err)
	require.Len(t, pl.Prompts, 1)
	assert.Equal(t, "summarize", pl.Prompts[0].Name)
	pr, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "summarize", Arguments: map[string]string{"id": "1"}})
	require.NoError(t, err)
	got := pr.Messages[0].Content.(*sdk.TextContent).Text
	assert.Contains(t, got, "Summarise customer 1")
	assert.NotContains(t, got, "ada@example.com")
	_, err = cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "admin_prompt"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown prompt admin_prompt`, "hidden, so not advertised")
}

func TestBinaryContentWithheldUnderMask(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs, _ := f.connectStdio(t, nil)
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "photo", Arguments: map[string]any{}})
	require.NoError(t, err)
	require.Len(t, res.Content, 1)
	_, isImage := res.Content[0].(*sdk.ImageContent)
	assert.False(t, isImage)
	assert.Contains(t, text(t, res), "withheld")
}

func TestUpstreamCrashMidCall(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs, served := f.connectStdio(t, nil)
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "crash", Arguments: map[string]any{}})
	require.NoError(t, err)
	assert.True(t, res.IsError)
	assert.Contains(t, text(t, res), "upstream server failed")
	select {
	case err := <-served:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "upstream server exited")
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the upstream died")
	}
	end := waitSessionEnd(t, f)
	assert.Contains(t, end.Session.Reason, "upstream server exited")
	evs := f.events(t)
	assert.Equal(t, gate.EventSessionEnd, evs[len(evs)-1].Kind)
	var sawOutput bool
	for _, e := range evs {
		if e.Kind == gate.EventOutput && strings.Contains(string(e.Output.Data), "upstream server failed") {
			sawOutput = true
		}
	}
	assert.True(t, sawOutput, "the error result is recorded before the session end")
}

func TestUpstreamUnavailable(t *testing.T) {
	f := newFixture(t, gate.Hold, Command(nil, nil, "/nonexistent/mcp-server"))
	ct, st := sdk.NewInMemoryTransports()
	go func() { _ = f.gw.Serve(context.Background(), st) }()
	c := sdk.NewClient(&sdk.Implementation{Name: "x", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Connect(ctx, ct, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "upstream server is unavailable")
	end := waitSessionEnd(t, f)
	assert.Contains(t, end.Session.Reason, "upstream unavailable")
}

func TestRecorderFailureRefuses(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs, _ := f.connectStdio(t, nil)
	f.rec.SetErr(errors.New("disk full"))
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 1}})
	require.NoError(t, err)
	assert.True(t, res.IsError)
	assert.Contains(t, text(t, res), "could not record")
	assert.NotContains(t, text(t, res), "Ada")
}

// TestStdioGatewaySubprocess is the whole stdio path with real processes: a
// Go SDK client spawns the gateway, which spawns the upstream server, and
// the record is read back from the gateway's record file.
func TestStdioGatewaySubprocess(t *testing.T) {
	recPath := filepath.Join(t.TempDir(), "record.jsonl")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), upstreamEnv+"=gateway", "AIRLOCK_MCP_TEST_RECORD="+recPath)
	cmd.Stderr = os.Stderr
	c := sdk.NewClient(&sdk.Implementation{Name: "test-agent", Version: "0.1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err)
	exercise(t, cs)
	require.NoError(t, cs.Close())

	sessions, err := record.ReadFile(recPath)
	require.NoError(t, err)
	require.Len(t, sessions, 1)
	var kinds []string
	for _, evs := range sessions {
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
			if e.Event != nil && e.Event.Output != nil {
				assert.NotContains(t, string(e.Event.Output.Data), "ada@example.com")
			}
		}
	}
	assert.Contains(t, kinds, string(gate.EventSessionStart))
	assert.Contains(t, kinds, string(gate.EventRequest))
	assert.Contains(t, kinds, string(gate.EventSessionEnd))
}

// A client that gives up on a held call withdraws the review.
func TestHeldCancelledWithdraws(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs, _ := f.connectStdio(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		if _, err := f.appr.WaitPending(context.Background()); err == nil {
			cancel()
		}
	}()
	_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "delete_customer", Arguments: map[string]any{"id": 2}})
	require.Error(t, err)
	require.Eventually(t, func() bool {
		for _, e := range f.events(t) {
			if e.Kind == gate.EventApprovalWithdrawn {
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	pend, err := f.appr.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, pend)
}

// Concurrent calls on one session are each judged, masked and recorded.
func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	cs := f.connectHTTP(t, "agent-token", nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, id := "read_customer", 2
			if i%2 == 1 {
				name, id = "delete_customer", 1
			}
			res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: map[string]any{"id": id}})
			if !assert.NoError(t, err) {
				return
			}
			if name == "delete_customer" {
				assert.True(t, res.IsError)
			} else {
				assert.Contains(t, text(t, res), "Alan Turing")
				assert.NotContains(t, text(t, res), "alan@example.org")
			}
		}()
	}
	wg.Wait()
	decisions := 0
	for _, e := range f.events(t) {
		if e.Kind == gate.EventDecision {
			decisions++
		}
	}
	assert.Equal(t, 20, decisions)
}

// Cancelling Serve while a call is held ends the session promptly and
// withdraws the review.
func TestServeShutdownWhileHeld(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	ct, st := sdk.NewInMemoryTransports()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.gw.Serve(ctx, st) }()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "x", Version: "1"}, nil).Connect(context.Background(), ct, nil)
	require.NoError(t, err)
	defer cs.Close()
	go func() {
		if _, err := f.appr.WaitPending(context.Background()); err == nil {
			cancel()
		}
	}()
	_, _ = cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "delete_customer", Arguments: map[string]any{"id": 2}})
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	end := waitSessionEnd(t, f)
	assert.Contains(t, end.Session.Reason, "shutdown")
	pend, err := f.appr.Pending(context.Background())
	require.NoError(t, err)
	assert.Empty(t, pend)
}

// openedSessions lists the recorded sessions that are not refusals.
func openedSessions(f *fixture) []string {
	var out []string
	for _, sid := range f.rec.Sessions() {
		for _, e := range f.rec.GateEvents(sid) {
			if e.Kind != gate.EventRefused {
				out = append(out, sid)
				break
			}
		}
	}
	return out
}
