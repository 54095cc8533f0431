package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-sdk/airlock/gate"
)

var reviewer = gate.Identity{Subject: "rev-1", Kind: gate.KindHuman}

func TestHoldApproveAndDeny(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	ctx := context.Background()
	tg.eachMode(t, "admin", func(t *testing.T, _ string, c *pgx.Conn) {
		done := make(chan error, 1)
		go func() {
			_, err := c.Exec(ctx, "DELETE FROM held WHERE id = 1 AND v = 'a'")
			done <- err
		}()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p, err := tg.approver.WaitPending(wctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Request.Command, "DELETE FROM held") {
			t.Fatalf("held command %q", p.Request.Command)
		}
		select {
		case err := <-done:
			t.Fatalf("statement ran before the review: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := tg.approver.Approve(ctx, p.ID, reviewer, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("approved statement failed: %v", err)
		}
		// Denied review: 42501, and the session goes on.
		go func() {
			_, err := c.Exec(ctx, "DELETE FROM held WHERE id = 2")
			done <- err
		}()
		p, err = tg.approver.WaitPending(wctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tg.approver.Deny(ctx, p.ID, reviewer, "no"); err != nil {
			t.Fatal(err)
		}
		if err := <-done; sqlState(err) != "42501" {
			t.Fatalf("denied review: %v", err)
		}
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM held WHERE id = 2").Scan(&n); err != nil || n != 1 {
			t.Fatalf("after denial: %d %v", n, err)
		}
		// Put the row back for the next mode.
		if _, err := c.Exec(ctx, "INSERT INTO held VALUES (1, 'a')"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCancelHeldStatement(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.eachMode(t, "admin", func(t *testing.T, _ string, c *pgx.Conn) {
		ctx := context.Background()
		done := make(chan error, 1)
		go func() {
			_, err := c.Exec(ctx, "DELETE FROM held WHERE id = 1")
			done <- err
		}()
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer wcancel()
		p, err := tg.approver.WaitPending(wctx)
		if err != nil {
			t.Fatal(err)
		}
		// A CancelRequest on its own connection, with the proxy's key.
		if err := c.PgConn().CancelRequest(wctx); err != nil {
			t.Fatal(err)
		}
		err = <-done
		if sqlState(err) != "57014" {
			t.Fatalf("want 57014, got %v", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, _ := tg.approver.Get(p.ID)
			if got.State == gate.ReviewWithdrawn {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("review state %s, want withdrawn", got.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
		var one int
		if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Fatalf("session unusable after cancel: %v", err)
		}
	})
}

func TestRefuseThenRetry(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, func(g *gate.Config, _ *Config) { g.ReviewMode = gate.RefuseThenRetry })
	ctx := context.Background()
	c := tg.connect(t, "admin", simpleMode)
	const del = "DELETE FROM held WHERE id = 2"
	_, err := c.Exec(ctx, del)
	if sqlState(err) != "42501" || !strings.Contains(err.Error(), "approval") {
		t.Fatalf("want a pending refusal, got %v", err)
	}
	pend, _ := tg.approver.Pending(context.Background())
	if len(pend) != 1 {
		t.Fatalf("pending = %d", len(pend))
	}
	if _, err := tg.approver.Approve(ctx, pend[0].ID, reviewer, "fine"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, del); err != nil {
		t.Fatalf("retry after approval: %v", err)
	}
	// Exactly once.
	if _, err := c.Exec(ctx, del); sqlState(err) != "42501" {
		t.Fatalf("second retry: %v", err)
	}
}

// TestBatchBound: a batch above MaxBatchBytes is refused, not buffered,
// and the session goes on.
func TestBatchBound(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, func(_ *gate.Config, c *Config) { c.MaxBatchBytes = 64 << 10 })
	ctx := context.Background()
	c := tg.connect(t, "admin")
	big := strings.Repeat("x", 100<<10)
	_, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1, $1)", big)
	if sqlState(err) != "42501" || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("want a refusal, got %v", err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO scratch VALUES (1, $1)", "small"); err != nil {
		t.Fatal(err)
	}
}

// TestHeldClientGone: a client that disconnects while held withdraws its
// review.
func TestHeldClientGone(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	c := tg.connect(t, "admin", simpleMode)
	// The Exec ends (with an error) once the socket is closed; the test
	// waits for it, so the connection's cleanup never races it.
	execDone := make(chan struct{})
	go func() {
		defer close(execDone)
		_, _ = c.Exec(context.Background(), "DELETE FROM held WHERE id = 1")
	}()
	defer func() { <-execDone }()
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := tg.approver.WaitPending(wctx)
	if err != nil {
		_ = c.PgConn().Conn().Close()
		t.Fatal(err)
	}
	_ = c.PgConn().Conn().Close()
	for {
		got, _ := tg.approver.Get(p.ID)
		if got.State == gate.ReviewWithdrawn {
			return
		}
		if wctx.Err() != nil {
			t.Fatalf("review state %s, want withdrawn", got.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
