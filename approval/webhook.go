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

// Store is what a Webhook keeps its reviews in: Memory for one process,
// pgapproval.Approver to share them between replicas.
type Store interface {
	gate.Approver
	Reviewable
	// Vote casts a reviewer's vote (see Memory.Vote).
	Vote(ctx context.Context, id string, reviewer gate.Identity, approve bool, reason string) (gate.Verdict, error)
	// Review returns one review, pending or decided.
	Review(ctx context.Context, id string) (Pending, error)
}

// Webhook is an approver that POSTs every new review to URL, signed, and
// takes decisions back through its Callback handler. Reviews live in Store,
// which enforces the review policy; the Console can serve the same reviews.
//
// Delivery is retried with exponential backoff until it succeeds (a 2xx
// answer), the review is decided, or it expires. An unreachable webhook
// therefore never allows anything: the review expires at its TTL and the
// gate denies the request.
//
// Notifications follow the Standard Webhooks scheme, so receivers can use
// any stock verifier: the body is a JSON Notification, and the headers are
//
//	webhook-id:        the review's id (the same on every retry, so
//	                   receivers can drop duplicates)
//	webhook-timestamp: Unix seconds at signing
//	webhook-signature: "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))
//
// where key is Secret; receivers configure it as SecretString(Secret)
// ("whsec_" + base64). Receivers must verify the signature and reject
// timestamps more than a few minutes away (VerifyNotification does both).
type Webhook struct {
	// URL receives the notifications.
	URL string
	// Secret signs the notifications (the raw key bytes). Required.
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
	// MaskCommand masks the command and every shown part of the payload
	// before they leave the process, on top of the gate's masking (nil:
	// the gate's masking only).
	MaskCommand func(string) string
	// Client sends the notifications (nil: a client with DefaultWebhookTimeout).
	Client *http.Client
	// Backoff is the first retry delay (default DefaultBackoff), doubled per
	// attempt up to MaxBackoff (default DefaultMaxBackoff).
	Backoff, MaxBackoff time.Duration
	// MaxSkew bounds callback timestamps (default DefaultMaxSkew).
	MaxSkew time.Duration
	// Recorder, when set, records approval_notified for each delivered
	// notification and an error event when delivery gives up. Both are
	// recorded before the review's verdict reaches the gate, so they come
	// before the gate's approval_approved/denied events in the record.
	Recorder gate.Recorder
	// Store keeps the reviews (nil: an internal Memory, created on first use).
	Store Store
	// Logger reports delivery failures (nil: silent).
	Logger hclog.Logger

	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	replays replayGuard

	mu         sync.Mutex
	deliveries map[string]*delivery // review id -> its notification
}

// delivery is the notification of one review, in flight or done.
type delivery struct {
	stop     chan struct{} // closed when the review no longer needs the notification
	stopOnce sync.Once
	done     chan struct{} // closed once delivered (and recorded) or given up
	expires  time.Time
}

// WebhookReviewer is a reviewer who signs webhook callbacks with their own
// secret.
type WebhookReviewer struct {
	Identity gate.Identity
	Secret   []byte
}

// Notification is the JSON body a Webhook posts for a new review.
type Notification struct {
	Type     string `json:"type"` // "review_requested"
	ID       string `json:"id"`
	Protocol string `json:"protocol"`
	Target   string `json:"target,omitempty"`
	Command  string `json:"command"` // masked
	// Details is the full payload of the request, masked; parts that
	// cannot be shown are marked as omitted.
	Details *gate.ReviewDetails `json:"details,omitempty"`
	// RequesterReason is the requester's justification (masked).
	RequesterReason string            `json:"requester_reason,omitempty"`
	Rules           []string          `json:"rules,omitempty"`
	Reason          string            `json:"reason,omitempty"`
	Requester       gate.Identity     `json:"requester"` // without claims
	Policy          gate.ReviewPolicy `json:"policy"`
	CreatedAt       time.Time         `json:"created_at"`
	ExpiresAt       time.Time         `json:"expires_at"`
	CallbackURL     string            `json:"callback_url,omitempty"`
}

var _ gate.Approver = (*Webhook)(nil)
var _ Reviewable = (*Webhook)(nil)
var _ Granter = (*Webhook)(nil)

func (w *Webhook) init() {
	w.once.Do(func() {
		w.ctx, w.cancel = context.WithCancel(context.Background())
		if w.Store == nil {
			w.Store = &Memory{}
		}
		if w.Logger == nil {
			w.Logger = hclog.NewNullLogger()
		}
		w.deliveries = make(map[string]*delivery)
	})
}

