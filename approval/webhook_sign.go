package approval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of the Standard Webhooks scheme, which notifications follow.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// secretPrefix starts a secret in the Standard Webhooks text form.
const secretPrefix = "whsec_"

// SecretString returns key in the form Standard Webhooks receivers are
// configured with: "whsec_" and the base64 of the key.
func SecretString(key []byte) string {
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

// ParseSecret reads a "whsec_..." secret (or bare base64) back into the key.
func ParseSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, secretPrefix))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("approval: webhook secret: want %q and base64", secretPrefix)
	}
	return key, nil
}

// SignNotification returns the Standard Webhooks headers for a message:
// webhook-id, webhook-timestamp (Unix seconds of t) and webhook-signature
// ("v1," and the base64 HMAC-SHA256 of id.timestamp.body under key).
func SignNotification(key []byte, id string, t time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, ts)
	h.Set(HeaderWebhookSignature, "v1,"+base64.StdEncoding.EncodeToString(notificationMAC(key, id, ts, body)))
	return h
}

func notificationMAC(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyNotification checks a notification as a receiver must: one of the
// space-separated "v1," signatures matches, and the timestamp is within
// maxSkew of now (DefaultMaxSkew when zero). Header names are matched in
// any case.
func VerifyNotification(key []byte, h http.Header, body []byte, now time.Time, maxSkew time.Duration) error {
	if len(key) == 0 {
		return fmt.Errorf("%w: no secret configured", ErrBadSignature)
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	id, ts := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp)
	if id == "" {
		return fmt.Errorf("%w: no %s", ErrBadSignature, HeaderWebhookID)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 19 {
		return fmt.Errorf("%w: malformed timestamp", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("%w: timestamp outside the allowed %v", ErrBadSignature, maxSkew)
	}
	want := notificationMAC(key, id, ts, body)
	for _, sig := range strings.Fields(h.Get(HeaderWebhookSignature)) {
		v, b64, ok := strings.Cut(sig, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: signature does not match", ErrBadSignature)
}
