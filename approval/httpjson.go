package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/jsontext"
)

// statusOf maps the package's errors to HTTP statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnauthenticated), errors.Is(err, ErrBadSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrSelfReview), errors.Is(err, ErrNotReviewer), errors.Is(err, ErrCSRF):
		return http.StatusForbidden
	case errors.Is(err, ErrUnknownReview), errors.Is(err, ErrUnknownGrant):
		return http.StatusNotFound
	case errors.Is(err, ErrNotPending), errors.Is(err, ErrAlreadyVoted), errors.Is(err, ErrReplay):
		return http.StatusConflict
	case errors.Is(err, ErrReasonRequired), errors.Is(err, ErrReasonTooLong), errors.Is(err, ErrBadReason), errors.Is(err, ErrInvalidRequest),
		errors.Is(err, gate.ErrGrantNotAllowed), errors.Is(err, ErrNoGrants):
		return http.StatusUnprocessableEntity
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON error answer of the callback and the console API.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeResult writes v as JSON with 200 OK, or err as the error answer.
func writeResult[T any](w http.ResponseWriter, v T, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func writeError(w http.ResponseWriter, err error) {
	status := statusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		msg = "internal error"
	}
	writeJSON(w, status, errorBody{Error: msg})
}

// Decision is the JSON body a reviewer posts to vote, through the webhook
// callback or the console API. Unknown fields and duplicate keys are
// refused: a body must mean one thing to every reader.
type Decision struct {
	// ID of the review.
	ID string `json:"id"`
	// Decision is "approve" or "deny".
	Decision string `json:"decision"`
	// Reason for the vote (required when the policy says so).
	Reason string `json:"reason,omitempty"`
	// Grant, with "approve", also asks for a grant (see gate.Grant).
	Grant *GrantRequest `json:"grant,omitempty"`
}

// GrantRequest is the JSON form of a gate.GrantSpec.
type GrantRequest struct {
	// Minutes the grant lasts (0: the rule's max_grant).
	Minutes int `json:"minutes,omitempty"`
	// Uses the grant allows (0: no bound but the time).
	Uses int `json:"uses,omitempty"`
	// Scope is "exact" (default), "shape" or "any".
	Scope string `json:"scope,omitempty"`
}

// Spec converts the request.
func (g GrantRequest) Spec() (gate.GrantSpec, error) {
	if g.Minutes < 0 || g.Uses < 0 || g.Minutes > 366*24*60 {
		return gate.GrantSpec{}, fmt.Errorf("%w: minutes and uses must be positive", ErrInvalidRequest)
	}
	sc := gate.GrantScope(g.Scope)
	if sc == "" {
		sc = gate.GrantExact
	}
	if !sc.Valid() {
		return gate.GrantSpec{}, fmt.Errorf("%w: unknown grant scope %q (want exact, shape or any)", ErrInvalidRequest, g.Scope)
	}
	return gate.GrantSpec{TTL: time.Duration(g.Minutes) * time.Minute, Uses: g.Uses, Scope: sc}, nil
}

// strictJSON decodes one JSON object into v, refusing duplicate keys,
// unknown fields and trailing data.
func strictJSON(body []byte, v any) error {
	if err := noDuplicateKeys(body); err != nil {
		return errors.Join(ErrInvalidRequest, err)
	}
	dec := json.NewDecoder(bytesReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.Join(ErrInvalidRequest, err)
	}
	if dec.More() {
		return errors.Join(ErrInvalidRequest, errors.New("trailing data after the JSON object"))
	}
	return nil
}

// decodeDecision parses a Decision strictly.
func decodeDecision(body []byte) (Decision, error) {
	var d Decision
	if err := strictJSON(body, &d); err != nil {
		return d, err
	}
	if d.ID == "" || (d.Decision != "approve" && d.Decision != "deny") {
		return d, errors.Join(ErrInvalidRequest, errors.New(`need "id" and "decision" of "approve" or "deny"`))
	}
	if d.Grant != nil && d.Decision != "approve" {
		return d, errors.Join(ErrInvalidRequest, errors.New(`"grant" goes with "approve" only`))
	}
	return d, nil
}

// noDuplicateKeys refuses a JSON document in which an object names a key
// twice (at any depth), in any letter case. encoding/json would keep the last one, while
// another reader might keep the first.
func noDuplicateKeys(doc []byte) error {
	dec := json.NewDecoder(bytesReader(doc))
	type frame struct {
		keys    map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, wantKey: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].keys != nil {
					stack[len(stack)-1].wantKey = true
				}
			}
			continue
		case string:
			if top != nil && top.keys != nil && top.wantKey {
				k := jsontext.FoldKey(v)
				if top.keys[k] {
					return fmt.Errorf("duplicate key %q", v)
				}
				top.keys[k] = true
				top.wantKey = false
				continue
			}
		}
		if top != nil && top.keys != nil {
			top.wantKey = true
		}
	}
}