// Submit files the review in Store and, unless this Webhook already
// notified it, starts delivering its notification in the background.
func (w *Webhook) Submit(ctx context.Context, r gate.ReviewRequest) (string, error) {
	w.init()
	if w.URL == "" || len(w.Secret) == 0 {
		return "", fmt.Errorf("%w: webhook has no URL or secret", ErrInvalidRequest)
	}
	if w.ctx.Err() != nil {
		return "", fmt.Errorf("approval: webhook closed")
	}
	id, err := w.Store.Submit(ctx, r)
	if err != nil {
		return id, err
	}
	now := time.Now()
	w.mu.Lock()
	for k, d := range w.deliveries {
		if now.After(d.expires) {
			delete(w.deliveries, k)
		}
	}
	if _, known := w.deliveries[id]; known {
		w.mu.Unlock()
		return id, nil
	}
	p, err := w.Store.Review(ctx, id)
	if err != nil {
		w.mu.Unlock()
		_ = w.Store.Withdraw(context.WithoutCancel(ctx), id)
		return "", err
	}
	dctx, cancel := context.WithDeadline(w.ctx, p.Request.ExpiresAt)
	d := &delivery{stop: make(chan struct{}), done: make(chan struct{}), expires: p.Request.ExpiresAt.Add(time.Minute)}
	w.deliveries[id] = d
	w.mu.Unlock()
	w.wg.Go(func() {
		defer close(d.done)
		defer cancel()
		w.deliver(dctx, d.stop, p)
	})
	return id, nil
}

// settle stops the retries of review id's notification and waits for the
// attempt in flight, if any, to finish and be recorded. The gate records
// the review's outcome after this, so the record keeps the real order: a
// receiver may act on a notification (and a reviewer approve) before its
// HTTP answer reaches us, and approval_notified must still come first.
func (w *Webhook) settle(id string) {
	w.mu.Lock()
	d := w.deliveries[id]
	w.mu.Unlock()
	if d == nil {
		return
	}
	d.stopOnce.Do(func() { close(d.stop) })
	// The bound only guards against a receiver or recorder that hangs; the
	// attempt in flight ends within the client's timeout.
	t := time.NewTimer(settleWait)
	defer t.Stop()
	select {
	case <-d.done:
	case <-t.C:
	}
}

// settleWait bounds how long settle waits for an attempt in flight.
const settleWait = DefaultWebhookTimeout + time.Second

// Close stops all deliveries in progress and waits for them to end.
// Reviews stay in Store and expire as usual.
func (w *Webhook) Close() error {
	w.init()
	w.cancel()
	w.wg.Wait()
	return nil
}

// deliver posts p's notification until it is accepted, p is no longer
// pending (stop is closed, or Store says so), or ctx ends (the review
// expired or the Webhook closed).
func (w *Webhook) deliver(ctx context.Context, stop <-chan struct{}, p Pending) {
	r := p.Request
	body, err := json.Marshal(Notification{
		Type: "review_requested", ID: p.ID, Protocol: r.Protocol, Target: r.Target, Command: w.mask(r.Command),
		Details: maskDetails(r.Details, w.MaskCommand), RequesterReason: w.mask(r.RequesterReason),
		Rules: r.Rules, Reason: r.Reason, Requester: publicIdentity(r.Requester), Policy: r.Policy,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, CallbackURL: w.CallbackURL,
	})
	if err != nil {
		w.gaveUp(p, err)
		return
	}
	delay := cmp.Or(w.Backoff, DefaultBackoff)
	maxDelay := cmp.Or(w.MaxBackoff, DefaultMaxBackoff)
	for attempt := 1; ; attempt++ {
		err = w.post(ctx, p.ID, body)
		if err == nil {
			w.record(gate.Event{Kind: gate.EventApprovalNotified, SessionID: r.SessionID, Time: time.Now().UTC(),
				Approval: &gate.ApprovalInfo{ID: p.ID, State: gate.ReviewPending, Digest: r.Digest}})
			return
		}
		w.Logger.Warn("approval webhook delivery failed", "review", p.ID, "attempt", attempt, "error", err)
		t := time.NewTimer(delay)
		select {
		case <-stop:
			t.Stop()
			// Ended meanwhile: by reviewers (nobody needs the notification
			// any more), or by its TTL (then the delivery failed).
			if cur, rerr := w.Store.Review(context.WithoutCancel(ctx), p.ID); !time.Now().Before(r.ExpiresAt) ||
				rerr == nil && cur.State == gate.ReviewExpired {
				w.gaveUp(p, err)
			}
			return
		case <-ctx.Done():
			t.Stop()
			w.gaveUp(p, err)
			return
		case <-t.C:
		}
		cur, rerr := w.Store.Review(ctx, p.ID)
		if rerr == nil && cur.State != gate.ReviewPending {
			if cur.State == gate.ReviewExpired {
				w.gaveUp(p, err)
			}
			return
		}
		delay = min(delay*2, maxDelay)
	}
}

