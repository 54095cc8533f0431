package approval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
)

// A held request waits in Memory until enough reviewers approve it; a test
// or demo scripts the reviewers with WaitPending.
func ExampleMemory() {
	ctx := context.Background()
	rules, _ := gate.ParseRules("rules.yaml", []byte(`
default: allow
rules:
  - name: hold-deletes
    when: request.command.startsWith("DELETE")
    action: review
    review: {approvals: 2, reviewers: [dba]}
`))
	mem := &approval.Memory{}
	g := gate.New(gate.Config{Rules: rules, Approver: mem})
	s := &gate.Session{Protocol: "postgres", Identity: gate.Identity{Subject: "agent-7", Kind: gate.KindAgent}}
	_ = g.OpenSession(ctx, s)

	done := make(chan error)
	go func() {
		_, err := g.Check(ctx, &gate.Request{Session: s, Command: "DELETE FROM t WHERE id = 1"})
		done <- err
	}()

	p, _ := mem.WaitPending(ctx)
	fmt.Println("held:", p.Request.Command)
	dba := func(sub string) gate.Identity {
		return gate.Identity{Subject: sub, Kind: gate.KindHuman, Groups: []string{"dba"}}
	}
	_, err := mem.Approve(ctx, p.ID, gate.Identity{Subject: "agent-7", Kind: gate.KindHuman, Groups: []string{"dba"}}, "")
	fmt.Println("self review refused:", errors.Is(err, approval.ErrSelfReview))
	v, _ := mem.Approve(ctx, p.ID, dba("alice"), "checked the id")
	fmt.Println("after one:", v.State)
	v, _ = mem.Approve(ctx, p.ID, dba("bob"), "ok")
	fmt.Println("after two:", v.State)
	fmt.Println("held call error:", <-done)
	// Output:
	// held: DELETE FROM t WHERE id = 1
	// self review refused: true
	// after one: pending
	// after two: approved
	// held call error: <nil>
}

// A Console serves the reviews of a Memory to browsers and scripts. Here a
// script votes through the JSON API with a bearer token.
func ExampleConsole() {
	ctx := context.Background()
	mem := &approval.Memory{}
	console := &approval.Console{
		Approver: mem,
		Authenticate: approval.BearerTokens(map[string]gate.Identity{
			"alice-token": {Subject: "alice", Kind: gate.KindHuman},
		}),
	}
	defer console.Close()
	mux := http.NewServeMux()
	mux.Handle("/review/", http.StripPrefix("/review", console))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	id, _ := mem.Submit(ctx, gate.ReviewRequest{
		Digest: "d1", Requester: gate.Identity{Subject: "agent-7", Kind: gate.KindAgent},
		Protocol: "ssh", Command: "systemctl restart api",
	})
	req, _ := http.NewRequest("POST", srv.URL+"/review/api/decide",
		strings.NewReader(`{"id":"`+id+`","decision":"approve","reason":"deploy window"}`))
	req.Header.Set("Authorization", "Bearer alice-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var v gate.Verdict
	_ = json.NewDecoder(resp.Body).Decode(&v)
	fmt.Println(resp.StatusCode, v.State, v.Votes[0].Reviewer.Subject, v.Votes[0].Reason)
	// Output: 200 approved alice deploy window
}

// A Webhook posts each held request, signed, to a URL; the receiver
// verifies the signature and a reviewer answers through the callback,
// signing with their own key.
func ExampleWebhook() {
	ctx := context.Background()
	secret := []byte("shared-webhook-secret")
	received := make(chan approval.Notification, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Any Standard Webhooks verifier works too, configured with
		// approval.SecretString(secret).
		if err := approval.VerifyNotification(secret, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var n approval.Notification
		_ = json.Unmarshal(body, &n)
		received <- n
	}))
	defer hook.Close()

	aliceKey := []byte("alice-key")
	wh := &approval.Webhook{
		URL: hook.URL, Secret: secret,
		MaskCommand: func(s string) string { return strings.ReplaceAll(s, "hunter2", "***") },
		Reviewers: map[string]approval.WebhookReviewer{
			"alice": {Identity: gate.Identity{Subject: "alice", Kind: gate.KindHuman}, Secret: aliceKey},
		},
	}
	defer wh.Close()
	callback := httptest.NewServer(wh.Callback())
	defer callback.Close()

	id, _ := wh.Submit(ctx, gate.ReviewRequest{
		Digest: "d1", Requester: gate.Identity{Subject: "agent-7", Kind: gate.KindAgent},
		Protocol: "postgres", Command: "ALTER USER app PASSWORD 'hunter2'",
	})
	n := <-received
	fmt.Println("notified:", n.Command)

	body := []byte(`{"id":"` + id + `","decision":"deny","reason":"use the vault"}`)
	ts, sig := approval.Sign(aliceKey, time.Now(), body)
	req, _ := http.NewRequest("POST", callback.URL, bytes.NewReader(body))
	req.Header.Set(approval.HeaderKey, "alice")
	req.Header.Set(approval.HeaderTimestamp, ts)
	req.Header.Set(approval.HeaderSignature, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	v, _ := wh.Await(ctx, id)
	fmt.Println("verdict:", v.State, v.Reason)
	// Output:
	// notified: ALTER USER app PASSWORD '***'
	// verdict: denied use the vault
}
