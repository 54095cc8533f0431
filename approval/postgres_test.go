package approval_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/approval/pgapproval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replicas returns n PostgreSQL approvers, each with its own pool, on one
// freshly created database that is dropped after the test.
func replicas(t testing.TB, n int) []*pgapproval.Approver {
	t.Helper()
	rs, _ := replicaPools(t, n)
	return rs
}

// replicaPools is replicas, with the pool of each.
func replicaPools(t testing.TB, n int) ([]*pgapproval.Approver, []*pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.Database(t, "airlock_approval")
	var out []*pgapproval.Approver
	var pools []*pgxpool.Pool
	opts := pgapproval.Options{Poll: 30 * time.Second, SealKey: []byte("approval test seal key, 32 bytes or more")}
	for i := 0; i < n; i++ {
		pool, err := pgxpool.New(ctx, url)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		if i == 0 {
			require.NoError(t, pgapproval.Migrate(ctx, pool, opts))
			require.NoError(t, pgapproval.Migrate(ctx, pool, opts), "Migrate is idempotent")
		}
		ap, err := pgapproval.New(pool, opts)
		require.NoError(t, err)
		out, pools = append(out, ap), append(pools, pool)
	}
	return out, pools
}

var (
	pgAgent = gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}
	pgAlice = gate.Identity{Subject: "alice", Kind: gate.KindHuman, Groups: []string{"dba"}}
	pgBob   = gate.Identity{Subject: "bob", Kind: gate.KindHuman, Groups: []string{"dba"}}
)

func pgReview(digest string, policy gate.ReviewPolicy) gate.ReviewRequest {
	return gate.ReviewRequest{Digest: digest, SessionID: "s", Requester: pgAgent, Protocol: "postgres", Command: "DELETE FROM t WHERE id = 1", Policy: policy}
}

func TestPostgresHeldOnOneApprovedOnAnother(t *testing.T) {
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	ctx := context.Background()
	id, err := a.Submit(ctx, pgReview("d1", gate.ReviewPolicy{}))
	require.NoError(t, err)
	again, err := b.Submit(ctx, pgReview("d1", gate.ReviewPolicy{}))
	require.NoError(t, err)
	assert.Equal(t, id, again, "one pending review per digest across replicas")

	got := make(chan gate.Verdict, 1)
	go func() {
		v, err := a.Await(ctx, id)
		assert.NoError(t, err)
		got <- v
	}()
	pending := must(b.Pending(context.Background()))
	require.Len(t, pending, 1)
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	_, err = b.Approve(ctx, id, pgAlice, "ok")
	require.NoError(t, err)
	select {
	case v := <-got:
		assert.Equal(t, gate.ReviewApproved, v.State)
		assert.Less(t, time.Since(start), 5*time.Second, "woken by NOTIFY, not by the 30s poll")
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter on replica A never woke")
	}
	_, err = a.Redeem(ctx, "d1")
	require.NoError(t, err)
	v, err := b.Redeem(ctx, "d1")
	require.NoError(t, err)
	assert.NotEqual(t, gate.ReviewApproved, v.State, "Await consumed the approval")
	assert.Len(t, must(b.History(context.Background())), 1)
}

