package approval

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// Baseline: a request the rules allow outright, no review.
func BenchmarkGateCheckAllowBaseline(b *testing.B) {
	g := newGate(b, &Memory{}, gate.RefuseThenRetry, gate.RecorderFunc(func(context.Context, gate.Event) error { return nil }))
	s := openSession(b, g)
	for b.Loop() {
		if _, err := g.Check(context.Background(), &gate.Request{Session: s, Command: "SELECT 1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// A full refuse-then-retry review: refused, approved twice, retried.
func BenchmarkGateReviewCycle(b *testing.B) {
	m := &Memory{}
	g := newGate(b, m, gate.RefuseThenRetry, gate.RecorderFunc(func(context.Context, gate.Event) error { return nil }))
	s := openSession(b, g)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		cmd := fmt.Sprintf("DELETE FROM t WHERE id = %d", i)
		_, err := g.Check(ctx, &gate.Request{Session: s, Command: cmd})
		re, ok := err.(*gate.RefusedError)
		if !ok || !re.Pending() {
			b.Fatal(err)
		}
		m.Approve(ctx, re.ApprovalID, alice, "a")
		m.Approve(ctx, re.ApprovalID, bob, "b")
		if _, err := g.Check(ctx, &gate.Request{Session: s, Command: cmd}); err != nil {
			b.Fatal(err)
		}
	}
}

// The approver alone: submit, approve, redeem.
func BenchmarkMemoryCycle(b *testing.B) {
	m := &Memory{}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		d := fmt.Sprint("d", i)
		id, _ := m.Submit(ctx, request(d, gate.ReviewPolicy{}))
		m.Approve(ctx, id, alice, "")
		if v, _ := m.Redeem(ctx, d); v.State != gate.ReviewApproved {
			b.Fatal(v.State)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	secret, body := []byte("secret"), make([]byte, 512)
	ts, sig := Sign(secret, time.Now(), body)
	for b.Loop() {
		if err := Verify(secret, ts, sig, body, time.Now(), 0); err != nil {
			b.Fatal(err)
		}
	}
}

// The console's JSON list with 100 open reviews.
func BenchmarkConsolePending100(b *testing.B) {
	m := &Memory{}
	for i := range 100 {
		m.Submit(context.Background(), request(fmt.Sprint("d", i), gate.ReviewPolicy{}))
	}
	con := &Console{Approver: m, Authenticate: BearerTokens(reviewerTokens)}
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api/pending", nil)
		req.Header.Set("Authorization", "Bearer alice-token")
		rw := httptest.NewRecorder()
		con.ServeHTTP(rw, req)
		if rw.Code != http.StatusOK {
			b.Fatal(rw.Code)
		}
	}
}
