package mcpgate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
)

// failingUpstream is a real streamable HTTP MCP server that can be made to
// fail: answer every request with an HTTP status, or go away altogether.
type failingUpstream struct {
	srv    *httptest.Server
	status atomic.Int32
}

func newFailingUpstream(t *testing.T) *failingUpstream {
	u := &failingUpstream{}
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server {
		s := customersServer()
		// Over HTTP, "crash" answers with a JSON-RPC error instead.
		s.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
			return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
				if p, ok := req.GetParams().(*sdk.CallToolParamsRaw); ok && p.Name == "crash" {
					return nil, &jsonrpc.Error{Code: -32000, Message: "boom"}
				}
				return next(ctx, method, req)
			}
		})
		return s
	}, nil)
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := u.status.Load(); st != 0 {
			http.Error(w, "upstream broken", int(st))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// TestMCPHTTPUpstreamFailureClosesSession: when an HTTP upstream fails
// (gone, 500, 503), the client gets an error for the call in flight, the
// gate session is closed with the reason in the record, and the session
// refuses further requests; over a stream transport the client connection
// closes and Serve reports the failure.
func TestMCPHTTPUpstreamFailureClosesSession(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(u *failingUpstream)
	}{
		{"gone", func(u *failingUpstream) { u.srv.CloseClientConnections(); u.srv.Close() }},
		{"500", func(u *failingUpstream) { u.status.Store(http.StatusInternalServerError) }},
		{"503", func(u *failingUpstream) { u.status.Store(http.StatusServiceUnavailable) }},
	} {
		t.Run(tc.name+"/stdio", func(t *testing.T) {
			u := newFailingUpstream(t)
			f := newFixture(t, gate.Hold, URL(u.srv.URL, nil))
			cs, served := f.connectStdio(t, nil)
			ctx := context.Background()
			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 1}})
			require.NoError(t, err)
			require.False(t, res.IsError, text(t, res))
			tc.break_(u)
			res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 2}})
			require.NoError(t, err)
			assert.True(t, res.IsError)
			assert.Contains(t, text(t, res), "upstream server failed")
			assert.NotContains(t, text(t, res), "Alan")
			end := waitSessionEnd(t, f)
			assert.Contains(t, end.Session.Reason, "upstream server")
			select {
			case err := <-served:
				require.Error(t, err)
				assert.Contains(t, err.Error(), "upstream server")
			case <-time.After(15 * time.Second):
				t.Fatal("Serve did not return after the upstream failed")
			}
			evs := f.events(t)
			assert.Equal(t, gate.EventSessionEnd, evs[len(evs)-1].Kind, "the record ends with the session end")
		})
		t.Run(tc.name+"/http", func(t *testing.T) {
			u := newFailingUpstream(t)
			f := newFixture(t, gate.Hold, URL(u.srv.URL, nil))
			cs := f.connectHTTP(t, "agent-token", nil)
			ctx := context.Background()
			_, err := cs.ListTools(ctx, nil)
			require.NoError(t, err)
			tc.break_(u)
			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 2}})
			require.NoError(t, err)
			assert.True(t, res.IsError)
			end := waitSessionEnd(t, f)
			assert.Contains(t, end.Session.Reason, "upstream server")
			_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 2}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "the session has ended")
		})
	}
}

// An upstream that answers with a JSON-RPC error is working: the session
// goes on.
func TestMCPUpstreamErrorAnswerKeepsSession(t *testing.T) {
	u := newFailingUpstream(t)
	f := newFixture(t, gate.Hold, URL(u.srv.URL, nil))
	cs, _ := f.connectStdio(t, nil)
	ctx := context.Background()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "crash", Arguments: map[string]any{}})
	require.NoError(t, err)
	assert.True(t, res.IsError)
	assert.Contains(t, text(t, res), "the upstream server returned an error: boom")
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 2}})
	require.NoError(t, err)
	assert.Contains(t, text(t, res), "Alan Turing")
	for _, e := range f.events(t) {
		assert.NotEqual(t, gate.EventSessionEnd, e.Kind)
	}
}
