package httpgate

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// Problem is the RFC 9457 problem document the gateway sends when it refuses
// a request.
type Problem struct {
	// Type is a URI naming the kind of problem: urn:airlock:problem:denied,
	// :review-pending, :bad-request, :unauthenticated, :unavailable.
	Type string `json:"type"`
	// Title is the HTTP status text; Status the HTTP status code.
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Detail is safe to show the client.
	Detail string `json:"detail,omitempty"`
	// Rule names the rule (or the gateway check, "http/<check>") that
	// refused the request; Reason is its reason.
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	// DecisionID links to the session record.
	DecisionID string `json:"decision_id,omitempty"`
	// ApprovalID and RetryAfter are set while a review is pending.
	ApprovalID string `json:"approval_id,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
}

// ProblemContentType is the media type of a Problem.
const ProblemContentType = "application/problem+json"

// ApprovalHeader carries the approval id of a pending review.
const ApprovalHeader = "Airlock-Approval-Id"

func writeProblem(w http.ResponseWriter, p Problem) {
	h := w.Header()
	// Headers an outer handler set (CORS, request ids) stay; those that
	// describe another representation go.
	for _, k := range []string{"Content-Encoding", "Content-Range", "Etag", "Last-Modified", "Trailer", "Transfer-Encoding", "Content-Disposition"} {
		h.Del(k)
	}
	h.Set("Content-Type", ProblemContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if p.ApprovalID != "" {
		h.Set(ApprovalHeader, p.ApprovalID)
		h.Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="airlock"`)
	}
	b, _ := json.Marshal(p)
	b = append(b, '\n')
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}

// refusedProblem turns the gate's refusal into a problem document: 403 for a
// denial, 409 with the approval id for a review pending in RefuseThenRetry
// mode.
func refusedProblem(err error, retryAfter time.Duration) Problem {
	var re *gate.RefusedError
	if !errors.As(err, &re) || re.Decision == nil {
		return Problem{Type: "urn:airlock:problem:denied", Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "airlock: denied", Rule: "gate"}
	}
	d := re.Decision
	p := Problem{
		Type: "urn:airlock:problem:denied", Title: "Forbidden", Status: http.StatusForbidden,
		Detail: re.Error(), Rule: d.Rule, Reason: d.Reason, DecisionID: d.ID,
	}
	if re.Pending() {
		secs := int((retryAfter + time.Second - 1) / time.Second)
		p.Type, p.Title, p.Status = "urn:airlock:problem:review-pending", "Held for review", http.StatusConflict
		p.ApprovalID, p.RetryAfter = re.ApprovalID, secs
	}
	return p
}

// refusalProblem is the problem document of a request the gateway refused
// before the rules ran, under the decision d that Conn.Refuse recorded.
func refusalProblem(r *refusal, d *gate.Decision) Problem {
	return Problem{
		Type: "urn:airlock:problem:bad-request", Title: http.StatusText(r.Status), Status: r.Status,
		Detail: "airlock: refused by " + d.Rule + ": " + r.Reason,
		Rule:   d.Rule, Reason: r.Reason, DecisionID: d.ID,
	}
}

// unrecordedProblem is the problem document of a response that could not
// be masked or recorded (502): the client receives none of it.
func unrecordedProblem(d *gate.Decision) Problem {
	return Problem{Type: "urn:airlock:problem:unmaskable", Title: "Bad Gateway", Status: http.StatusBadGateway,
		Detail: "airlock: the response could not be masked", DecisionID: d.ID}
}
