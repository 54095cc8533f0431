package approval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/wait"
)

// Default bounds of a Memory approver.
const (
	DefaultHistoryLimit = 1000
	DefaultMaxPending   = 10000
)

// ErrTooManyPending means Submit refused a review because MaxPending reviews are
// already open. The gate then denies the request (fail closed).
var ErrTooManyPending = errors.New("approval: too many pending reviews")

// Memory is an in-process approver: reviews live in memory and reviewers
// vote through Approve and Deny (directly, or through a Console or Webhook
// built on it). It enforces the review policy of each request (see
// CheckReviewer and gate.ReviewPolicy), binds every review to the request's
// digest, ends reviews at their ExpiresAt, and lets an approval be used
// exactly once (by Await or Redeem).
//
// The zero value is ready to use; a Memory must not be copied after first
// use. It is a real implementation, meant for production use in a single
// process as much as for tests.
type Memory struct {
	// HistoryLimit bounds how many decided reviews are kept (default
	// DefaultHistoryLimit). Older ones are forgotten: Redeem no longer finds
	// them and Await reports ErrUnknownReview.
	HistoryLimit int
	// MaxPending bounds how many reviews may be open at once (default
	// DefaultMaxPending), so a flood of held requests cannot exhaust memory.
	MaxPending int

	mu      sync.Mutex
	reviews map[string]*entry
	open    map[string]*entry // the pending subset of reviews
	digests map[string]string // digest -> newest review id
	decided []string          // ids of decided reviews, oldest first
	changed chan struct{}
	grants  []*gate.Grant // oldest first
}

type entry struct {
	Pending
	done    chan struct{} // closed when the review leaves the pending state
	waiters int           // Await calls in progress
}

var _ gate.Approver = (*Memory)(nil)
var _ Reviewable = (*Memory)(nil)
var _ Granter = (*Memory)(nil)

func (m *Memory) init() {
	if m.reviews == nil {
		m.reviews = make(map[string]*entry)
		m.open = make(map[string]*entry)
		m.digests = make(map[string]string)
	}
}

// signal wakes everything waiting on Changed. Callers hold m.mu.
func (m *Memory) signal() {
	if m.changed != nil {
		close(m.changed)
		m.changed = nil
	}
}

// Changed returns a channel that is closed at the next change of any review.
func (m *Memory) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.changed == nil {
		m.changed = make(chan struct{})
	}
	return m.changed
}

// Submit files r for review and returns its id. A pending review with the
// same digest is reused. r.Policy is completed with its defaults; a zero
// CreatedAt becomes now and a zero ExpiresAt becomes CreatedAt + TTL.
func (m *Memory) Submit(ctx context.Context, r gate.ReviewRequest) (string, error) {
	id, _, err := m.submit(ctx, r)
	return id, err
}

// submit is Submit that also reports whether a new review was filed.
func (m *Memory) submit(ctx context.Context, r gate.ReviewRequest) (id string, created bool, err error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if r.Digest == "" {
		return "", false, fmt.Errorf("%w: no digest", ErrInvalidRequest)
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	open := m.sweep(now)
	if id, ok := m.digests[r.Digest]; ok {
		if e := m.reviews[id]; e != nil && e.State == gate.ReviewPending {
			return id, false, nil
		}
	}
	limit := cmp.Or(m.MaxPending, DefaultMaxPending)
	if open >= limit {
		return "", false, fmt.Errorf("%w (%d)", ErrTooManyPending, limit)
	}
	r.Policy = r.Policy.WithDefaults()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now.UTC()
	}
	if r.ExpiresAt.IsZero() {
		r.ExpiresAt = r.CreatedAt.Add(r.Policy.TTL)
	}
	e := &entry{Pending: Pending{ID: gate.NewID(), State: gate.ReviewPending}, done: make(chan struct{})}
	e.Request = r
	e.Pending = e.Pending.clone()
	m.reviews[e.ID] = e
	m.open[e.ID] = e
	m.digests[r.Digest] = e.ID
	m.signal()
	return e.ID, true, nil
}

// sweep expires overdue reviews and returns how many are still pending.
// Callers hold m.mu.
func (m *Memory) sweep(now time.Time) int {
	for _, e := range m.open {
		m.expire(e, now) // deleting from m.open while ranging is safe
	}
	return len(m.open)
}

// expire ends e if it is pending or approved-but-unused past its ExpiresAt.
// Callers hold m.mu.
func (m *Memory) expire(e *entry, now time.Time) {
	if now.Before(e.Request.ExpiresAt) {
		return
	}
	switch e.State {
	case gate.ReviewPending:
		m.end(e, gate.ReviewExpired, "the review expired", now)
	case gate.ReviewApproved:
		// An approval nobody used in time dies with its review.
		e.State = gate.ReviewExpired
		m.signal()
	}
}

