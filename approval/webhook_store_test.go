package approval_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type kindLog struct {
	mu    sync.Mutex
	kinds []gate.EventKind
}

func (l *kindLog) Record(_ context.Context, e gate.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.Approval != nil {
		l.kinds = append(l.kinds, e.Kind)
	}
	return nil
}

// A Webhook keeps its reviews in the shared PostgreSQL store: the
// notification carries the masked payload, a reviewer on another replica
// approves, and approval_notified is recorded before the approval.
func TestWebhookOverPostgresStore(t *testing.T) {
	ctx := context.Background()
	rs := replicas(t, 2)
	key := []byte("webhook-key")
	got := make(chan approval.Notification, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := approval.VerifyNotification(key, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var n approval.Notification
		_ = json.Unmarshal(body, &n)
		// The reviewer acts before the webhook's answer is read.
		_, err := rs[1].Approve(ctx, n.ID, pgAlice, "seen the body")
		assert.NoError(t, err)
		got <- n
	}))
	defer hook.Close()
	rules, err := gate.ParseRules("w.yaml", []byte(holdAll))
	require.NoError(t, err)
	log := &kindLog{}
	wh := &approval.Webhook{URL: hook.URL, Secret: key, Store: rs[0], Recorder: log}
	defer wh.Close()
	g := gate.New(gate.Config{Rules: rules, Approver: wh, Recorder: log})
	s := &gate.Session{Protocol: "http", Target: "api", Identity: pgAgent}
	require.NoError(t, g.OpenSession(ctx, s))
	_, err = g.Check(ctx, &gate.Request{Session: s, Protocol: "http", Command: "POST /pay",
		Payload: []byte(`{"to":"attacker-account","contact":"eve@example.com"}`), HTTP: &gate.HTTP{Method: "POST", Path: "/pay"}})
	require.NoError(t, err)
	n := <-got
	require.NotNil(t, n.Details)
	body, _ := json.Marshal(n.Details)
	assert.Contains(t, string(body), "attacker-account")
	assert.NotContains(t, string(body), "eve@example.com")
	log.mu.Lock()
	defer log.mu.Unlock()
	assert.Equal(t, []gate.EventKind{gate.EventApprovalRequested, gate.EventApprovalNotified, gate.EventApprovalReviewed,
		gate.EventApprovalApproved, gate.EventApprovalConsumed}, log.kinds)
}
