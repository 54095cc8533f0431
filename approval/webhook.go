package approval

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/hashicorp/go-hclog"
)

// Default delivery settings of a Webhook.
const (
	DefaultWebhookTimeout = 10 * time.Second
	DefaultBackoff        = 250 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
)

// Webhook is an approver that POSTs every new review to URL, signed, and
// takes decisions back through its Callback handler. Reviews live in Store,
// which enforces the review policy; the Console can serve the same reviews.
//
// Delivery is retried with exponential backoff until it succeeds (a 2xx
// answer), the review is decided, or it expires. An unreachable webhook
// therefore never allows anything: the review expires at its TTL and the
// gate denies the request.
//
// Every notification is a JSON Notification, with HeaderTimestamp and
// HeaderSignature set by Sign(Secret, ...). Receivers must check both with
// Verify.
type Webhook struct {
	// URL receives the notifications.
	URL string
	// Secret signs the notifications. Required.
	Secret []byte
	// CallbackURL, when set, is sent in each notification so the receiver
	// knows where to post decisions.
	CallbackURL string
	// Reviewers maps the HeaderKey of a callback to the reviewer who signs
	// with that key: a callback signed by a reviewer's own secret votes as
	// that reviewer.
	Reviewers map[string]WebhookReviewer
	// Authenticate, when set, is tried for callbacks without HeaderKey (for
	// instance BearerTokens). Callbacks authenticated this way must still
	// carry a fresh HeaderTimestamp and are accepted once.
	Authenticate Authenticator
	// MaskCommand masks the command before it leaves the process (nil sends
	// it as is).
	MaskCommand func(string) string
	// Client sends the notifications (nil: a client with DefaultWebhookTimeout).
	Client *http.Client
	// Backoff is the first retry delay (default DefaultBackoff), doubled per
	// attempt up to MaxBackoff (default DefaultMaxBackoff).
	Backoff, MaxBackoff time.Duration
	// MaxSkew bounds callback timestamps (default DefaultMaxSkew).
	MaxSkew time.Duration
	// Recorder, when set, records approval_notified for each delivered
	// notification and an error event when delivery gives up.
	Recorder gate.Recorder
	// Store keeps the reviews (nil: an internal Memory, created on first use).
	Store *Memory
	// Logger reports delivery failures (nil: silent).
	Logger hclog.Logger

	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	replays replayGuard
}

// WebhookReviewer is a reviewer who signs webhook callbacks with their own
// secret.
type WebhookReviewer struct {
	Identity gate.Identity
	Secret   []byte
}

