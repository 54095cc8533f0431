package mcpgate

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// rawExchange POSTs body as a bare HTTP client would, with token and,
// when sid is set, the session's headers, and returns the response and its
// body.
func rawExchange(t *testing.T, url, token, sid, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// rawPost is rawExchange's status line and body.
func rawPost(t *testing.T, url, token, sid, body string) string {
	t.Helper()
	resp, b := rawExchange(t, url, token, sid, body)
	return resp.Status + "\n" + b
}

// rawInitialize opens a session as a bare HTTP client and returns its id
// and the initialize response's body.
func rawInitialize(t *testing.T, url, token string) (string, string) {
	t.Helper()
	resp, b := rawExchange(t, url, token, "", initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, sid, b)
	rawPost(t, url, token, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return sid, b
}

// stdioPeer speaks raw JSON-RPC lines to the gateway, as a broken or hostile
// client would.
type stdioPeer struct {
	w   io.WriteCloser
	r   *bufio.Reader
	err chan error
}

func newStdioPeer(t *testing.T, f *fixture) *stdioPeer {
	// OS pipes, buffered like a real agent's stdio.
	cr, sw, err := os.Pipe()
	require.NoError(t, err)
	sr, cw, err := os.Pipe()
	require.NoError(t, err)
	p := &stdioPeer{w: cw, r: bufio.NewReader(cr), err: make(chan error, 1)}
	go func() { p.err <- f.gw.ServeStdio(context.Background(), sr, sw) }()
	t.Cleanup(func() { cw.Close() })
	return p
}

func (p *stdioPeer) send(t *testing.T, line string) {
	t.Helper()
	_, err := io.WriteString(p.w, line+"\n")
	require.NoError(t, err)
}

func (p *stdioPeer) recv(t *testing.T) map[string]any {
	t.Helper()
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := p.r.ReadString('\n')
		ch <- res{l, err}
	}()
	select {
	case r := <-ch:
		require.NoError(t, r.err)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.line), &m), r.line)
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no response")
	}
	return nil
}

func errCode(m map[string]any) float64 {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return c
}

func TestStdioMalformedAndUnknown(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	p := newStdioPeer(t, f)

	// Before initialize, nothing is proxied.
	p.send(t, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_customer","arguments":{"id":1}}}`)
	m := p.recv(t)
	assert.NotNil(t, m["error"], m)
	assert.NotContains(t, toJSON(m), "Ada")

	p.send(t, initBody)
	m = p.recv(t)
	require.Nil(t, m["error"], m)
	p.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)

	p.send(t, `{"jsonrpc":"2.0","id":2,"method":"no/such/method","params":{}}`)
	m = p.recv(t)
	assert.Equal(t, float64(-32601), errCode(m), m)

	p.send(t, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_customer","arguments":[1,2]}}`)
	m = p.recv(t)
	assert.Equal(t, float64(-32602), errCode(m), m)
	assert.NotContains(t, toJSON(m), "Ada")
	// Arguments that do not parse are a refusal before the rules, counted.
	var parseRefusals int
	for _, e := range f.events(t) {
		if e.Kind == gate.EventDecision && e.Decision.Rule == "mcp/parse" {
			parseRefusals++
			assert.Equal(t, gate.Deny, e.Decision.Action)
			assert.Equal(t, "tools/call read_customer", e.Request.Command)
		}
	}
	assert.Equal(t, 1, parseRefusals)

	p.send(t, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":"nonsense"}`)
	m = p.recv(t)
	assert.NotNil(t, m["error"], m)

	p.send(t, `{"jsonrpc":"2.0","id":5,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"summarize"},"argument":{"name":"id","value":"1"}}}`)
	m = p.recv(t)
	assert.Equal(t, float64(-32601), errCode(m), m)

	// A duplicate key cannot smuggle a different id past the rules: the
	// upstream receives exactly the canonical arguments that were judged.
	p.send(t, `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"read_customer","arguments":{"id":2,"id":1}}}`)
	m = p.recv(t)
	assert.Contains(t, toJSON(m), "Ada Lovelace")
	assert.NotContains(t, toJSON(m), "ada@example.com")

	// Garbage gets a parse error or ends the session; it never reaches the upstream.
	p.send(t, `{this is not json`)
	p.send(t, `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`)
	for {
		m = p.recv(t)
		if m["id"] == float64(7) {
			break
		}
		assert.Equal(t, float64(-32700), errCode(m), m)
	}
	assert.Nil(t, m["error"], m)
}

func TestHTTPMalformedAndUnknown(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	srv := httpServer(t, f)
	sid, _ := rawInitialize(t, srv, "agent-token")
	body := rawPost(t, srv, "agent-token", sid, `{not json`)
	assert.Regexp(t, `^4\d\d`, body)
	body = rawPost(t, srv, "agent-token", sid, `{"jsonrpc":"2.0","id":2,"method":"no/such/method","params":{}}`)
	assert.Contains(t, body, "-32601")
	body = rawPost(t, srv, "agent-token", sid, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"delete_customer","arguments":{"id":1}}}`)
	assert.Contains(t, body, `denied by rule \"never-delete-customer-one\"`)
	assert.Contains(t, body, `"isError":true`)
	body = rawPost(t, srv, "agent-token", sid, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"admin_reset"}}`)
	assert.Contains(t, body, `"code":-32602`)
	assert.Contains(t, body, `unknown tool admin_reset`)
	assert.NotContains(t, body, "wiped")
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func httpServer(t *testing.T, f *fixture) string {
	srv := httptest.NewServer(f.gw.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// The harness names the agent's run in initialize's _meta: the session
// joins it, and an invalid one is refused.
func TestStdioRunFromMeta(t *testing.T) {
	f := newFixture(t, gate.Hold, upstreamCommand())
	p := newStdioPeer(t, f)
	p.send(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"_meta":{"airlock/run":"two words"},"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	m := p.recv(t)
	assert.Equal(t, float64(-32602), errCode(m), m)

	p2 := newStdioPeer(t, f)
	p2.send(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"_meta":{"airlock/run":"run-42"},"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	m = p2.recv(t)
	require.Nil(t, m["error"], m)
	found := false
	for _, e := range f.events(t) {
		if e.Kind == gate.EventSessionStart && e.Session.Run == "run-42" {
			found = true
		}
	}
	assert.True(t, found, "the session start records the run")
}