// end moves a pending review to a final state. Callers hold m.mu.
func (m *Memory) end(e *entry, state gate.ReviewState, reason string, now time.Time) {
	e.settle(state, reason, now)
	m.settled(e)
}

// settled wakes the waiters of a review that just left the pending state
// and files it in the history. Callers hold m.mu.
func (m *Memory) settled(e *entry) {
	close(e.done)
	delete(m.open, e.ID)
	m.decided = append(m.decided, e.ID)
	limit := cmp.Or(m.HistoryLimit, DefaultHistoryLimit)
	for len(m.decided) > limit {
		old := m.decided[0]
		m.decided = m.decided[1:]
		// Await calls in progress hold the entry itself, not its id.
		if oe := m.reviews[old]; oe != nil {
			delete(m.reviews, old)
			if m.digests[oe.Request.Digest] == old {
				delete(m.digests, oe.Request.Digest)
			}
		}
	}
	m.signal()
}

// Await blocks until review id is decided or expires, or ctx ends. An
// approval it returns (State gate.ReviewApproved) is consumed: any other
// Await or Redeem of it then fails with ErrConsumed or finds nothing.
func (m *Memory) Await(ctx context.Context, id string) (gate.Verdict, error) {
	m.mu.Lock()
	m.init()
	e := m.reviews[id]
	if e == nil {
		m.mu.Unlock()
		return gate.Verdict{}, fmt.Errorf("%w: %s", ErrUnknownReview, id)
	}
	e.waiters++
	defer func() {
		m.mu.Lock()
		e.waiters--
		m.mu.Unlock()
	}()
	for {
		m.expire(e, time.Now())
		if e.State != gate.ReviewPending {
			v, err := m.take(e)
			m.mu.Unlock()
			return v, err
		}
		done, deadline := e.done, e.Request.ExpiresAt
		m.mu.Unlock()
		if err := wait.For(ctx, done, time.Until(deadline)); err != nil {
			return gate.Verdict{}, err
		}
		m.mu.Lock()
	}
}

// take returns the verdict of a decided review, consuming an approval.
// Callers hold m.mu.
func (m *Memory) take(e *entry) (gate.Verdict, error) {
	switch e.State {
	case gate.ReviewApproved:
		v := e.Verdict()
		e.State = gate.ReviewConsumed
		m.signal()
		return v, nil
	case gate.ReviewConsumed:
		return gate.Verdict{}, fmt.Errorf("%w: %s", ErrConsumed, e.ID)
	}
	return e.Verdict(), nil
}

// Withdraw abandons a pending review (the requester gave up). While other
// Await calls still wait for the same review (identical requests share a
// review), it stays open for them. An approval not yet used is withdrawn
// too. Withdrawing an expired or withdrawn review succeeds; a denied or
// used one gives ErrNotPending.
func (m *Memory) Withdraw(ctx context.Context, id string) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.review(id, now)
	if err != nil {
		return err
	}
	switch e.State {
	case gate.ReviewPending:
		if e.waiters > 0 {
			return nil
		}
		m.end(e, gate.ReviewWithdrawn, "withdrawn by the requester", now)
	case gate.ReviewApproved:
		e.State = gate.ReviewWithdrawn
		e.Reason = "withdrawn by the requester"
		m.signal()
	case gate.ReviewExpired, gate.ReviewWithdrawn:
	default:
		return fmt.Errorf("%w: %s is %s", ErrNotPending, id, e.State)
	}
	return nil
}

