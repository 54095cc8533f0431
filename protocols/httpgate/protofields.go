package httpgate

import (
	"fmt"
	"io"

	"github.com/airlock-sdk/airlock/mask"
)

// A protobuf message can be text: a string field whose tag (field numbers
// 4 to 15, wire type 2) and length (32 to 126, or a tab, a line feed)
// are printable bytes. Its value is then glued to them, and to the next
// field's tag: "*2ann@example.comZ" or "R 4111111111111111" hold an
// address or a card the detectors do not read where they start or end,
// but a client decoding the message reads the field alone. Under a
// rule's mask, the masked text is read as such a message would be: at
// every offset where a field of a message may start (the text ends with
// it, or another field follows it), a field whose value is glued to the
// byte before it or after it has the value's first and last
// protoWindow bytes judged alone (mask.Policy.Finds); a value found
// there refuses the body. Bytes no field can be glued to (white space,
// punctuation) are boundaries the detectors read already.

// protoWindow is how much of a field's value, at its start and at its
// end, is judged alone.
const protoWindow = 128

// protoHold is how many bytes a protoWatch holds back: a field's tag,
// its length and the window after them.
const protoHold = 2 + protoWindow

// protoWatch judges masked text written to it as protobuf fields (see
// above) before it passes it on to w.
type protoWatch struct {
	p   *mask.Policy
	w   io.Writer
	buf []byte
	pos int // the next offset of buf judged as a field's start
	// ends are the fields whose starts were judged, until the byte
	// after their value is read.
	ends [][2]int
	err  error
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
var errProtoField = fmt.Errorf("%w: a value glued to protobuf framing (a printable field's tag or length)", errUnmaskable)

// protoLen reports the length a field's length byte c gives, in text:
// a byte below 0x80 that text holds.
func protoLen(c byte) bool {
	return c >= 0x20 && c < 0x80 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == 0x1b || c == 0x1e
}

// protoTag reports whether c is a one-byte tag of wire type 2 (a
// length-delimited field) that text holds.
func protoTag(c byte) bool { return c&7 == 2 && c>>3 != 0 && c < 0x80 && (c >= 0x20 || c == '\n') }

// glued reports whether a and b, adjacent, read as one word to a
// detector.
func glued(a, b byte) bool { return wordByte(a) && wordByte(b) }

func wordByte(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= 0x80:
		return true
	}
	switch c {
	case '_', '-', '.', '@', '+', '/', '=', '%', '~', '#', '$', '&', '!', '\'', '*':
		return true
	}
	return false
}

// judge judges buf's field starts from pos up to limit, and the ends
// found so far that have the byte after them in buf (all of them when
// final: the text ends with buf). It reports whether a value was found.
func (w *protoWatch) judge(limit int, final bool) bool {
	b := w.buf
	for ; w.pos < limit; w.pos++ {
		i := w.pos
		if !protoTag(b[i]) || i+2 >= len(b) || !protoLen(b[i+1]) {
			continue
		}
		s, e := i+2, i+2+int(b[i+1])
		if e > len(b) && final {
			continue // cut short: no field
		}
		// A field of a message: the text ends with it, or another field
		// follows it (or may: the text is not all read yet).
		if e < len(b) && !(e+1 < len(b) && protoTag(b[e]) && protoLen(b[e+1])) && (final || e+1 < len(b)) {
			continue
		}
		if glued(b[s-1], b[s]) && w.finds(b[s:min(e, s+protoWindow, len(b))]) {
			return true
		}
		w.ends = append(w.ends, [2]int{s, e})
	}
	k := 0
	for _, se := range w.ends {
		s, e := se[0], se[1]
		switch {
		case e < len(b):
			if glued(b[e-1], b[e]) && w.finds(b[max(s, e-protoWindow):e]) {
				return true
			}
		case final:
			// At the text's end, or cut short: nothing glued after it.
		default:
			w.ends[k] = se
			k++
		}
	}
	w.ends = w.ends[:k]
	return false
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
	if len(w.buf)-w.pos >= 2*protoHold {
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
	if _, err := w.w.Write(w.buf[:w.pos]); err != nil {
		w.err = err
		return err
	}
	// Keep the last base85Behind bytes passed on.
	held := len(w.buf) - w.pos
	w.prev = w.prev[:len(w.prev)-held]
	if k := len(w.prev) - base85Behind; k > 0 {
		w.prev = w.prev[:copy(w.prev, w.prev[k:])]
	}
	n := copy(w.buf, w.buf[w.pos:])
	w.buf = w.buf[:n]
	for i := range w.ends {
		w.ends[i][0] -= w.pos
		w.ends[i][1] -= w.pos
	}
	w.pos = 0
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
		w.buf, w.pos, w.ends = text, 0, w.ends[:0]
		if w.judge(len(text), true) {
			return errProtoField
		}
		if err := refuseBase85(p, text, &w.decodes); err != nil {
			return err
		}
	}
	return nil
}
