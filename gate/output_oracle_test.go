package gate

import "io"

// OutputOracle is Output as it was before OutputIn: the writer built in
// one literal of its own allocation. TestOutputInMatchesOutput compares
// OutputIn with it.
func (c *Conn) OutputOracle(d *Decision, stream string, dst io.Writer, opts OutputOptions) *OutputWriter {
	w := &OutputWriter{c: c, stream: stream, dst: dst, mode: opts.Mode, limit: boundOf(opts.Limit), input: opts.Input}
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
