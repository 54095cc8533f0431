package pgapproval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
)

const holdRules = `
default: deny
rules:
  - name: hold-deletes
    when: "true"
    action: review
`

// End to end through a gate holding every request: a vote written into
// the table in a real reviewer's name does not let the held request run,
// in either review mode; a real vote through the API does.
func TestForgedVoteDoesNotRunAHeldRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testPool(t)
	ap := pgtest.Store(t, pool, pgapproval.Options{SealKey: testKey, Poll: 20 * time.Millisecond}, pgapproval.Migrate, pgapproval.New)
	rs, err := gate.ParseRules("hold.yaml", []byte(holdRules))
	if err != nil {
		t.Fatal(err)
	}
	forgedVote, err := json.Marshal([]any{map[string]any{"reviewer": map[string]any{"subject": "alice", "kind": "human"}, "approve": true, "time": time.Now().UTC(), "reason": "lgtm"}})
	if err != nil {
		t.Fatal(err)
	}
	forge := func(id string) error {
		_, err := pool.Exec(ctx, `UPDATE airlock_reviews SET state = 'approved', decided_at = now(), votes = $2 WHERE id = $1;`, id, forgedVote)
		if err == nil {
			_, err = pool.Exec(ctx, `SELECT pg_notify($1, $2)`, pgapproval.Channel, id)
		}
		return err
	}
	vote := func(id string) error {
		_, err := ap.Approve(ctx, id, approvertest.Human, "real")
		return err
	}
	for _, mode := range []gate.ReviewMode{gate.Hold, gate.RefuseThenRetry} {
		g := gate.New(gate.Config{Rules: rs, Approver: ap, ReviewMode: mode})
		s := &gate.Session{Protocol: gate.ProtocolPostgres, Target: "prod", Identity: gate.Identity{Subject: "agent-" + gate.NewID(), Kind: gate.KindAgent}}
		if err := g.OpenSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			decide func(id string) error
			runs   bool
		}{{"forged vote", forge, false}, {"real vote", vote, true}} {
			cmd := fmt.Sprintf("DELETE FROM accounts WHERE id = %s", gate.NewID())
			req := &gate.Request{Session: s, Protocol: gate.ProtocolPostgres, Command: cmd,
				SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "DELETE", Text: cmd}}}}
			err := checkDecided(ctx, g, req, mode, pool, tc.decide)
			if ran := err == nil; ran != tc.runs {
				t.Errorf("mode %v, %s: ran %v, want %v (%v)", mode, tc.name, ran, tc.runs, err)
			}
		}
	}
}

// checkDecided runs req through g while decide settles its review: in
// Hold mode concurrently with the held Check, in RefuseThenRetry mode
// between the refusal and the retry.
func checkDecided(ctx context.Context, g *gate.Gate, req *gate.Request, mode gate.ReviewMode, pool *pgxpool.Pool, decide func(id string) error) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if mode == gate.RefuseThenRetry {
		_, err := g.Check(ctx, req)
		var ref *gate.RefusedError
		if !errors.As(err, &ref) {
			return fmt.Errorf("not held: %w", err)
		}
		if err := decide(ref.ApprovalID); err != nil {
			return err
		}
		_, err = g.Check(ctx, req)
		return err
	}
	done := make(chan error, 1)
	go func() {
		_, err := g.Check(ctx, req)
		done <- err
	}()
	for {
		var id string
		// By session, not by command: the stored command is masked for
		// display, and a random id can hold a run of digits read as an SSN.
		err := pool.QueryRow(ctx, `SELECT id FROM airlock_reviews WHERE state = 'pending' AND request->>'session_id' = $1`, req.Session.ID).Scan(&id)
		if err == nil {
			if err := decide(id); err != nil {
				return err
			}
			return <-done
		}
		select {
		case err := <-done:
			return fmt.Errorf("decided before it was held: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
