package mask

import "bytes"

// Encoded runs. Base64 (standard and URL-safe), base32 and hex turn a
// value into a run of letters and digits that a one-line decoder turns
// back: NDExMTExMTExMTExMTExMQ== is a card number. The package once left
// them out as encodings chosen on purpose; but a server writes them
// without being asked (Basic authentication, JSON fields of bytes, bytea
// columns in hex, cookies), and a reader decodes them at a glance. So a
// text holding a long run of such characters is also read with the run
// decoded, when the decoded bytes are text: a hash, a UUID or an
// identifier decodes to binary noise and is left alone, and so the view
// costs a detector pass only where a value may hide. A match masks the
// characters its bytes were encoded in.
//
// A run is decoded from each of its first four characters (from each of
// the first two as hex): a character put in front shifts the encoding,
// and a stream window or a JSON string may begin inside a run; so the
// reading of a run does not depend on where it stands.
// An encoding of an encoding, and code lists in an encoding, are read in
// turn (views.go, unwrapCandidates).

const (
	// minEncRun is the shortest run decoded: base64 of nine bytes, the
	// digits of an SSN.
	minEncRun = 12
	// minEncBytes is the fewest decoded bytes kept.
	minEncBytes = 9
)

// encRun is one run of the base64 alphabets in a text.
type encRun struct{ start, end int }

// nextEncRun returns the next run of at least minEncRun characters of
// the base64 alphabets (both) at or after i that looks encoded
// (encodedLooking, or hex after a prefix), or ok false. Runs shorter than minEncRun are skipped a probe at a time.
func nextEncRun(t []byte, i int) (r encRun, ok bool) {
	known := i // t[i:known] is known to be of the alphabets
	for {
		p := i + minEncRun - 1
		if p >= len(t) {
			return encRun{}, false
		}
		if !is(t[p], clB64) {
			i, known = p+1, p+1
			continue
		}
		q := p - 1
		for q >= known && is(t[q], clB64) {
			q--
		}
		if q >= known {
			i, known = q+1, p+1
			continue
		}
		for i > 0 && is(t[i-1], clB64) {
			i--
		}
		e := p + 1
		for e < len(t) && is(t[e], clB64) {
			e++
		}
		// Lines of MIME, PEM or a hex dump: a line of a multiple of four
		// characters, sixteen or more, goes on after its line break.
		for line := e - i; line >= 16 && line%4 == 0; {
			b := e
			if at(t, b) == '\r' {
				b++
			}
			if at(t, b) != '\n' || !is(at(t, b+1), clB64) {
				break
			}
			n := b + 1
			for n < len(t) && is(t[n], clB64) {
				n++
			}
			line, e = n-b-1, n
		}
		if encodedLooking(t[i:e]) || hexPrefix(t, i) > 0 {
			return encRun{i, e}, true
		}
		i = e
	}
}

// hasEncodedRun reports whether t holds a run nextEncRun finds.
func hasEncodedRun(t []byte) bool {
	_, ok := nextEncRun(t, 0)
	return ok
}

// b64Value is the value of a base64 character, standard or URL-safe.
func b64Value(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26
	case c >= '0' && c <= '9':
		return c - '0' + 52
	case c == '+' || c == '-':
		return 62
	}
	return 63
}

// b32Value is the value of a base32 character, in either case, or 0xFF.
func b32Value(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return c - 'a'
	case c >= '2' && c <= '7':
		return c - '2' + 26
	}
	return 0xFF
}

// readEncoded fills l with the runs of src decoded (each separated by a
// NUL, which ends every value), the runs whose decoded bytes are text;
// st and en map src to the original (nil: src is it). It reports whether
// any run was kept.
func (l *layer) readEncoded(src []byte, st, en []int) bool {
	// Most runs decode to no text: the view grows as runs are kept, not
	// to the size of src up front.
	l.b, l.st, l.en = l.b[:0], l.st[:0], l.en[:0]
	for i := 0; ; {
		r, ok := nextEncRun(src, i)
		if !ok {
			break
		}
		i = r.end
		for a := 0; a < 4 && r.end-r.start-a >= minEncRun; a++ {
			l.decodeRun(src, st, en, r.start+a, r.end, &base64Alphabet)
			if a < 2 && isHexRun(src[r.start+a:r.end]) {
				l.decodeRun(src, st, en, r.start+a, r.end, &hexAlphabet)
			}
			if isB32Run(src[r.start+a : r.end]) {
				l.decodeRun(src, st, en, r.start+a, r.end, &base32Alphabet)
			}
		}
		// Hex after a prefix: PostgreSQL's bytea (\x3431...), 0x3431...
		if h := hexPrefix(src, r.start); h > 0 && isHexRun(src[h:r.end]) {
			l.decodeRun(src, st, en, h, r.end, &hexAlphabet)
		}
	}
	return len(l.b) > 0
}

