package gate

import (
	"time"

	"github.com/airlock-sdk/airlock/mask"
)

// EventKind names what an Event records.
type EventKind string

// The kinds of event a session record holds.
const (
	EventSessionStart      EventKind = "session_start"
	EventSessionEnd        EventKind = "session_end"
	EventRequest           EventKind = "request"
	EventDecision          EventKind = "decision"
	EventApprovalRequested EventKind = "approval_requested"
	EventApprovalNotified  EventKind = "approval_notified"
	EventApprovalReviewed  EventKind = "approval_reviewed"
	EventApprovalApproved  EventKind = "approval_approved"
	EventApprovalDenied    EventKind = "approval_denied"
	EventApprovalExpired   EventKind = "approval_expired"
	EventApprovalWithdrawn EventKind = "approval_withdrawn"
	EventApprovalConsumed  EventKind = "approval_consumed"
	EventOutput            EventKind = "output"
	EventError             EventKind = "error"
	// EventRefused records a client refused before any session began (a
	// failed authentication, a refused connection): the claimed identity
	// and the reason. It is a session of its own (Gate.RecordRefusal).
	EventRefused EventKind = "refused"
)

// Event is one entry of a session record. The gate and the protocol packages
// create events; a Recorder orders, chains and stores them. Exactly the
// fields that belong to Kind are set.
type Event struct {
	Kind      EventKind `json:"kind"`
	SessionID string    `json:"session_id"`
	// Time is UTC with nanoseconds.
	Time     time.Time `json:"time"`
	Identity *Identity `json:"identity,omitempty"`

	// Session is set on session_start and session_end.
	Session *SessionInfo `json:"session,omitempty"`
	// Request is set on request events.
	Request *Request `json:"request,omitempty"`
	// Decision is set on decision events.
	Decision *Decision `json:"decision,omitempty"`
	// Approval is set on approval_* events.
	Approval *ApprovalInfo `json:"approval,omitempty"`
	// Output is set on output events.
	Output *Output `json:"output,omitempty"`
	// Label is set on run_label and run_label_cleared events.
	Label *Label `json:"label,omitempty"`
	// Error is set on error events, and on session_end after a failure.
	Error string `json:"error,omitempty"`
}

// SessionInfo describes a session in its start and end events.
type SessionInfo struct {
	Protocol   string `json:"protocol"`
	Target     string `json:"target,omitempty"`
	ClientAddr string `json:"client_addr,omitempty"`
	// Run names the session's run, when runs are on.
	Run   string    `json:"run,omitempty"`
	Start time.Time `json:"start"`
	// Reason is why the session ended (end events only).
	Reason string `json:"reason,omitempty"`
	// Requests and Denied are the final counters (end events only).
	Requests int64 `json:"requests,omitempty"`
	Denied   int64 `json:"denied,omitempty"`
	// FailOpen is true when the gate lets requests through if recording fails.
	FailOpen bool `json:"fail_open,omitempty"`
}

// ApprovalInfo describes a step of a review.
type ApprovalInfo struct {
	ID         string      `json:"id"`
	DecisionID string      `json:"decision_id,omitempty"`
	State      ReviewState `json:"state,omitempty"`
	Digest     string      `json:"digest,omitempty"`
	Rules      []string    `json:"rules,omitempty"`
	// Reviewer is set on approval_reviewed.
	Reviewer   *Identity     `json:"reviewer,omitempty"`
	Approve    bool          `json:"approve,omitempty"`
	Reason     string        `json:"reason,omitempty"`
	BreakGlass bool          `json:"break_glass,omitempty"`
	ExpiresAt  *time.Time    `json:"expires_at,omitempty"`
	Policy     *ReviewPolicy `json:"policy,omitempty"`
	// RequesterReason is the requester's justification (approval_requested).
	RequesterReason string `json:"requester_reason,omitempty"`
	// Grant is the grant an approval gave (approval_approved).
	Grant *Grant `json:"grant,omitempty"`
}

// Finding counts what a masker masked, never the value. It is mask.Finding,
// so findings pass from a masker to the record without conversion.
type Finding = mask.Finding

// Output is a piece of what the client received, as it received it (masked).
type Output struct {
	// DecisionID links the output to the request's decision.
	DecisionID string `json:"decision_id,omitempty"`
	// Stream is "stdout", "stderr", "rows", "body", "result", ...
	Stream string `json:"stream,omitempty"`
	// Data is the masked payload or chunk.
	Data []byte `json:"data,omitempty"`
	// Findings of the masker for this chunk.
	Findings []Finding `json:"findings,omitempty"`
	// Truncated is true when Data was cut to the recording bound.
	Truncated bool `json:"truncated,omitempty"`
	// Final marks the last chunk of a result.
	Final bool `json:"final,omitempty"`
	// ExitStatus of a command, on its final output.
	ExitStatus *int `json:"exit_status,omitempty"`
	// ExitSignal names the signal that ended a command (TERM, KILL, ...),
	// on its final output.
	ExitSignal string `json:"exit_signal,omitempty"`
	// ExitCoreDumped: the signal left a core dump.
	ExitCoreDumped bool `json:"exit_core_dumped,omitempty"`
	// ExitMessage is the upstream's message with the exit signal.
	ExitMessage string `json:"exit_message,omitempty"`
}
