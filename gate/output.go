package gate

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/airlock-sdk/airlock/mask"
)

// DefaultRecordLimit bounds the bytes of one output the record keeps when
// OutputOptions.Limit (or ResultOptions.Limit) is zero. The client still
// receives everything; the record marks the output as truncated.
const DefaultRecordLimit = 8 << 20

// OutputMode says when an output writer records relative to forwarding:
// the one failure policy of the gate's outbound half.
type OutputMode int

const (
	// RecordThenForward records every chunk before it is passed to the
	// client. A chunk that cannot be recorded is not passed on, and the
	// session is broken (Conn.Err): the protocol must end the connection.
	// Use it for streams a client reads as they come (a shell's output).
	RecordThenForward OutputMode = iota
	// ForwardThenRecord passes chunks on at once and keeps a bounded copy,
	// recorded as one final output when the writer closes. When that
	// record fails, the session is broken: the protocol must end the
	// connection before anything more reaches the client. Use it where
	// recording per chunk would cost too much (rows, response bodies).
	ForwardThenRecord
)

// OutputOptions shapes an output writer.
type OutputOptions struct {
	// Mode is RecordThenForward (the default) or ForwardThenRecord.
	Mode OutputMode
	// Limit bounds the bytes recorded; 0 means DefaultRecordLimit, a
	// negative value means no bound.
	Limit int64
	// Premasked says the protocol masks the bytes itself (column by column,
	// field by field) before writing them, and reports what it masked with
	// AddFindings; the writer then records and forwards them as they are.
	// Without it the decision's masker runs over the stream.
	Premasked bool
	// Input marks what the client sent (a shell's typed input), recorded
	// for the transcript: never masked, not counted as output in the
	// run's budgets.
	Input bool
	// SizeHint is how many bytes the caller expects to write, when it
	// knows (a body read whole): in ForwardThenRecord mode the record's
	// copy is reserved at once, within the bound, rather than grown. 0
	// means unknown.
	SizeHint int
}

// outputRoom is the largest SizeHint an OutputWriter reserves inside
// itself instead of allocating.
const outputRoom = 128

// maxSizeHint caps the copy OutputOptions.SizeHint reserves.
const maxSizeHint = 1 << 20

// Output returns the writer through which the result of the request
// decided by d reaches dst: masked by d's masker (unless opts.Premasked),
// bounded and recorded as stream under opts.Mode, its findings tallied.
// The caller must Close it to flush the masker and, in ForwardThenRecord
// mode, record the copy.
//
// d must be the allow decision Check returned on this Conn; without one the
// writer refuses every byte.
func (c *Conn) Output(d *Decision, stream string, dst io.Writer, opts OutputOptions) *OutputWriter {
	return c.OutputIn(new(OutputWriter), d, stream, dst, opts)
}

// OutputIn is Output with the writer at w, a zero OutputWriter (never
// used) the caller holds inside a value of its own: one allocation
// instead of two. It returns w. w must not be copied, nor used for
// another output: the recorded output may point into it, and a recorder
// may keep that.
func (c *Conn) OutputIn(w *OutputWriter, d *Decision, stream string, dst io.Writer, opts OutputOptions) *OutputWriter {
	// w is zero: setting the fields spares copying all of it.
	w.c, w.stream, w.dst, w.mode, w.limit, w.input = c, stream, dst, opts.Mode, boundOf(opts.Limit), opts.Input
	if err := outputAllowed(d); err != nil {
		w.err = err
		return w
	}
	w.decision = d.ID
	if opts.Mode == ForwardThenRecord && opts.SizeHint > 0 {
		n := int64(min(opts.SizeHint, maxSizeHint))
		if w.limit >= 0 {
			n = min(n, w.limit)
		}
		if n <= int64(len(w.room)) {
			w.copy = w.room[:0:n]
		} else {
			w.copy = make([]byte, 0, n)
		}
	}
	if !opts.Premasked && !opts.Input && d.Masker != nil {
		w.masker = d.Masker.NewWriter((*forwarder)(w))
	}
	return w
}

// OutputWriter masks, bounds, records and forwards one output stream of a
// request (see Conn.Output). It is not safe for concurrent use; use one per
// stream.
type OutputWriter struct {
	c        *Conn
	decision string
	stream   string
	dst      io.Writer
	mode     OutputMode
	limit    int64

	input    bool
	dstErr   bool         // the destination failed (the client left), not the gate
	masker   *mask.Writer // nil: p is forwarded as it is
	findings []Finding
	copy     []byte // ForwardThenRecord: the bounded copy
	// room holds a small copy (a hint up to its size) in the writer's own
	// allocation; the recorded Output's Data then points into it.
	room     [outputRoom]byte
	recorded int64
	sent     int64 // bytes passed to dst
	rows     int64
	cut      bool
	err      error
	closed   bool
}

