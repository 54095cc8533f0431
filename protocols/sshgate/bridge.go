package sshgate

import (
	"context"
	"io"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"golang.org/x/crypto/ssh"
)

// bridge runs an allowed exec or shell: client stdin goes upstream, upstream
// stdout and stderr come back through the masker and the recorder, and the
// exit status follows the output. Window changes and signals are forwarded
// by the session's request loop.
func (sc *sessionChan) bridge(d *gate.Decision, shell bool, up ssh.Channel, ureqs <-chan *ssh.Request, pol *mask.Policy) {
	c := sc.c
	var exits []*ssh.Request
	reqDone := make(chan struct{})
	go func() {
		defer close(reqDone)
		for r := range ureqs {
			switch r.Type {
			case "exit-status", "exit-signal":
				exits = append(exits, r)
			default:
				if r.WantReply {
					_ = r.Reply(false, nil)
				}
			}
		}
	}()

	go func() {
		var in io.Reader = sc.ch
		if shell && c.p.RecordInput {
			in = io.TeeReader(sc.ch, c.recordWriter(d, "stdin", io.Discard))
		}
		_, _ = io.Copy(up, in)
		_ = up.CloseWrite()
	}()

	var wg sync.WaitGroup
	errs := make([]error, 2)
	findings := make([][]mask.Finding, 2)
	copyOut := func(i int, stream string, src io.Reader, dst io.Writer) {
		defer wg.Done()
		mw := pol.NewWriter(c.recordWriter(d, stream, dst))
		if _, err := io.Copy(mw, src); err != nil {
			errs[i] = outputErr(stream, err)
			return
		}
		if err := mw.Close(); err != nil {
			errs[i] = outputErr(stream, err)
		}
		findings[i] = mw.Findings()
	}
	wg.Add(2)
	go copyOut(0, "stdout", up, sc.ch)
	go copyOut(1, "stderr", up.Stderr(), sc.ch.Stderr())
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			// Masking or recording failed: nothing more reaches the client.
			c.p.log().Error("output stopped", "session", c.s.ID, "error", err)
			_ = up.Close()
			_, _ = io.WriteString(sc.ch.Stderr(), "\r\nairlock: output stopped: it could not be masked or recorded\r\n")
			sc.exit(ExitRefused)
			return
		}
	}
	<-reqDone

	out := gate.Output{DecisionID: d.ID, Stream: "stdout", Final: true}
	for _, f := range mask.MergeFindings(findings[0], findings[1]) {
		out.Findings = append(out.Findings, gate.Finding{Detector: f.Detector, Field: f.Field, Count: f.Count})
	}
	for _, r := range exits {
		switch r.Type {
		case "exit-status":
			var st struct{ Status uint32 }
			if ssh.Unmarshal(r.Payload, &st) == nil {
				n := int(st.Status)
				out.ExitStatus = &n
			}
		case "exit-signal":
			// RFC 4254 6.10: signal name without "SIG", core dumped, error
			// message, language tag.
			var sig struct {
				Signal     string
				CoreDumped bool
				Message    string
				Lang       string
			}
			if ssh.Unmarshal(r.Payload, &sig) == nil {
				out.ExitSignal = sig.Signal
				out.ExitCoreDumped = sig.CoreDumped
				out.ExitMessage = sig.Message
			} else {
				out.ExitSignal = "?" // a malformed payload still says a signal ended it
			}
		}
	}
	if err := c.p.Gate.RecordOutput(context.WithoutCancel(c.ctx), c.s, out); err != nil {
		c.p.log().Error("record exit status", "session", c.s.ID, "error", err)
	}
	_ = sc.ch.CloseWrite()
	for _, r := range exits {
		_, _ = sc.ch.SendRequest(r.Type, false, r.Payload)
	}
	_ = sc.ch.Close()
}

// recordWriter records each chunk written (already masked) as an output
// event of stream, then passes it to dst. A chunk that cannot be recorded is
// not passed on.
func (c *conn) recordWriter(d *gate.Decision, stream string, dst io.Writer) io.Writer {
	limit := c.p.RecordLimit
	if limit == 0 {
		limit = 8 << 20
	}
	return &recorder{c: c, d: d, stream: stream, dst: dst, limit: limit}
}

type recorder struct {
	c         *conn
	d         *gate.Decision
	stream    string
	dst       io.Writer
	limit     int64
	recorded  int64
	truncated bool
}

func (r *recorder) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !r.truncated {
		out := gate.Output{DecisionID: r.d.ID, Stream: r.stream}
		if r.limit >= 0 && r.recorded+int64(len(p)) > r.limit {
			out.Data = append([]byte(nil), p[:r.limit-r.recorded]...)
			out.Truncated = true
			r.truncated = true
		} else {
			out.Data = append([]byte(nil), p...)
		}
		r.recorded += int64(len(out.Data))
		if err := r.c.p.Gate.RecordOutput(r.c.ctx, r.c.s, out); err != nil {
			return 0, err
		}
	}
	return r.dst.Write(p)
}
