package httpgate

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// The record of a response is what the client received: the 1xx responses,
// the status line and headers, the body (decoded, masked) and the
// trailers, in that order, in the stream "response" of the request's
// decision, bounded by Config.RecordLimit. All of it leaves through one
// gate.OutputWriter per response; the gateway masks every part itself (the
// header fields by name, JSON structurally, event streams event by event,
// other text with the decision's stream masker) and hands the writer
// premasked bytes with their findings.
//
// The head and the trailers reach the client in net/http's own framing, so
// they are written into the writer for the record only (see recordOnly);
// the body is written through it to the client.
//
// Bodies are forwarded, then recorded once they end (ForwardThenRecord): a
// JSON body is masked whole and recorded before any of it is sent; a
// streamed body whose record fails at its end is cut before its last bytes
// and its end (the client sees a broken response, never a complete one).
// Event streams are recorded event by event before each is sent
// (RecordThenForward), so nothing of a stream is unrecorded. Either way a
// recording failure ends the session (gate.Conn), and the gateway drops it
// (see sessions).

// open starts the response's output writer under mode, to dst, and records
// the 1xx responses and the head (status, h) as the client receives them;
// body is the length of the body to come when it is known, else 0. An
// error means they could not be recorded, or the session has ended: the
// response must not be sent.
func (f *filter) open(status int, h http.Header, mode gate.OutputMode, dst io.Writer, body int) error {
	buf := headBufs.get()
	defer headBufs.put(buf)
	*buf = appendHead(append((*buf)[:0], f.info...), status, h)
	f.info = nil
	f.mode = mode
	f.sink.dst = dst
	hint := 0
	if body > 0 {
		hint = len(*buf) + body
	}
	f.out = f.x.conn.Output(f.x.d, "response", &f.sink, gate.OutputOptions{Mode: mode, Limit: f.gw.cfg.RecordLimit, Premasked: true, SizeHint: hint})
	if err := f.recordOnly(*buf); err != nil {
		return fmt.Errorf("%w: the response could not be recorded: %w", errUnmaskable, err)
	}
	return nil
}

// watch stops a streamed response when its session ends while it is in
// flight (another response of the session could not be recorded, or the
// gateway closed): the request's context is cancelled, which ends the
// upstream request (or tells the handler), so that an idle stream does
// not outlive its session. It ends with the response (end).
func (f *filter) watch() {
	if f.x.cancel == nil {
		return
	}
	f.unwatch = context.AfterFunc(f.x.session.ended, f.x.cancel)
}

// recordOnly writes p (already masked, sent to the client by net/http)
// into the record of the response, without forwarding it.
func (f *filter) recordOnly(p []byte) error {
	f.sink.off = true
	defer func() { f.sink.off = false }()
	_, err := f.out.Write(p)
	return err
}

// end records the rest of the response, once: the trailers, the findings
// and, in ForwardThenRecord mode, the bounded copy of the whole. An error
// means the response could not be recorded and the session has ended.
func (f *filter) end() error {
	f.once.Do(func() {
		if f.unwatch != nil {
			f.unwatch()
		}
		if f.out == nil {
			return
		}
		var err error
		if f.trail != "" {
			err = f.recordOnly([]byte(f.trail))
		}
		f.out.AddFindings(f.findings)
		if cerr := f.out.Close(); err == nil {
			err = cerr
		}
		if err == nil && f.mode == gate.RecordThenForward {
			// The chunks are recorded: the end of the response carries
			// what was masked.
			err = f.x.conn.Finish(f.recordCtx(), f.x.d, gate.Output{Stream: "response", Findings: f.out.Findings(), Truncated: f.out.Truncated()})
		}
		if err != nil {
			f.gw.log.Error("cannot record response", "session", f.x.conn.Session().ID, "decision", f.x.d.ID, "error", err)
			f.endErr = fmt.Errorf("%w: the response could not be recorded: %w", errUnmaskable, err)
		}
	})
	return f.endErr
}

// gatedWriter is an output writer's destination that can be switched off
// while the writer records what net/http sends in its own framing.
type gatedWriter struct {
	dst io.Writer
	off bool
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	if g.off {
		return len(p), nil
	}
	return g.dst.Write(p)
}

// streamMode is the output mode of a body sent as it is (unmasked): event
// streams are recorded before each chunk is sent, other bodies as they
// end.
func streamMode(h http.Header) gate.OutputMode {
	if isEventStream(headerValue(h, "Content-Type")) {
		return gate.RecordThenForward
	}
	return gate.ForwardThenRecord
}

// isEventStream reports whether the Content-Type ct parses as
// text/event-stream. mime.ParseMediaType lower-cases the type and
// requires it to be a token (ASCII), so a type that is not
// text/event-stream whatever its case is refused before it is parsed:
// most responses are not event streams, and parsing allocates.
func isEventStream(ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	if !strings.EqualFold(strings.TrimSpace(base), "text/event-stream") {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "text/event-stream"
}
