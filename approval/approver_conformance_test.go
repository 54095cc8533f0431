package approval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/gate"
)

// Every Approver of this package keeps the contract of gate.Approver; the
// PostgreSQL approver runs the same kit in approval/pgapproval.

func TestApproverConformanceMemory(t *testing.T) {
	approvertest.Run(t, func(t testing.TB) approvertest.Harness {
		mem := &approval.Memory{}
		return approvertest.Harness{Approver: mem, Reviewer: mem}
	})
}

func TestApproverConformanceWebhook(t *testing.T) {
	approvertest.Run(t, func(t testing.TB) approvertest.Harness {
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
		}))
		t.Cleanup(receiver.Close)
		hook := &approval.Webhook{URL: receiver.URL, Secret: []byte("approvertest-secret")}
		t.Cleanup(func() { _ = hook.Close() })
		return approvertest.Harness{Approver: hook, Reviewer: hook}
	})
}

// TestApproverConformanceConsole decides the reviews of a Memory through
// the Console's JSON API, as a reviewer's script would.
func TestApproverConformanceConsole(t *testing.T) {
	approvertest.Run(t, func(t testing.TB) approvertest.Harness {
		mem := &approval.Memory{}
		console := &approval.Console{Approver: mem,
			Authenticate: approval.BearerTokens(map[string]gate.Identity{"reviewer-token": approvertest.Human})}
		srv := httptest.NewServer(console)
		t.Cleanup(srv.Close)
		t.Cleanup(func() { _ = console.Close() })
		return approvertest.Harness{Approver: mem, Reviewer: consoleAPI{url: srv.URL, token: "reviewer-token"}}
	})
}

// consoleAPI is an approvertest.Reviewer that votes through a Console's
// POST /api/decide as the identity of its token.
type consoleAPI struct{ url, token string }

func (c consoleAPI) Approve(ctx context.Context, id string, _ gate.Identity, reason string) (gate.Verdict, error) {
	return c.decide(ctx, id, "approve", reason)
}

func (c consoleAPI) Deny(ctx context.Context, id string, _ gate.Identity, reason string) (gate.Verdict, error) {
	return c.decide(ctx, id, "deny", reason)
}

func (c consoleAPI) decide(ctx context.Context, id, decision, reason string) (gate.Verdict, error) {
	body, _ := json.Marshal(approval.Decision{ID: id, Decision: decision, Reason: reason})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/api/decide", bytes.NewReader(body))
	if err != nil {
		return gate.Verdict{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return gate.Verdict{}, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return gate.Verdict{}, fmt.Errorf("console answered %s: %s", resp.Status, out)
	}
	var v gate.Verdict
	return v, json.Unmarshal(out, &v)
}
