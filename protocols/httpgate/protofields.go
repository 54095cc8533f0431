package httpgate

import (
	"fmt"
	"io"

	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// A protobuf message can be text: a string field whose tag and length
// are bytes text holds glues its value to them, and to the next field's
// tag, where the detectors do not read it but a client decoding the
// message reads the field alone (see packed.ProtoFields). Under a rule's
// mask, the masked text is read so; a value found refuses the body.

// protoHold is how many bytes a protoWatch holds back: a field's tag,
// its length and the window after them.
const protoHold = packed.ProtoHold

// protoWatch judges masked text written to it as protobuf fields (see
// above) before it passes it on to w.
type protoWatch struct {
	p   *mask.Policy
	w   io.Writer
	buf []byte
	// fields reads buf as protobuf fields.
	fields packed.ProtoFields
	err    error
	// lines: each write is a line or an event, judged and passed on
	// whole.
	lines bool
	// prev is the end of what was passed on, read again with what
	// follows for base85 text.
	prev []byte
	// windows and decodes are what was found in the windows judged
	// and the base85 decodes read (see verdicts).
	windows, decodes verdicts
}

// finds reports whether the detectors find a value in the window t,
// judging a window the body repeats once.
func (w *protoWatch) finds(t []byte) bool {
	if found, ok := w.windows.get(t); ok {
		return found
	}
	found := w.p.Finds(t)
	w.windows.put(t, found)
	return found
}

// errProtoField refuses text that a client decoding it as protobuf reads
// a value from.
var errProtoField = fmt.Errorf("%w: a value glued to protobuf framing (a field's tag or length)", errUnmaskable)

// judge judges buf's field starts up to limit (see packed.ProtoFields).
func (w *protoWatch) judge(limit int, final bool) bool {
	if w.fields.Finds == nil {
		w.fields.Finds = w.finds
	}
	return w.fields.Judge(w.buf, limit, final)
}

// Write judges the masked text p and passes on what was judged.
func (w *protoWatch) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	if w.lines {
		// Each write is a whole line, passed on at once: its fields are
		// judged within it.
		return len(p), w.flush(true)
	}
	if len(w.buf)-w.fields.Pos() >= 2*protoHold {
		if err := w.flush(false); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// flush judges what is held (all of it when final) and passes on the
// bytes before the next field start to judge: the ends still to judge
// lie beyond them (an end is pending until a byte follows it, which is
// past the held window's start).
func (w *protoWatch) flush(final bool) error {
	limit := len(w.buf)
	if !final {
		limit -= protoHold
	}
	if w.judge(limit, final) {
		w.err = errProtoField
		w.buf = w.buf[:0]
		return w.err
	}
	// The text to pass on, with what is held after it and what was
	// passed on before it, is read for base85 (base85.go).
	w.prev = append(w.prev, w.buf...)
	if err := refuseBase85(w.p, w.prev, &w.decodes); err != nil {
		w.err = err
		w.buf = w.buf[:0]
		return err
	}
	pos := w.fields.Pos()
	if _, err := w.w.Write(w.buf[:pos]); err != nil {
		w.err = err
		return err
	}
	// Keep the last base85Behind bytes passed on.
	held := len(w.buf) - pos
	w.prev = w.prev[:len(w.prev)-held]
	if k := len(w.prev) - base85Behind; k > 0 {
		w.prev = w.prev[:copy(w.prev, w.prev[k:])]
	}
	n := copy(w.buf, w.buf[pos:])
	w.buf = w.buf[:n]
	w.fields.Shift(pos)
	return nil
}

// Close judges and passes on what is held: the text has ended.
func (w *protoWatch) Close() error {
	if w.err != nil {
		return w.err
	}
	return w.flush(true)
}

// checkProtoFields judges whole masked texts (see protoWatch), base85
// runs too: a body and its readings, which share most windows.
func checkProtoFields(p *mask.Policy, texts ...[]byte) error {
	w := protoWatch{p: p}
	for _, text := range texts {
		w.buf = text
		w.fields.Reset()
		if w.judge(len(text), true) {
			return errProtoField
		}
		if err := refuseBase85(p, text, &w.decodes); err != nil {
			return err
		}
	}
	return nil
}
