package approvertest_test

import (
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/approval/approvertest"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/tbrecorder"
)

// memoryHarness is a fresh approval.Memory, deciding its own reviews.
func memoryHarness(testing.TB) approvertest.Harness {
	mem := &approval.Memory{}
	return approvertest.Harness{Approver: mem, Reviewer: mem}
}

func TestMemoryPasses(t *testing.T) {
	approvertest.Run(t, memoryHarness)
}

// The broken approvers: a Memory with one promise of the contract broken.
type (
	// freshIDs files a new review on every Submit.
	freshIDs struct{ *approval.Memory }
	// reusable reports an approval on every Redeem without using it up.
	reusable struct{ *approval.Memory }
	// deaf keeps waiting nobody can stop: Await ignores its context's end.
	deaf struct{ *approval.Memory }
	// stubborn acknowledges Withdraw and keeps the review open.
	stubborn struct{ *approval.Memory }
)

func (a freshIDs) Submit(ctx context.Context, r gate.ReviewRequest) (string, error) {
	r.Digest += gate.NewID()
	return a.Memory.Submit(ctx, r)
}

func (a reusable) Redeem(ctx context.Context, digest string) (gate.Verdict, error) {
	history, _ := a.Memory.History(ctx)
	for _, p := range history {
		if p.Request.Digest == digest && (p.State == gate.ReviewApproved || p.State == gate.ReviewConsumed) {
			v := p.Verdict()
			v.State = gate.ReviewApproved
			return v, nil
		}
	}
	return a.Memory.Redeem(ctx, digest)
}

func (a deaf) Await(ctx context.Context, id string) (gate.Verdict, error) {
	v, err := a.Memory.Await(ctx, id)
	if ctx.Err() != nil {
		return gate.Verdict{ID: id, State: gate.ReviewPending}, nil
	}
	return v, err
}

func (a stubborn) Withdraw(ctx context.Context, id string) error { return nil }

func TestKitFailsBrokenApprovers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		approver func(*approval.Memory) gate.Approver
		want     string // a check that must fail
	}{
		{"a new review per Submit", func(m *approval.Memory) gate.Approver { return freshIDs{m} }, "SubmitSameDigest"},
		{"an approval used twice", func(m *approval.Memory) gate.Approver { return reusable{m} }, "RedeemApprovedOnce"},
		{"Await ignores its context", func(m *approval.Memory) gate.Approver { return deaf{m} }, "AwaitContextEnds"},
		{"Withdraw keeps the review", func(m *approval.Memory) gate.Approver { return stubborn{m} }, "Withdraw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failures := tbrecorder.Run(t, func(tb testing.TB) {
				approvertest.Run(tb, func(testing.TB) approvertest.Harness {
					mem := &approval.Memory{}
					return approvertest.Harness{Approver: tc.approver(mem), Reviewer: mem}
				})
			})
			tbrecorder.WantCheckFailed(t, failures, tc.want)
		})
	}
}

func TestKitPassesMemoryThroughTheShim(t *testing.T) {
	failures := tbrecorder.Run(t, func(tb testing.TB) { approvertest.Run(tb, memoryHarness) })
	tbrecorder.WantNone(t, failures, "a correct approver")
}
