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
// timestamp must lie within maxSkew of now (DefaultMaxSkew when zero or
// negative). The timestamp must be written as Sign writes it (decimal, no
// sign, no leading zeros). It does not detect replays; see Webhook's
// callback for that.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, maxSkew time.Duration) error {
	_, err := verifySigned(secret, timestamp, signature, body, now, maxSkew)
	return err
}

// verifySigned is Verify returning the signature's bytes: the one spelling
// of the message that the replay guard remembers (hex is read in either
// letter case, so its text is not).
func verifySigned(secret []byte, timestamp, signature string, body []byte, now time.Time, maxSkew time.Duration) ([]byte, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("%w: no secret configured", ErrBadSignature)
	}
	if _, err := freshTimestamp(timestamp, now, maxSkew); err != nil {
		return nil, err
	}
	got, ok := strings.CutPrefix(signature, "v1=")
	if !ok {
		return nil, fmt.Errorf("%w: no v1 signature", ErrBadSignature)
	}
	raw, err := hex.DecodeString(got)
	if err != nil || !hmac.Equal(raw, mac(secret, timestamp, body)) {
		return nil, fmt.Errorf("%w: signature does not match", ErrBadSignature)
	}
	return raw, nil
}

// skewOf is the timestamp tolerance maxSkew stands for: DefaultMaxSkew
// when zero or negative. The verifiers and the replay guard read it alike.
func skewOf(maxSkew time.Duration) time.Duration {
	if maxSkew <= 0 {
		return DefaultMaxSkew
	}
	return maxSkew
}

// freshTimestamp reads a Unix-seconds timestamp written as
// strconv.FormatInt writes it and checks it lies within maxSkew of now.
// Other spellings of the same instant ("+1700000000", "01700000000") are
// refused: a message has one spelling, so a replay cannot pass for a new
// message by respelling its time.
func freshTimestamp(timestamp string, now time.Time, maxSkew time.Duration) (time.Time, error) {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || strconv.FormatInt(sec, 10) != timestamp {
		return time.Time{}, fmt.Errorf("%w: malformed timestamp", ErrBadSignature)
	}
	ts := time.Unix(sec, 0)
	skew := skewOf(maxSkew)
	if d := now.Sub(ts); d > skew || d < -skew {
		return time.Time{}, fmt.Errorf("%w: timestamp outside the allowed %v", ErrBadSignature, skew)
	}
	return ts, nil
}

// replayForget is when the replay guard may forget a message accepted at
// now: once it could no longer pass the timestamp check, however the clock
// and the message's timestamp lie, and never before now (a tolerance too
// large to add is remembered for as long as the process runs).
func replayForget(now time.Time, maxSkew time.Duration) time.Time {
	skew := skewOf(maxSkew)
	if skew > 1<<62 {
		return time.Unix(1<<62, 0)
	}
	forget := now.Add(2 * skew)
	if forget.Before(now) {
		return time.Unix(1<<62, 0)
	}
	return forget
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
