package approval

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// MaxCallbackBody bounds the body of a decision callback, in bytes.
const MaxCallbackBody = 64 << 10

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Callback returns the http.Handler through which decisions come back. It
// accepts a POST of a JSON Decision that is either
//
//   - signed by a reviewer's own secret: HeaderKey names an entry of
//     Reviewers, HeaderTimestamp and HeaderSignature are set by Sign; or
//   - authenticated by Authenticate (for instance a bearer token) and
//     carrying a fresh HeaderTimestamp.
//
// Messages older or newer than MaxSkew are rejected, and each message is
// accepted once (replays get 409). The vote is checked against the review's
// policy like any other. The answer is the resulting gate.Verdict as JSON,
// or {"error": ...} with a 4xx status.
func (w *Webhook) Callback() http.Handler {
	return http.HandlerFunc(w.serveCallback)
}

func (w *Webhook) serveCallback(rw http.ResponseWriter, r *http.Request) {
	w.init()
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		writeJSON(rw, http.StatusMethodNotAllowed, errorBody{Error: "POST only"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxCallbackBody))
	if err != nil {
		writeJSON(rw, http.StatusRequestEntityTooLarge, errorBody{Error: "body too large"})
		return
	}
	reviewer, replayKey, err := w.authenticateCallback(r, body)
	if err != nil {
		writeError(rw, err)
		return
	}
	d, err := decodeDecision(body)
	if err != nil {
		writeError(rw, err)
		return
	}
	now := time.Now()
	if !w.replays.accept(replayKey, now, replayForget(now, w.MaxSkew)) {
		writeError(rw, ErrReplay)
		return
	}
	var v gate.Verdict
	if d.Grant != nil {
		spec, serr := d.Grant.Spec()
		if serr != nil {
			writeError(rw, serr)
			return
		}
		v, err = w.ApproveGrant(r.Context(), d.ID, reviewer, d.Reason, spec)
	} else {
		v, err = w.Store.Vote(r.Context(), d.ID, reviewer, d.Decision == "approve", d.Reason)
	}
	if err != nil {
		writeError(rw, err)
		return
	}
	writeJSON(rw, http.StatusOK, v)
}

// authenticateCallback returns the reviewer of a callback and the key under
// which the message is remembered against replays. The key is the message's
// one spelling: a signed callback's HMAC bytes (not its hex as written, which
// reads the same in upper case), a token callback's subject, timestamp in
// seconds and body. A signed callback's key does not name the reviewer key,
// so a message cannot be replayed under another key name sharing a secret.
func (w *Webhook) authenticateCallback(r *http.Request, body []byte) (gate.Identity, string, error) {
	now := time.Now()
	ts := r.Header.Get(HeaderTimestamp)
	if key := r.Header.Get(HeaderKey); key != "" {
		rv, ok := w.Reviewers[key]
		secret := rv.Secret
		if !ok {
			// An unknown key name is checked against a secret nobody has,
			// so it is answered as a wrong signature is, in about the same
			// time: the answers do not tell which key names exist.
			secret = unknownKeySecret[:]
		}
		raw, err := verifySigned(secret, ts, r.Header.Get(HeaderSignature), body, now, w.MaxSkew)
		if err == nil && !ok {
			err = fmt.Errorf("%w: signature does not match", ErrBadSignature)
		}
		if err != nil {
			return gate.Identity{}, "", err
		}
		return cloneIdentity(rv.Identity), "sig:" + hex.EncodeToString(raw), nil
	}
	if w.Authenticate == nil {
		return gate.Identity{}, "", ErrUnauthenticated
	}
	id, err := w.Authenticate(r)
	if err != nil {
		return gate.Identity{}, "", errors.Join(ErrUnauthenticated, err)
	}
	at, err := freshTimestamp(ts, now, w.MaxSkew)
	if err != nil {
		return gate.Identity{}, "", fmt.Errorf("%w: missing or stale %s", ErrBadSignature, HeaderTimestamp)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", id.Subject, at.Unix())
	h.Write(body)
	return id, "tok:" + hex.EncodeToString(h.Sum(nil)), nil
}

// unknownKeySecret is the secret a callback naming an unknown key is
// checked against: random, drawn once, never given to anyone.
var unknownKeySecret = func() (k [32]byte) {
	_, _ = rand.Read(k[:])
	return k
}()
