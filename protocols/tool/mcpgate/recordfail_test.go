package mcpgate

import (
	"context"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

// newFailingFixture is a fixture whose recorder keeps events in f.rec until
// it is armed with FailAfter, then fails every event.
func newFailingFixture(t *testing.T) (*fixture, *gatetest.FailingRecorder) {
	t.Helper()
	failing := &gatetest.FailingRecorder{}
	f := newFixtureWith(t, gate.Hold, inMemoryUpstream, func(m *record.Memory) gate.Recorder {
		failing.Next = m
		return failing
	})
	return f, failing
}

// TestRecordingFailureMidSessionEndsIt drives the gateway with the MCP Go
// SDK client. The recorder starts failing once a call was decided: the
// call's result is withheld (the client gets an error that carries none of
// it), the session ends (the stdio connection closes, the HTTP session is
// gone), and the client receives nothing unrecorded after that point.
func TestRecordingFailureMidSessionEndsIt(t *testing.T) {
	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			f, failing := newFailingFixture(t)
			var cs *sdk.ClientSession
			var served <-chan error
			if transport == "stdio" {
				cs, served = f.connectStdio(t, nil)
			} else {
				cs = f.connectHTTP(t, "agent-token", nil)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			tools, err := cs.ListTools(ctx, nil)
			require.NoError(t, err)
			require.NotEmpty(t, tools.Tools)

			ids := f.rec.Sessions()
			require.Len(t, ids, 1)
			recorded := len(f.rec.GateEvents(ids[0]))
			failing.FailAfter(1) // the call's decision is recorded, its result is not

			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 1}})
			require.Error(t, err, "an unrecorded result is never answered")
			assert.Nil(t, res)
			for _, leak := range []string{"Ada", "ada@example.com", "4111", "disk full"} {
				assert.NotContains(t, err.Error(), leak)
			}
			assert.Contains(t, err.Error(), "could not be recorded")

			if transport == "stdio" {
				select {
				case err := <-served:
					require.ErrorIs(t, err, gate.ErrSessionEnded, "Serve reports the broken record")
				case <-time.After(10 * time.Second):
					t.Fatal("the session did not end")
				}
			}
			// Whatever the client asks now, it gets nothing of the upstream.
			require.Eventually(t, func() bool {
				res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_customer", Arguments: map[string]any{"id": 2}})
				return err != nil && res == nil && !strings.Contains(err.Error(), "Turing") && !strings.Contains(err.Error(), "disk full")
			}, 10*time.Second, 20*time.Millisecond, "the session has ended")
			_, err = cs.ListTools(ctx, nil)
			require.Error(t, err)

			evs := f.rec.GateEvents(ids[0])
			assert.Len(t, evs, recorded+1, "nothing was recorded after the failure")
			assert.Equal(t, gate.EventDecision, evs[len(evs)-1].Kind)
			for _, e := range evs {
				if e.Kind == gate.EventOutput {
					assert.NotContains(t, string(e.Output.Data), "Ada")
				}
			}
			require.Eventually(t, func() bool {
				f.gw.mu.Lock()
				defer f.gw.mu.Unlock()
				return len(f.gw.sessions) == 0
			}, 10*time.Second, 20*time.Millisecond, "the gateway forgot the session")
		})
	}
}
