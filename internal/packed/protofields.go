package packed

// A protobuf message can be text: a string field whose tag (wire type 2)
// and length are bytes text holds — printable ASCII (field numbers 4 to
// 15, lengths 32 to 126), or, as varints of several bytes, the bytes of
// non-ASCII characters ("€A" is the tag of a field numbered above a
// hundred thousand, "é\t" a length above a hundred thousand) and control
// characters. Its value is then glued to them, and to the next field's
// tag: "*2ann@example.comZ" or "R 4111111111111111" hold an address or
// a card the detectors do not read where they start or end, but a
// client decoding the message reads the field alone. ProtoFields reads
// text as such a message would be read: at every offset where a field
// of a message may start (the text ends with it, or another field
// follows it), a field whose value is glued to the byte before it or
// after it has the value's first and last ProtoWindow bytes judged
// alone; a value found there is a value the client reads. Bytes no
// field can be glued to (white space, punctuation) are boundaries the
// detectors read already.

// ProtoWindow is how much of a field's value, at its start and at its
// end, is judged alone.
const ProtoWindow = 128

// maxVarint is the most bytes of a tag or a length varint read: five
// hold 32 bits.
const maxVarint = 5

// maxProtoLen bounds the lengths read: a longer field is no message a
// text holds.
const maxProtoLen = 1 << 26

// ProtoHold is how many bytes a streamed reader holds back: a field's
// tag, its length and the window after them.
const ProtoHold = 2*maxVarint + ProtoWindow

// ProtoFields judges text written in pieces as protobuf fields. Finds
// judges a window alone.
type ProtoFields struct {
	Finds func(window []byte) bool
	pos   int // the next offset judged as a field's start
	// ends are the fields whose starts were judged, until the byte
	// after their value is read.
	ends [][2]int
}

// Pos is the offset of the next field start to judge: the bytes before
// it are judged but for the ends still pending, which lie beyond it.
func (r *ProtoFields) Pos() int { return r.pos }

// Shift tells r that its text dropped its first n bytes (at most Pos).
func (r *ProtoFields) Shift(n int) {
	r.pos -= n
	for i := range r.ends {
		r.ends[i][0] -= n
		r.ends[i][1] -= n
	}
}

// Reset starts a new text.
func (r *ProtoFields) Reset() { r.pos, r.ends = 0, r.ends[:0] }

// varint reads a varint of at most maxVarint bytes at b[i:]: its value
// and length, 0 when none is there whole.
func varint(b []byte, i int) (uint64, int) {
	var v uint64
	for k := 0; k < maxVarint && i+k < len(b); k++ {
		c := b[i+k]
		v |= uint64(c&0x7f) << (7 * k)
		if c < 0x80 {
			return v, k + 1
		}
	}
	return 0, 0
}

// fieldHead reads a length-delimited field's tag and length at b[i:]:
// where its value starts and its length, ok false when none is there.
func fieldHead(b []byte, i int) (start, n int, ok bool) {
	if c := b[i]; c < 0x80 && (c&7 != 2 || c < 8) {
		return 0, 0, false // the common case: one byte, not such a tag
	}
	tag, k := varint(b, i)
	if k == 0 || tag&7 != 2 || tag>>3 == 0 || tag>>3 >= 1<<29 {
		return 0, 0, false
	}
	l, m := varint(b, i+k)
	if m == 0 || l > maxProtoLen {
		return 0, 0, false
	}
	return i + k + m, int(l), true
}

// head is fieldHead, with a tag and a length of one byte each read
// first.
func head(b []byte, i int) (start, n int, ok bool) {
	c := b[i]
	if c < 0x80 && (c&7 != 2 || c < 8) {
		return 0, 0, false
	}
	if c < 0x80 && i+1 < len(b) && b[i+1] < 0x80 {
		return i + 2, int(b[i+1]), true
	}
	return fieldHead(b, i)
}

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

// Judge judges b's field starts from Pos up to limit, and the ends found
// so far that have the byte after them in b (all of them when final: the
// text ends with b). It reports whether Finds found a value.
func (r *ProtoFields) Judge(b []byte, limit int, final bool) bool {
	for ; r.pos < limit; r.pos++ {
		// A tag and a length of one byte each (most of text's) are read
		// here: head is not inlined.
		i := r.pos
		c := b[i]
		if c < 0x80 && (c&7 != 2 || c < 8) {
			continue
		}
		var s, n int
		var ok bool
		if c < 0x80 && i+1 < len(b) && b[i+1] < 0x80 {
			s, n, ok = i+2, int(b[i+1]), true
		} else {
			s, n, ok = fieldHead(b, i)
		}
		if !ok || s >= len(b) || n == 0 {
			continue
		}
		e := s + n
		if e > len(b) && final {
			continue // cut short: no field
		}
		// A field of a message: the text ends with it, or another field
		// follows it (or may: the text is not all read yet).
		if e < len(b) {
			if _, _, next := head(b, e); !next && (final || e+2*maxVarint < len(b)) {
				continue
			}
		}
		if glued(b[s-1], b[s]) && r.Finds(b[s:min(e, s+ProtoWindow, len(b))]) {
			return true
		}
		r.ends = append(r.ends, [2]int{s, e})
	}
	k := 0
	for _, se := range r.ends {
		s, e := se[0], se[1]
		switch {
		case e < len(b):
			if glued(b[e-1], b[e]) && r.Finds(b[max(s, e-ProtoWindow, 0):e]) {
				return true
			}
		case final:
			// At the text's end, or cut short: nothing glued after it.
		default:
			r.ends[k] = se
			k++
		}
	}
	r.ends = r.ends[:k]
	return false
}

// ProtoGlued reports whether finds reads a value in text read as
// protobuf fields (ProtoFields), text whole.
func ProtoGlued(text []byte, finds func(window []byte) bool) bool {
	r := ProtoFields{Finds: finds}
	return r.Judge(text, len(text), true)
}