// Redeem returns the newest review for digest. An approved one is consumed
// and returned as gate.ReviewApproved; a denied one is returned once and
// then forgotten; a pending one is returned as is. Expired, withdrawn and
// used reviews are returned with their state, which tells the gate to file
// a new review. No review gives State gate.ReviewNone.
func (m *Memory) Redeem(ctx context.Context, digest string) (gate.Verdict, error) {
	if err := ctx.Err(); err != nil {
		return gate.Verdict{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	id, ok := m.digests[digest]
	e := m.reviews[id]
	if !ok || e == nil || digest == "" {
		return gate.Verdict{State: gate.ReviewNone}, nil
	}
	m.expire(e, time.Now())
	switch e.State {
	case gate.ReviewApproved:
		return m.take(e)
	case gate.ReviewDenied:
		delete(m.digests, digest)
	}
	return e.Verdict(), nil
}

// Approve casts reviewer's approving vote on review id. The review is
// approved when the policy's approvals are reached, or at once by a member
// of a break-glass group. It returns the verdict after the vote.
func (m *Memory) Approve(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error) {
	return m.Vote(ctx, id, reviewer, true, reason)
}

// Deny casts reviewer's denying vote on review id. The review is denied
// when the policy's denials are reached.
func (m *Memory) Deny(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error) {
	return m.Vote(ctx, id, reviewer, false, reason)
}

// Vote casts reviewer's vote on review id after checking it against the
// review's policy (CheckReviewer, the reason rules, one vote per reviewer).
// A refused vote changes nothing.
func (m *Memory) Vote(ctx context.Context, id string, reviewer gate.Identity, approve bool, reason string) (gate.Verdict, error) {
	return m.vote(ctx, id, reviewer, approve, reason, nil)
}

// ApproveGrant approves review id and asks for a grant (see Granter).
func (m *Memory) ApproveGrant(ctx context.Context, id string, reviewer gate.Identity, reason string, spec gate.GrantSpec) (gate.Verdict, error) {
	return m.vote(ctx, id, reviewer, true, reason, &spec)
}

func (m *Memory) vote(ctx context.Context, id string, reviewer gate.Identity, approve bool, reason string, grant *gate.GrantSpec) (gate.Verdict, error) {
	if err := ctx.Err(); err != nil {
		return gate.Verdict{}, err
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.review(id, now)
	if err != nil {
		return gate.Verdict{}, err
	}
	switch e.State {
	case gate.ReviewPending:
	case gate.ReviewExpired:
		return e.Verdict(), fmt.Errorf("%w: %s", ErrExpired, id)
	default:
		return e.Verdict(), fmt.Errorf("%w: %s is %s", ErrNotPending, id, e.State)
	}
	if err := e.Vote(reviewer, approve, reason, grant, now); err != nil {
		return e.Verdict(), err
	}
	if e.Grant != nil {
		m.addGrant(*e.Grant, now)
	}
	if e.State != gate.ReviewPending {
		m.settled(e)
	} else {
		m.signal()
	}
	return e.Verdict(), nil
}

// Review returns review id, pending or decided (ErrUnknownReview when it is
// not kept).
func (m *Memory) Review(ctx context.Context, id string) (Pending, error) {
	if p, ok := m.Get(id); ok {
		return p, nil
	}
	return Pending{}, fmt.Errorf("%w: %s", ErrUnknownReview, id)
}

// Get returns review id, pending or decided.
func (m *Memory) Get(id string) (Pending, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.review(id, time.Now())
	if err != nil {
		return Pending{}, false
	}
	return e.Pending.clone(), true
}

// review returns review id, expired if its time was up at now, or an
// error wrapping ErrUnknownReview; m.mu is held.
func (m *Memory) review(id string, now time.Time) (*entry, error) {
	m.init()
	e := m.reviews[id]
	if e == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownReview, id)
	}
	m.expire(e, now)
	return e, nil
}

// Pending lists the open reviews, oldest first. It fails only when ctx has
// ended.
func (m *Memory) Pending(ctx context.Context) ([]Pending, error) {
	return listing(ctx, m.pending)
}

// listing returns list() unless ctx has ended.
func listing(ctx context.Context, list func() []Pending) ([]Pending, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return list(), nil
}

// sweepNow drops the reviews that expired by now; m.mu is held.
func (m *Memory) sweepNow() {
	m.init()
	m.sweep(time.Now())
}

func (m *Memory) pending() []Pending {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepNow()
	out := make([]Pending, 0, len(m.open))
	for _, e := range m.open {
		out = append(out, e.Pending.clone())
	}
	slices.SortFunc(out, func(a, b Pending) int {
		return cmp.Or(a.Request.CreatedAt.Compare(b.Request.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// History lists the decided reviews still kept, newest first. It fails only
// when ctx has ended.
func (m *Memory) History(ctx context.Context) ([]Pending, error) {
	return listing(ctx, m.history)
}

func (m *Memory) history() []Pending {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepNow()
	out := make([]Pending, 0, len(m.decided))
	for i := len(m.decided) - 1; i >= 0; i-- {
		if e := m.reviews[m.decided[i]]; e != nil {
			out = append(out, e.Pending.clone())
		}
	}
	return out
}

// WaitPending blocks until a review is open and returns the oldest one, or
// returns ctx.Err(). It lets a test or a demo script a reviewer:
//
//	p, err := mem.WaitPending(ctx)
//	...
//	mem.Approve(ctx, p.ID, reviewer, "looks fine")
func (m *Memory) WaitPending(ctx context.Context) (Pending, error) {
	for {
		ch := m.Changed()
		if ps := m.pending(); len(ps) > 0 {
			return ps[0], nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Pending{}, ctx.Err()
		}
	}
}
