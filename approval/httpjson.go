package approval

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// statusOf maps the package's errors to HTTP statuses.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnauthenticated), errors.Is(err, ErrBadSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrSelfReview), errors.Is(err, ErrNotReviewer), errors.Is(err, ErrCSRF):
		return http.StatusForbidden
	case errors.Is(err, ErrUnknownReview):
		return http.StatusNotFound
	case errors.Is(err, ErrNotPending), errors.Is(err, ErrAlreadyVoted), errors.Is(err, ErrReplay):
		return http.StatusConflict
	case errors.Is(err, ErrReasonRequired), errors.Is(err, ErrReasonTooLong), errors.Is(err, ErrBadReason), errors.Is(err, ErrInvalidRequest):
		return http.StatusUnprocessableEntity
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
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

func writeError(w http.ResponseWriter, err error) {
	status := statusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		msg = "internal error"
	}
	writeJSON(w, status, errorBody{Error: msg})
}

// Decision is the JSON body a reviewer posts to vote, through the webhook
// callback or the console API.
type Decision struct {
	// ID of the review.
	ID string `json:"id"`
	// Decision is "approve" or "deny".
	Decision string `json:"decision"`
	// Reason for the vote (required when the policy says so).
	Reason string `json:"reason,omitempty"`
}

// decode parses a Decision strictly.
func decodeDecision(body []byte) (Decision, error) {
	var d Decision
	dec := json.NewDecoder(bytesReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, errors.Join(ErrInvalidRequest, err)
	}
	if dec.More() {
		return d, errors.Join(ErrInvalidRequest, errors.New("trailing data after the JSON object"))
	}
	if d.ID == "" || (d.Decision != "approve" && d.Decision != "deny") {
		return d, errors.Join(ErrInvalidRequest, errors.New(`need "id" and "decision" of "approve" or "deny"`))
	}
	return d, nil
}
