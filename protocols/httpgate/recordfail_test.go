package httpgate

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

// newCueEnv is an env whose recorder, once armed with FailAfter(n),
// records n more output events and then fails every event, as a full disk
// would, until healed.
func newCueEnv(t *testing.T, rules string) (*env, *gatetest.FailingRecorder) {
	cue := &gatetest.FailingRecorder{Kind: gate.EventOutput}
	e := newEnvWith(t, gate.Hold, rules, func(m *record.Memory) gate.Recorder { cue.Next = m; return cue }, nil)
	return e, cue
}

// unmaskedRules allow every request and mask nothing: responses pass
// through as they are, recorded all the same.
const unmaskedRules = `
default: allow
`

// forEachServerMaskedOrNot runs check on every server of a cue env, once
// with rules that mask the responses and once with rules that do not.
func forEachServerMaskedOrNot(t *testing.T, check func(t *testing.T, e *env, cue *gatetest.FailingRecorder, name string, srv *httptest.Server)) {
	for masked, rules := range map[string]string{"masked": testRules, "unmasked": unmaskedRules} {
		e, cue := newCueEnv(t, rules)
		for name, srv := range servers(e) {
			t.Run(masked+"/"+name, func(t *testing.T) {
				check(t, e, cue, name, srv)
			})
		}
	}
}

// lastSession returns the session of the latest recorded decision.
func (e *env) lastSession() string {
	var last gate.Event
	for _, ev := range e.events(gate.EventDecision) {
		if ev.Time.After(last.Time) {
			last = ev
		}
	}
	return last.SessionID
}

// recordedResponses joins the recorded output data of every response.
func (e *env) recordedResponses() string {
	var b strings.Builder
	for _, ev := range e.events(gate.EventOutput) {
		b.Write(ev.Output.Data)
	}
	return b.String()
}

// afterFailure checks what follows a recording failure in session broken:
// once the recorder works again, the identity's next request is served in
// a new session, never in the broken one.
func afterFailure(t *testing.T, e *env, cue *gatetest.FailingRecorder, srv string, broken string) {
	t.Helper()
	cue.Heal()
	resp := e.do(servers(e)[srv], "GET", "/api/echo", "", "")
	if body := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("after the failure: %d %s", resp.StatusCode, body)
	}
	if s := e.lastSession(); s == broken || s == "" {
		t.Fatalf("the request after the failure went into session %q (broken: %q)", s, broken)
	}
}

// The design when a response cannot be recorded: the gate ends the
// session (gate.Conn breaks), the gateway drops it, and the client
// receives nothing it did not record. A JSON body is masked and recorded
// whole before it is sent, so the client gets 502 and none of it. The
// identity's next request opens a new session (503 while the recorder
// cannot record that session's start).
func TestRecordingFailureWithholdsJSONResponse(t *testing.T) {
	e, cue := newCueEnv(t, testRules)
	e.eachServer(t, func(t *testing.T, name string, srv *httptest.Server) {
		if resp := e.do(srv, "GET", "/api/users", "", ""); resp.StatusCode != 200 {
			t.Fatalf("before the failure: %d %s", resp.StatusCode, readAll(t, resp))
		} else {
			readAll(t, resp)
		}
		before := e.lastSession()
		cue.FailAfter(0)
		resp := e.do(srv, "GET", "/api/users", "", "")
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadGateway || strings.Contains(body, "ann") || strings.Contains(body, "note") {
			t.Fatalf("unrecorded response reached the client: %d %q", resp.StatusCode, body)
		}
		// While the recorder fails, no new session can be recorded.
		resp = e.do(srv, "GET", "/api/users", "", "")
		if body := readAll(t, resp); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("while the recorder fails: %d %q", resp.StatusCode, body)
		}
		afterFailure(t, e, cue, name, before)
	})
}

// An event stream is recorded event by event before each is sent: when the
// recorder fails in the middle, the stream stops there and the client
// never receives the event that could not be recorded.
func TestRecordingFailureStopsEventStream(t *testing.T) {
	forEachServerMaskedOrNot(t, stopsEventStream)
}

func stopsEventStream(t *testing.T, e *env, cue *gatetest.FailingRecorder, name string, srv *httptest.Server) {
	e.up.sseStep = make(chan struct{})
	resp := e.do(srv, "GET", "/api/sse", "", "")
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	readEvent(t, br)
	session := e.lastSession()
	cue.FailAfter(0)
	close(e.up.sseStep) // the upstream sends the second event now
	rest, err := io.ReadAll(br)
	if strings.Contains(string(rest), "second") {
		t.Fatalf("an unrecorded event reached the client: %q", rest)
	}
	if err == nil {
		t.Errorf("the stream ended cleanly; want it cut")
	}
	if rec := e.recordedResponses(); !strings.Contains(rec, "first") || strings.Contains(rec, "second") {
		t.Errorf("record: %q", rec)
	}
	afterFailure(t, e, cue, name, session)
}

// A streamed text body is forwarded as it is masked and recorded when it
// ends; when that record fails, the client's response is cut before its
// end (what the masker still held is dropped), so it never reads a
// complete body.
func TestRecordingFailureCutsStreamedBody(t *testing.T) {
	forEachServerMaskedOrNot(t, cutsStreamedBody)
}

func cutsStreamedBody(t *testing.T, e *env, cue *gatetest.FailingRecorder, name string, srv *httptest.Server) {
	readAll(t, e.do(srv, "GET", "/api/echo", "", ""))
	session := e.lastSession()
	cue.FailAfter(0)
	resp := e.do(srv, "GET", "/api/big", "", "")
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("the client read a whole body that was not recorded (%d bytes)", len(body))
	}
	if strings.Contains(string(body), "[CREDIT_CARD]") {
		t.Errorf("the end of the body reached the client")
	}
	afterFailure(t, e, cue, name, session)
}

// A stream idle on a session that another response broke stops at once:
// the session's end cancels the upstream request, so the stream does not
// outlive its session. (Behind the middleware the handler's request
// context is cancelled; a streaming handler should watch it.)
func TestBrokenSessionStopsIdleStream(t *testing.T) {
	e, cue := newCueEnv(t, testRules)
	e.up.sseStep = make(chan struct{}) // closed only at the end: the stream idles
	t.Cleanup(func() { close(e.up.sseStep) })
	resp := e.do(e.proxy, "GET", "/api/sse", "", "")
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	readEvent(t, br)
	cue.FailAfter(0)
	other := e.do(e.proxy, "GET", "/api/users", "", "")
	if body := readAll(t, other); other.StatusCode != http.StatusBadGateway {
		t.Fatalf("the other response: %d %q", other.StatusCode, body)
	}
	start := time.Now()
	rest, err := io.ReadAll(br)
	if err == nil || strings.Contains(string(rest), "second") {
		t.Errorf("the stream went on: %v %q", err, rest)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the stream stopped after %v, not when its session ended", d)
	}
}
