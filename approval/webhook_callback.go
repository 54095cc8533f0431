package approval

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
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
	skew := cmp.Or(w.MaxSkew, DefaultMaxSkew)
	if !w.replays.accept(replayKey, now, now.Add(2*skew)) {
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
// which the message is remembered against replays.
func (w *Webhook) authenticateCallback(r *http.Request, body []byte) (gate.Identity, string, error) {
	now := time.Now()
	ts := r.Header.Get(HeaderTimestamp)
	if key := r.Header.Get(HeaderKey); key != "" {
		rv, ok := w.Reviewers[key]
		if !ok {
			return gate.Identity{}, "", fmt.Errorf("%w: unknown key", ErrBadSignature)
		}
		sig := r.Header.Get(HeaderSignature)
		if err := Verify(rv.Secret, ts, sig, body, now, w.MaxSkew); err != nil {
			return gate.Identity{}, "", err
		}
		return cloneIdentity(rv.Identity), "sig:" + key + ":" + sig, nil
	}
	if w.Authenticate == nil {
		return gate.Identity{}, "", ErrUnauthenticated
	}
	id, err := w.Authenticate(r)
	if err != nil {
		return gate.Identity{}, "", errors.Join(ErrUnauthenticated, err)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	skew := cmp.Or(w.MaxSkew, DefaultMaxSkew)
	if err != nil || len(ts) > 19 || now.Sub(time.Unix(sec, 0)).Abs() > skew {
		return gate.Identity{}, "", fmt.Errorf("%w: missing or stale %s", ErrBadSignature, HeaderTimestamp)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", id.Subject, ts)
	h.Write(body)
	return id, "tok:" + hex.EncodeToString(h.Sum(nil)), nil
}