// Write masks p (unless premasked) and passes it on under the writer's mode.
// After an error nothing more is written.
func (w *OutputWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.c.ended() {
		w.err = w.c.Err()
		return 0, w.err
	}
	var n int
	var err error
	if w.masker != nil {
		n, err = w.masker.Write(p)
	} else {
		n, err = w.forward(p)
	}
	if err != nil {
		w.err = err
		return n, err
	}
	return len(p), nil
}

// forward is the stage after masking: record, then forward, or the other
// way round.
func (w *OutputWriter) forward(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	kept, cut := w.bound(p)
	if w.mode == ForwardThenRecord {
		n, err := w.dst.Write(p)
		w.sent += int64(n)
		w.copy = append(w.copy, kept[:min(len(kept), max(n, 0))]...) // what the client was given
		if err != nil {
			w.dstErr = true
		}
		return n, err
	}
	if len(kept) > 0 || cut {
		out := Output{DecisionID: w.decision, Stream: w.stream, Data: append([]byte(nil), kept...), Truncated: cut}
		if err := w.c.recordOutput(out); err != nil {
			return 0, err
		}
	}
	n, err := w.dst.Write(p)
	w.sent += int64(n)
	return n, err
}

// AddRows counts result rows the client received (a protocol that knows
// rows reports them), for the run's budgets.
func (w *OutputWriter) AddRows(n int64) { w.rows += n }

// bound returns the part of p the record keeps, and whether p crossed the
// bound (reported once).
func (w *OutputWriter) bound(p []byte) (kept []byte, cut bool) {
	if w.cut {
		return nil, false
	}
	if w.limit >= 0 && w.recorded+int64(len(p)) > w.limit {
		kept = p[:w.limit-w.recorded]
		w.cut = true
		cut = true
	} else {
		kept = p
	}
	w.recorded += int64(len(kept))
	return kept, cut
}

// AddFindings adds what a premasking protocol masked to the writer's tally.
func (w *OutputWriter) AddFindings(fs []Finding) {
	w.findings = mask.MergeFindings(w.findings, fs)
}

// Findings returns what was masked so far (complete after Close).
func (w *OutputWriter) Findings() []Finding {
	if w.masker != nil {
		return mask.MergeFindings(w.findings, w.masker.Findings())
	}
	return w.findings
}

// Truncated reports whether the output crossed its recording bound.
func (w *OutputWriter) Truncated() bool { return w.cut }

// Close flushes the masker and, in ForwardThenRecord mode, records the
// bounded copy as the final output of the stream, with its findings. It
// returns the first error of the writer; a recording failure has also
// broken the session.
func (w *OutputWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		if w.dstErr && w.mode == ForwardThenRecord {
			// The client left mid-output: what was sent is still
			// recorded (it may have been read), marked as cut.
			out := Output{DecisionID: w.decision, Stream: w.stream, Data: w.copy, Truncated: true, Findings: w.Findings(), Final: true}
			if err := w.c.recordOutput(out); err != nil {
				return err
			}
		}
		return w.err
	}
	if w.masker != nil {
		if err := w.masker.Close(); err != nil {
			w.err = err
			return err
		}
	}
	out := Output{DecisionID: w.decision, Stream: w.stream, Findings: w.Findings()}
	if w.mode == ForwardThenRecord {
		out.Data, out.Truncated, out.Final = w.copy, w.cut, true
		if err := w.c.recordOutput(out); err != nil {
			w.err = err
			return err
		}
	}
	if w.input {
		return nil
	}
	if err := w.c.settleOutput(context.Background(), out, w.sent, w.rows); err != nil {
		w.err = err
		return err
	}
	return nil
}

// ResultFormat says how Conn.Result masks a value.
type ResultFormat int

const (
	// JSON values are masked field by field (mask.Policy.JSON).
	JSON ResultFormat = iota
	// Text values are masked as one free-text value (mask.Policy.Value).
	Text
)

// ResultOptions shapes Conn.Result.
type ResultOptions struct {
	// Format is JSON (the default) or Text.
	Format ResultFormat
	// Limit bounds the bytes recorded, as OutputOptions.Limit.
	Limit int64
	// Premasked says value is already masked; Findings says what was.
	Premasked bool
	// Findings of a premasked value.
	Findings []Finding
}

