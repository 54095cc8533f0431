package mask

import (
	"fmt"
	"io"
)

// Writer is a stream masker: it masks what is written to it and writes the
// result to the underlying writer, matching across arbitrary chunk
// boundaries. Its output equals Policy.Value on the whole stream, except
// for a value spread over more markup than the held tail: Value masks
// its pieces of text, the Writer those it still holds.
//
// To do that it holds back a bounded tail that could still hold the start
// of a match: the longest candidate of the policy's detectors plus 256 bytes
// of look-behind context — 8.3 KiB when private_key or jwt is on, 4.4 KiB
// with password_assignment, 1.3 KiB with custom patterns at the default
// MaxMatchBytes, 0.6 KiB for the PII detectors alone — and it rescans only
// once twice that is pending, so that the cost stays linear.
// Policy.MaxHeld reports the bound. Close flushes the tail; data written is
// not complete until Close returns nil.
//
// Failing closed: a PEM private key block with no END line within 8 KiB, a
// JWT longer than 8 KiB or a custom match reaching MaxMatchBytes makes Write
// or Close return an error wrapping ErrLimit. The held region is then
// dropped, never written, and every later call fails. An error from the
// underlying writer is returned likewise. A Writer is not safe for
// concurrent use.
type Writer struct {
	p   *Policy
	w   io.Writer
	buf []byte // buf[:emit] was already written (kept as look-behind context)
	// emit is the index in buf up to which output is decided and written.
	emit    int
	tl      tally
	err     error
	closed  bool
	scratch []span
}

// NewWriter returns a stream masker writing to w. With a nil Policy the
// Writer passes data through unchanged.
func (p *Policy) NewWriter(w io.Writer) *Writer {
	return &Writer{p: p, w: w}
}

// MaxHeld is the most bytes a Writer of this policy holds back before
// writing them on; 0 for a nil Policy.
func (p *Policy) MaxHeld() int {
	if p == nil || len(p.dets) == 0 {
		return 0
	}
	return 2 * p.horizon
}

// Write masks b. It may hold back part of it until a later Write or Close.
func (w *Writer) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, ErrClosed
	}
	if w.p == nil || len(w.p.dets) == 0 {
		n, err := w.w.Write(b)
		if err != nil {
			w.err = err
		}
		return n, err
	}
	w.buf = append(w.buf, b...)
	// Rescanning the held tail costs O(horizon); waiting for as much new
	// data again keeps the total cost linear in the input.
	if len(w.buf)-w.emit >= 2*w.p.horizon {
		if err := w.process(false); err != nil {
			w.err = err
			return 0, err
		}
	}
	return len(b), nil
}

// Close flushes the held tail. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	if w.p == nil || len(w.p.dets) == 0 {
		return nil
	}
	if err := w.process(true); err != nil {
		w.err = err
		return err
	}
	w.buf = nil
	return nil
}

// Findings reports what was masked so far.
func (w *Writer) Findings() []Finding {
	return append([]Finding(nil), w.tl.result()...)
}

// process decides and writes everything that no later byte can change.
func (w *Writer) process(final bool) error {
	t := w.buf
	safe := len(t)
	if !final {
		safe = len(t) - w.p.horizon
		if safe <= w.emit {
			return nil
		}
	}
	c := resolveFrom(t, dropCovered(t, w.p.candidates(t, final, w.scratch[:0])), w.emit)
	w.scratch = c[:0]
	out := make([]byte, 0, safe-w.emit+64)
	pos := w.emit
	for _, x := range c {
		if x.start >= safe {
			break
		}
		if x.overlong {
			return fmt.Errorf("%w: %s candidate in the stream is longer than its bound", ErrLimit, w.p.dets[x.det].name)
		}
		out = append(out, t[pos:x.start]...)
		out = w.p.strat[x.det].apply(out, t[x.start:x.end])
		pos = x.end
		w.tl.add(w.p.dets[x.det].name, "", 1)
	}
	if pos < safe {
		out = append(out, t[pos:safe]...)
		pos = safe
	}
	if len(out) > 0 {
		if _, err := w.w.Write(out); err != nil {
			return err
		}
	}
	// Keep ctxBefore bytes of look-behind before the new emit point.
	drop := pos - ctxBefore
	if drop > 0 {
		n := copy(w.buf, w.buf[drop:])
		w.buf = w.buf[:n]
		pos -= drop
	}
	w.emit = pos
	return nil
}

// resolveFrom is resolve restricted to candidates starting at or after from.
func resolveFrom(t []byte, c []span, from int) []span {
	k := c[:0]
	for _, x := range c {
		if x.start >= from {
			k = append(k, x)
		}
	}
	return resolve(t, k)
}