func TestPostgresConsumeRace(t *testing.T) {
	rs := replicas(t, 3)
	ctx := context.Background()
	for i := 0; i < 30; i++ {
		digest := fmt.Sprint("race-", i)
		id, err := rs[0].Submit(ctx, pgReview(digest, gate.ReviewPolicy{}))
		require.NoError(t, err)
		_, err = rs[1].Approve(ctx, id, pgAlice, "ok")
		require.NoError(t, err)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for j := 0; j < 6; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := rs[j%3].Redeem(ctx, digest)
				if err == nil && v.State == gate.ReviewApproved {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		require.Equal(t, int32(1), wins.Load(), "iteration %d: exactly one replica consumes the approval", i)
	}
}

func TestPostgresPolicyAndExpiry(t *testing.T) {
	rs := replicas(t, 2)
	ctx := context.Background()
	id, err := rs[0].Submit(ctx, pgReview("q", gate.ReviewPolicy{Approvals: 2, ReviewerGroups: []string{"dba"}}))
	require.NoError(t, err)
	_, err = rs[1].Approve(ctx, id, pgAgent, "me")
	require.Error(t, err, "agents never review, and never their own request")
	_, err = rs[1].Approve(ctx, id, gate.Identity{Subject: "carol", Kind: gate.KindHuman}, "")
	require.ErrorIs(t, err, approval.ErrNotReviewer)
	v, err := rs[1].Approve(ctx, id, pgAlice, "one")
	require.NoError(t, err)
	assert.Equal(t, gate.ReviewPending, v.State, "two approvals needed")
	_, err = rs[0].Approve(ctx, id, pgAlice, "again")
	require.ErrorIs(t, err, approval.ErrAlreadyVoted)
	v, err = rs[0].Approve(ctx, id, pgBob, "two")
	require.NoError(t, err)
	assert.Equal(t, gate.ReviewApproved, v.State)

	id2, err := rs[0].Submit(ctx, pgReview("exp", gate.ReviewPolicy{TTL: 200 * time.Millisecond}))
	require.NoError(t, err)
	v, err = rs[1].Await(ctx, id2)
	require.NoError(t, err)
	assert.Equal(t, gate.ReviewExpired, v.State)
	_, err = rs[0].Approve(ctx, id2, pgAlice, "late")
	require.ErrorIs(t, err, approval.ErrNotPending)

	id3, err := rs[0].Submit(ctx, pgReview("wd", gate.ReviewPolicy{}))
	require.NoError(t, err)
	actx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = rs[0].Await(actx, id3)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, rs[1].Withdraw(ctx, id3))
	_, err = rs[0].Deny(ctx, id3, pgAlice, "x")
	require.True(t, errors.Is(err, approval.ErrNotPending))
}

func TestPostgresWithGateAcrossReplicas(t *testing.T) {
	rs := replicas(t, 2)
	rules, err := gate.ParseRules("r.yaml", []byte("rules:\n  - name: deletes\n    when: tool.name == 'delete'\n    action: review\n"))
	require.NoError(t, err)
	gA := gate.New(gate.Config{Rules: rules, Approver: rs[0]})
	gB := gate.New(gate.Config{Rules: rules, Approver: rs[1], ReviewMode: gate.RefuseThenRetry})
	s := &gate.Session{ID: "s1", Protocol: "tool", Target: "crm", Identity: pgAgent}
	req := func(id int) *gate.Request {
		return &gate.Request{Session: s, Protocol: "tool", Command: fmt.Sprint("delete ", id), Tool: &gate.ToolCall{Name: "delete"}}
	}
	done := make(chan error, 1)
	go func() { _, err := gA.Check(context.Background(), req(1)); done <- err }()
	require.Eventually(t, func() bool { return len(must(rs[1].Pending(context.Background()))) == 1 }, 10*time.Second, 20*time.Millisecond)
	_, err = rs[1].Approve(context.Background(), must(rs[1].Pending(context.Background()))[0].ID, pgAlice, "ok")
	require.NoError(t, err)
	require.NoError(t, <-done, "held on replica A, approved through replica B")

	// Refuse-then-retry across replicas: approval on A's store, retry on B.
	_, err = gB.Check(context.Background(), req(2))
	var ref *gate.RefusedError
	require.ErrorAs(t, err, &ref)
	_, err = rs[0].Approve(context.Background(), ref.ApprovalID, pgAlice, "ok")
	require.NoError(t, err)
	_, err = gB.Check(context.Background(), req(3))
	require.ErrorIs(t, err, gate.ErrReviewPending, "the approval covers delete 2 only")
	_, err = gB.Check(context.Background(), req(2))
	require.NoError(t, err)
	_, err = gB.Check(context.Background(), req(2))
	require.ErrorIs(t, err, gate.ErrReviewPending, "and only once")
}

// must returns v, and panics (failing the test) on an error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