func (w *Webhook) mask(s string) string {
	if w.MaskCommand != nil {
		return w.MaskCommand(s)
	}
	return s
}

// maskDetails applies an extra masking function to every shown part.
func maskDetails(d *gate.ReviewDetails, f func(string) string) *gate.ReviewDetails {
	if d == nil || f == nil {
		return d
	}
	c := &gate.ReviewDetails{Undisplayable: d.Undisplayable, Items: make([]gate.DetailItem, len(d.Items))}
	for i, it := range d.Items {
		it.Text = f(it.Text)
		c.Items[i] = it
	}
	return c
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

func (w *Webhook) post(ctx context.Context, id string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range SignNotification(w.Secret, id, time.Now(), body) {
		req.Header[k] = v
	}
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
	v, err := w.Store.Await(ctx, id)
	w.settle(id)
	return v, err
}

// Withdraw abandons the review in Store (see Memory.Withdraw).
func (w *Webhook) Withdraw(ctx context.Context, id string) error {
	w.init()
	err := w.Store.Withdraw(ctx, id)
	w.settle(id)
	return err
}

// Redeem redeems an approval from Store (see Memory.Redeem).
func (w *Webhook) Redeem(ctx context.Context, digest string) (gate.Verdict, error) {
	w.init()
	v, err := w.Store.Redeem(ctx, digest)
	if err == nil && v.ID != "" && v.State != gate.ReviewPending {
		w.settle(v.ID)
	}
	return v, err
}

// Pending lists the open reviews in Store.
func (w *Webhook) Pending(ctx context.Context) ([]Pending, error) {
	w.init()
	return w.Store.Pending(ctx)
}

// History lists the decided reviews in Store, when it keeps them.
func (w *Webhook) History(ctx context.Context) ([]Pending, error) {
	w.init()
	if h, ok := w.Store.(Historian); ok {
		return h.History(ctx)
	}
	return nil, nil
}

// Changed signals changes in Store; nil (never) when Store does not signal.
func (w *Webhook) Changed() <-chan struct{} {
	w.init()
	if ws, ok := w.Store.(Watcher); ok {
		return ws.Changed()
	}
	return nil
}

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

func (w *Webhook) granter() (Granter, error) {
	w.init()
	if g, ok := w.Store.(Granter); ok {
		return g, nil
	}
	return nil, ErrNoGrants
}

// ApproveGrant approves with a grant in Store (see Granter).
func (w *Webhook) ApproveGrant(ctx context.Context, id string, reviewer gate.Identity, reason string, spec gate.GrantSpec) (gate.Verdict, error) {
	g, err := w.granter()
	if err != nil {
		return gate.Verdict{}, err
	}
	return g.ApproveGrant(ctx, id, reviewer, reason, spec)
}

// ActiveGrants lists active grants in Store (none when it keeps none).
func (w *Webhook) ActiveGrants(ctx context.Context, subject string) ([]gate.Grant, error) {
	g, err := w.granter()
	if err != nil {
		return nil, nil
	}
	return g.ActiveGrants(ctx, subject)
}

// UseGrant takes a use of a grant in Store.
func (w *Webhook) UseGrant(ctx context.Context, id string) (bool, error) {
	g, err := w.granter()
	if err != nil {
		return false, nil
	}
	return g.UseGrant(ctx, id)
}

// Grants lists the grants in Store.
func (w *Webhook) Grants(ctx context.Context) ([]gate.Grant, error) {
	g, err := w.granter()
	if err != nil {
		return nil, err
	}
	return g.Grants(ctx)
}

// RevokeGrant revokes a grant in Store.
func (w *Webhook) RevokeGrant(ctx context.Context, id string, by gate.Identity) error {
	g, err := w.granter()
	if err != nil {
		return err
	}
	return g.RevokeGrant(ctx, id, by)
}
