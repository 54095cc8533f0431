package mask

import (
	"bytes"
	"unicode/utf8"
)

// Character dumps. od -c (and od -tc, hexdump -c) prints a byte a field of
// four columns: a printable character right-aligned ("   r"), a space as
// four spaces, an escape ("  \n", "  \0") or three octal digits
// (" 303"); od -a prints names ("  sp", "  nl", " nul"). Sixteen fields
// make a line, after an offset unless -An is given; a newer od prints a
// multi-byte character in one field and "  **" for its other bytes. A
// secret printed so is split one character a field, lines apart: the
// lines are read as the bytes they stand for, joined across lines, and a
// match masks the fields its bytes were printed in.

// minCharDumpFields is the fewest fields a line holds to begin a dump.
const minCharDumpFields = 4

// maxCharDumpLine bounds a dump line's bytes: an offset of up to eleven
// digits and sixteen fields of a character of up to four bytes.
const maxCharDumpLine = 11 + 16*(3+utf8.UTFMax)

// charDumpNames are od -a's names of the control characters and space.
var charDumpNames = map[string]byte{
	"nul": 0, "soh": 1, "stx": 2, "etx": 3, "eot": 4, "enq": 5, "ack": 6, "bel": 7, "bs": 8, "ht": 9,
	"nl": 10, "vt": 11, "ff": 12, "cr": 13, "so": 14, "si": 15, "dle": 16, "dc1": 17, "dc2": 18,
	"dc3": 19, "dc4": 20, "nak": 21, "syn": 22, "etb": 23, "can": 24, "em": 25, "sub": 26, "esc": 27,
	"fs": 28, "gs": 29, "rs": 30, "us": 31, "sp": ' ', "del": 127,
}

// charField reads the field that begins at t[i]: it returns the field's
// end, the bytes it stands for in b[:n] and where its text starts.
func charField(t []byte, i int, b *[utf8.UTFMax]byte) (end, n, text int, ok bool) {
	if i+4 > len(t) || t[i] != ' ' {
		return 0, 0, 0, false
	}
	f := t[i : i+4]
	switch {
	case f[1] == ' ' && f[2] == ' ' && f[3] >= 0x80:
		// A multi-byte character; its other bytes follow as "  **".
		r, size := utf8.DecodeRune(t[i+3:])
		if r == utf8.RuneError {
			return 0, 0, 0, false
		}
		return i + 3 + size, copy(b[:], t[i+3:i+3+size]), i + 3, true
	case f[1] == ' ' && f[2] == ' ' && f[3] > ' ' && f[3] < 0x7F:
		b[0] = f[3]
		return i + 4, 1, i + 3, true
	case f[1] == ' ' && f[2] == ' ' && f[3] == ' ':
		b[0] = ' '
		return i + 4, 1, i, true
	case f[1] == ' ' && f[2] == '*' && f[3] == '*':
		return i + 4, 0, i + 2, true
	case f[1] == ' ' && f[2] == '\\':
		var c byte
		switch f[3] {
		case '0':
			c = 0
		case 'a':
			c = 7
		case 'b':
			c = 8
		case 't':
			c = '\t'
		case 'n':
			c = '\n'
		case 'v':
			c = 11
		case 'f':
			c = 12
		case 'r':
			c = '\r'
		default:
			return 0, 0, 0, false
		}
		b[0] = c
		return i + 4, 1, i + 2, true
	case isOctal(f[1]) && isOctal(f[2]) && isOctal(f[3]) && f[1] <= '3':
		b[0] = (f[1]-'0')<<6 | (f[2]-'0')<<3 | (f[3] - '0')
		return i + 4, 1, i + 1, true
	}
	// od -a: a name right-aligned in three columns.
	k := 1
	for k < 4 && f[k] == ' ' {
		k++
	}
	if k > 2 {
		return 0, 0, 0, false
	}
	if c, ok := charDumpNames[string(f[k:])]; ok {
		b[0] = c
		return i + 4, 1, i + k, true
	}
	return 0, 0, 0, false
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// charDumpLine reads the line that begins at t[i] as a dump line: an
// optional offset (six to eleven hex digits), then fields up to the line's
// end. It returns the end of the line (before its '\n') and the number of
// fields; emit, when not nil, gets every byte read with its field's text.
func charDumpLine(t []byte, i int, emit func(c byte, s, e int)) (end, fields int, ok bool) {
	j := i
	for j < len(t) && j-i < 11 && is(t[j], clHex) {
		j++
	}
	if j > i && (j-i < 6 || at(t, j) != ' ' && at(t, j) != '\n' && j < len(t)) {
		return 0, 0, false
	}
	var b [utf8.UTFMax]byte
	for j < len(t) && t[j] != '\n' {
		if j-i > maxCharDumpLine {
			return 0, 0, false
		}
		e, n, s, ok := charField(t, j, &b)
		if !ok {
			// hexdump -c pads its last line with spaces.
			k := j
			for k < len(t) && t[k] == ' ' {
				k++
			}
			if k < len(t) && t[k] != '\n' {
				return 0, 0, false
			}
			return k, fields, true
		}
		if emit != nil {
			for _, c := range b[:n] {
				emit(c, s, e)
			}
		}
		fields++
		j = e
	}
	return j, fields, true
}

// hasCharDump reports whether t holds a line of a character dump: a line
// with minCharDumpFields fields. Each line is looked at once, from a run
// of three spaces in it.
func hasCharDump(t []byte) bool {
	for k := 0; k < len(t); {
		h := bytes.Index(t[k:], []byte("   "))
		if h < 0 {
			return false
		}
		h += k
		ls := h
		for ls > 0 && t[ls-1] != '\n' && h-ls <= maxCharDumpLine {
			ls--
		}
		if end, n, ok := charDumpLine(t, ls, nil); ok && n >= minCharDumpFields {
			return true
		} else if ok {
			k = end + 1
			continue
		}
		if e := bytes.IndexByte(t[h:], '\n'); e >= 0 {
			k = h + e + 1
		} else {
			return false
		}
	}
	return false
}

// readCharDumps appends to l the bytes of every run of dump lines of src
// (each run followed by a NUL); st and en map src to the original (nil:
// src is it). A run begins at a line of minCharDumpFields fields and goes
// on while the lines read as dump lines.
func (l *layer) readCharDumps(src []byte, st, en []int) {
	emit := func(c byte, s, e int) {
		os, _ := spanOf(st, en, s)
		_, oe := spanOf(st, en, e-1)
		l.b, l.st, l.en = append(l.b, c), append(l.st, os), append(l.en, oe)
	}
	in := false
	last := 0
	for i := 0; i < len(src); {
		end, n, ok := charDumpLine(src, i, nil)
		if ok && (n >= minCharDumpFields || in && n > 0 || in && n == 0 && end > i) {
			charDumpLine(src, i, emit)
			in = true
			last = end
		} else if in {
			_, ce := spanOf(st, en, max(last-1, 0))
			l.b, l.st, l.en = append(l.b, 0), append(l.st, ce-1), append(l.en, ce)
			in = false
		}
		e := bytes.IndexByte(src[i:], '\n')
		if e < 0 {
			break
		}
		i += e + 1
	}
	if in {
		_, ce := spanOf(st, en, max(last-1, 0))
		l.b, l.st, l.en = append(l.b, 0), append(l.st, ce-1), append(l.en, ce)
	}
}