// Notification is the JSON body a Webhook posts for a new review.
type Notification struct {
	Type        string            `json:"type"` // "review_requested"
	ID          string            `json:"id"`
	Protocol    string            `json:"protocol"`
	Target      string            `json:"target,omitempty"`
	Command     string            `json:"command"` // masked by MaskCommand
	Rules       []string          `json:"rules,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	Requester   gate.Identity     `json:"requester"` // without claims
	Policy      gate.ReviewPolicy `json:"policy"`
	CreatedAt   time.Time         `json:"created_at"`
	ExpiresAt   time.Time         `json:"expires_at"`
	CallbackURL string            `json:"callback_url,omitempty"`
}

var _ gate.Approver = (*Webhook)(nil)
var _ Reviewable = (*Webhook)(nil)

func (w *Webhook) init() {
	w.once.Do(func() {
		w.ctx, w.cancel = context.WithCancel(context.Background())
		if w.Store == nil {
			w.Store = &Memory{}
		}
		if w.Logger == nil {
			w.Logger = hclog.NewNullLogger()
		}
	})
}

// Submit files the review in Store and, when it is new, starts delivering
// its notification in the background.
func (w *Webhook) Submit(ctx context.Context, r gate.ReviewRequest) (string, error) {
	w.init()
	if w.URL == "" || len(w.Secret) == 0 {
		return "", fmt.Errorf("%w: webhook has no URL or secret", ErrInvalidRequest)
	}
	if w.ctx.Err() != nil {
		return "", fmt.Errorf("approval: webhook closed")
	}
	id, created, err := w.Store.submit(ctx, r)
	if err != nil || !created {
		return id, err
	}
	p, _ := w.Store.Get(id)
	w.wg.Go(func() { w.deliver(p) })
	return id, nil
}

// Close stops all deliveries in progress and waits for them to end.
// Reviews stay in Store and expire as usual.
func (w *Webhook) Close() error {
	w.init()
	w.cancel()
	w.wg.Wait()
	return nil
}

// deliver posts p's notification until it is accepted, p is no longer
// pending, or p expires.
func (w *Webhook) deliver(p Pending) {
	r := p.Request
	cmd := r.Command
	if w.MaskCommand != nil {
		cmd = w.MaskCommand(cmd)
	}
	body, err := json.Marshal(Notification{
		Type: "review_requested", ID: p.ID, Protocol: r.Protocol, Target: r.Target, Command: cmd,
		Rules: r.Rules, Reason: r.Reason, Requester: publicIdentity(r.Requester), Policy: r.Policy,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, CallbackURL: w.CallbackURL,
	})
	if err != nil {
		w.gaveUp(p, err)
		return
	}
	ctx, cancel := context.WithDeadline(w.ctx, r.ExpiresAt)
	defer cancel()
	delay := cmp.Or(w.Backoff, DefaultBackoff)
	maxDelay := cmp.Or(w.MaxBackoff, DefaultMaxBackoff)
	for attempt := 1; ; attempt++ {
		err = w.post(ctx, body)
		if err == nil {
			w.record(gate.Event{Kind: gate.EventApprovalNotified, SessionID: r.SessionID, Time: time.Now().UTC(),
				Approval: &gate.ApprovalInfo{ID: p.ID, State: gate.ReviewPending, Digest: r.Digest}})
			return
		}
		w.Logger.Warn("approval webhook delivery failed", "review", p.ID, "attempt", attempt, "error", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			w.gaveUp(p, err)
			return
		case <-t.C:
		}
		if cur, ok := w.Store.Get(p.ID); !ok || cur.State != gate.ReviewPending {
			if cur.State == gate.ReviewExpired {
				w.gaveUp(p, err)
			}
			return
		}
		delay = min(delay*2, maxDelay)
	}
}

func (w *Webhook) gaveUp(p Pending, err error) {
	w.Logger.Error("approval webhook not delivered; the review will expire", "review", p.ID, "error", err)
	w.record(gate.Event{Kind: gate.EventError, SessionID: p.Request.SessionID, Time: time.Now().UTC(),
		Approval: &gate.ApprovalInfo{ID: p.ID, State: gate.ReviewPending},
		Error:    "approval webhook not delivered: " + err.Error()})
}

func (w *Webhook) record(e gate.Event) {
	if w.Recorder == nil {
		return
	}
	if err := w.Recorder.Record(context.WithoutCancel(w.ctx), e); err != nil {
		w.Logger.Error("approval: record webhook event", "kind", e.Kind, "error", err)
	}
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts, sig := Sign(w.Secret, time.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, sig)
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultWebhookTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Await waits for the review in Store (see Memory.Await).
func (w *Webhook) Await(ctx context.Context, id string) (gate.Verdict, error) {
	w.init()
	return w.Store.Await(ctx, id)
}

// Withdraw abandons the review in Store (see Memory.Withdraw).
func (w *Webhook) Withdraw(ctx context.Context, id string) error {
	w.init()
	return w.Store.Withdraw(ctx, id)
}

// Redeem redeems an approval from Store (see Memory.Redeem).
func (w *Webhook) Redeem(ctx context.Context, digest string) (gate.Verdict, error) {
	w.init()
	return w.Store.Redeem(ctx, digest)
}

// Pending lists the open reviews in Store.
func (w *Webhook) Pending() []Pending { w.init(); return w.Store.Pending() }

// History lists the decided reviews in Store.
func (w *Webhook) History() []Pending { w.init(); return w.Store.History() }

// Changed signals changes in Store.
func (w *Webhook) Changed() <-chan struct{} { w.init(); return w.Store.Changed() }

// Approve votes on a review in Store (see Memory.Approve).
func (w *Webhook) Approve(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error) {
	w.init()
	return w.Store.Approve(ctx, id, reviewer, reason)
}

// Deny votes on a review in Store (see Memory.Deny).
func (w *Webhook) Deny(ctx context.Context, id string, reviewer gate.Identity, reason string) (gate.Verdict, error) {
	w.init()
	return w.Store.Deny(ctx, id, reviewer, reason)
}