// hexPrefix returns where the hex digits start in a run at t[s] that
// begins with the x of \x or with 0x, or 0.
func hexPrefix(t []byte, s int) int {
	switch {
	case at(t, s) == 'x' && at(t, s-1) == '\\':
		return s + 1
	case at(t, s) == '0' && at(t, s+1)|0x20 == 'x':
		return s + 2
	}
	return 0
}

func lineBreak(c byte) bool { return c == '\n' || c == '\r' }

// isHexRun reports whether t is hex digits (and line breaks).
func isHexRun(t []byte) bool {
	for _, c := range t {
		if class[c]&clHexRun == 0 {
			return false
		}
	}
	return true
}

// isB32Run reports whether t is base32 in one case (and line breaks).
func isB32Run(t []byte) bool {
	var seen uint16
	for _, c := range t {
		k := class[c]
		if k&clB32Run == 0 {
			return false
		}
		seen |= k
	}
	return seen&(clUpper|clLower) != clUpper|clLower
}

// decodeRun appends src[s:e] decoded in alphabet a (line breaks are
// skipped), NULs dropped and followed by a NUL, when seven bytes in
// eight are text or NUL. The run is judged first, without writing: most
// runs (hashes, identifiers, paths) fail within a few bytes.
func (l *layer) decodeRun(src []byte, st, en []int, s, e int, a *alphabet) {
	run := src[s:e]
	chars := len(run) - bytes.Count(run, newline) - bytes.Count(run, carriageReturn)
	total := chars * int(a.bits) / 8
	if total < minEncBytes {
		return
	}
	if !a.mostlyText(run, total/8) {
		return
	}
	eachDecodedByte(src, s, e, a.bits, a.value, func(first, k int, c byte) bool {
		if c != 0 {
			// NULs are dropped: the text of UTF-16 or UTF-32 encoded
			// (PowerShell's -EncodedCommand) reads as itself.
			cs, _ := spanOf(st, en, first)
			_, ce := spanOf(st, en, k)
			l.b, l.st, l.en = append(l.b, c), append(l.st, cs), append(l.en, ce)
		}
		return true
	})
	_, ce := spanOf(st, en, e-1)
	l.b, l.st, l.en = append(l.b, 0), append(l.st, ce-1), append(l.en, ce)
}

var newline, carriageReturn = []byte{'\n'}, []byte{'\r'}

// eachDecodedByte calls f with each byte src[s:e] decodes to, bits bits
// per character (value gives each; line breaks are skipped), and the
// indexes of the characters the byte starts and ends in; it stops, and
// returns false, when f does.
func eachDecodedByte(src []byte, s, e int, bits uint, value func(byte) byte, f func(first, last int, c byte) bool) bool {
	var acc uint32
	var nb uint
	first := s // the character the next byte starts in
	for k := s; k < e; k++ {
		c := src[k]
		if lineBreak(c) {
			continue
		}
		acc = acc<<bits | uint32(value(c))
		if nb += bits; nb < 8 {
			continue
		}
		nb -= 8
		if !f(first, k, byte(acc>>nb)) {
			return false
		}
		if nb > 0 {
			first = k // the leftover bits of this character start the next byte
		} else {
			first = k + 1
		}
	}
	return true
}

// textByte reports whether a decoded byte is text: printable ASCII or a
// tab or line break.
func textByte(c byte) bool {
	return c >= ' ' && c < 0x7F || c == '\t' || c == '\n' || c == '\r'
}

// encodedLooking reports whether a run may be base64 of text (upper- and
// lower-case letters after its first character, or upper-case letters
// and digits without '-' or '_': prose words, paths and timestamps do
// not look so), hex (hex digits only, a digit among them) or base32
// (letters of one case and the digits 2-7 only).
func encodedLooking(r []byte) bool {
	if len(r) == 0 {
		return false
	}
	// after: the classes of the characters after the first; all: the
	// classes every character has.
	var after uint16
	all := uint16(clHexRun | clB32Run)
	for _, c := range r[1:] {
		k := class[c]
		after |= k
		all &= k
	}
	first := class[r[0]]
	any := after | first
	all &= first
	upper := after&clUpper != 0
	lower, digit, dash := any&clLower != 0, any&clDigit != 0, any&clDash != 0
	hexOnly := all&clHexRun != 0
	b32Only := all&clB32Run != 0 && any&(clUpper|clLower) != clUpper|clLower
	return upper && (lower || digit && !dash) || digit && hexOnly || b32Only && len(r) >= 16
}