// Result masks one whole value under d (a tool result, an MCP reply, an
// error message), records it as the final output of stream and returns what
// the client may receive. Nothing is returned unrecorded: when the value
// cannot be masked, the record says it was withheld and the error says
// why; when it cannot be recorded, the session is broken.
func (c *Conn) Result(ctx context.Context, d *Decision, stream string, value []byte, opts ResultOptions) ([]byte, []Finding, error) {
	if err := outputAllowed(d); err != nil {
		return nil, nil, err
	}
	if c.ended() {
		return nil, nil, c.Err()
	}
	masked, findings := value, opts.Findings
	if !opts.Premasked && d.Masker != nil {
		var err error
		masked, findings, err = maskValue(d.Masker, value, opts.Format)
		if err != nil {
			withheld := Output{DecisionID: d.ID, Stream: stream, Data: []byte("result withheld: masking failed"), Final: true}
			if rerr := c.recordOutputCtx(ctx, withheld); rerr != nil {
				return nil, nil, rerr
			}
			return nil, nil, fmt.Errorf("airlock: result withheld: masking failed: %w", err)
		}
	}
	data, cut := masked, false
	if limit := boundOf(opts.Limit); limit >= 0 && int64(len(data)) > limit {
		data, cut = data[:limit], true
	}
	out := Output{DecisionID: d.ID, Stream: stream, Data: data, Findings: findings, Truncated: cut, Final: true}
	if err := c.recordOutputCtx(ctx, out); err != nil {
		return nil, nil, err
	}
	if err := c.settleOutput(ctx, out, int64(len(masked)), 0); err != nil {
		return nil, nil, err
	}
	return masked, findings, nil
}

func maskValue(p *mask.Policy, value []byte, f ResultFormat) ([]byte, []Finding, error) {
	if f == Text {
		s, fs, err := p.Value("", string(value))
		return []byte(s), fs, err
	}
	return p.JSON(value)
}

// Finish records the final output of the request decided by d: what the
// writers did not say (an exit status, a signal, findings merged across
// streams). Final is set and DecisionID filled in. A recording failure
// breaks the session.
func (c *Conn) Finish(ctx context.Context, d *Decision, out Output) error {
	if d == nil {
		return errors.New("airlock: finish without a decision")
	}
	out.DecisionID = d.ID
	out.Final = true
	return c.recordOutputCtx(ctx, out)
}

// uncancelled is context.WithoutCancel(ctx) without its allocation when
// ctx can never be cancelled anyway (no Done channel, hence no deadline):
// the values, the deadline and the cancellation seen are the same.
func uncancelled(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

func (c *Conn) recordOutput(out Output) error {
	return c.recordOutputCtx(context.Background(), out)
}

// recordOutputCtx records out; on failure it breaks the session unless the
// gate fails open.
func (c *Conn) recordOutputCtx(ctx context.Context, out Output) error {
	err := c.g.RecordOutput(uncancelled(ctx), c.session, out)
	if err == nil {
		return nil
	}
	if c.g.failOpen {
		c.g.log.Warn("output not recorded; continuing because the gate is configured to fail open", "session", c.session.ID, "error", err)
		return nil
	}
	c.fail(err)
	return c.Err()
}

// settleOutput brings the session's run up to date with a result the
// client received: bytes, rows and findings counted, labels from the
// findings. A failure breaks the session, as a recording failure does.
func (c *Conn) settleOutput(ctx context.Context, out Output, sent, rows int64) error {
	if c.g.runs == nil {
		return nil
	}
	err := c.outputRun(ctx, out, sent)
	if err == nil {
		err = c.g.countRun(ctx, c.session, MetricRows, rows, c.g.now())
	}
	if err != nil {
		c.fail(fmt.Errorf("runs: %w", err))
		return c.Err()
	}
	return nil
}

// outputAllowed refuses output under anything but an allow decision, and
// under one whose mask directives have no masker (a decision an
// interceptor built by hand): nothing leaves unmasked that should not.
func outputAllowed(d *Decision) error {
	switch {
	case d == nil || d.Action != Allow:
		return errors.New("airlock: output without an allow decision")
	case len(d.Mask) > 0 && d.Masker == nil:
		return errors.New("airlock: output of a decision that masks, without its masker")
	}
	return nil
}

func boundOf(limit int64) int64 {
	if limit == 0 {
		return DefaultRecordLimit
	}
	return limit
}

// forwarder is the writer the masker writes to: the writer's forward stage,
// with no closure to allocate.
type forwarder OutputWriter

func (f *forwarder) Write(p []byte) (int, error) { return (*OutputWriter)(f).forward(p) }
