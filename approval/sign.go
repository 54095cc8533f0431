package approval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Headers of signed decision callbacks (reviewer to Airlock). Notifications
// (Airlock to receiver) follow the Standard Webhooks scheme instead; see
// SignNotification.
const (
	// HeaderTimestamp carries the signing time in Unix seconds.
	HeaderTimestamp = "X-Airlock-Timestamp"
	// HeaderSignature carries "v1=" and the hex HMAC-SHA256 of
	// timestamp + "." + body.
	HeaderSignature = "X-Airlock-Signature"
	// HeaderKey names the reviewer key that signed a callback.
	HeaderKey = "X-Airlock-Key"
)

// DefaultMaxSkew is how far a signed message's timestamp may be from now.
const DefaultMaxSkew = 5 * time.Minute

// ErrBadSignature means a signed message failed verification (missing, malformed
// or wrong signature, or a timestamp outside the allowed skew).
var ErrBadSignature = errors.New("approval: bad signature")

// ErrReplay means a signed message was already accepted once.
var ErrReplay = errors.New("approval: replayed message")

// Sign returns the timestamp and signature header values for body, signed
// with secret at time t. Reviewers sign decision callbacks with it; the
// callback verifies them with Verify.
func Sign(secret []byte, t time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(t.Unix(), 10)
	return timestamp, "v1=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a signature made by Sign: the HMAC must match and the
// timestamp must lie within maxSkew of now (DefaultMaxSkew when zero). It
// does not detect replays; see Webhook's callback for that.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, maxSkew time.Duration) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no secret configured", ErrBadSignature)
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || len(timestamp) > 19 {
		return fmt.Errorf("%w: malformed timestamp", ErrBadSignature)
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("%w: timestamp outside the allowed %v", ErrBadSignature, maxSkew)
	}
	got, ok := strings.CutPrefix(signature, "v1=")
	if !ok {
		return fmt.Errorf("%w: no v1 signature", ErrBadSignature)
	}
	raw, err := hex.DecodeString(got)
	if err != nil || !hmac.Equal(raw, mac(secret, timestamp, body)) {
		return fmt.Errorf("%w: signature does not match", ErrBadSignature)
	}
	return nil
}

// replayGuard remembers accepted signatures until they could no longer pass
// the timestamp check.
type replayGuard struct {
	mu   sync.Mutex
	seen map[string]time.Time // signature -> when it may be forgotten
}

// accept reports whether sig is new, and remembers it until forget.
func (g *replayGuard) accept(sig string, now, forget time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = make(map[string]time.Time)
	}
	for s, t := range g.seen {
		if now.After(t) {
			delete(g.seen, s)
		}
	}
	if _, dup := g.seen[sig]; dup {
		return false
	}
	g.seen[sig] = forget
	return true
}
