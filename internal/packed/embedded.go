package packed

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"unicode/utf8"
)

// Packed data need not start a body: a tar file holds a gzip member at
// its second block, a JSON line precedes a gzip stream, a PNG keeps text
// in zlib streams, a multipart body carries a zip part. An Embedded
// scanner reads a stream as it is written and finds, at any offset, the
// signature of a compressed stream or archive (one long enough not to
// occur by chance), a zlib stream whose data inflates to text and, in
// binary data, raw deflate of text at any offset (a tar member's start,
// after a header of any length, two bytes into a zlib stream of any
// window; see deflateStart).

// lookahead is how many bytes after an offset the scanner reads to judge
// it.
const lookahead = RawDeflateSniffLen

// maxCandidates bounds the zlib headers an Embedded scanner inflates,
// beyond one per 4 KiB read: each costs an inflation of lookahead bytes.
// Data with more is judged packed rather than read at the cost of a
// body's worth of inflations.
const maxCandidates = 4096

// Embedded finds packed data anywhere in a stream written to it in
// pieces. Text says the stream is text (UTF-8), where signatures spelt
// in letters alone are too likely by chance.
type Embedded struct {
	Text  bool
	buf   [2 * lookahead]byte
	n     int   // bytes held in buf
	pos   int   // the next offset of buf to judge
	off   int64 // the stream offset of buf[0]
	tries int
	found string
	fr    io.ReadCloser // reused by inflatesToText
	out   [256]byte
}

// Found returns the name of the packed format found so far ("" if none).
func (e *Embedded) Found() string { return e.found }

// Write scans p; it never fails.
func (e *Embedded) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 && e.found == "" {
		if e.n == len(e.buf) {
			copy(e.buf[:], e.buf[e.pos:e.n])
			e.off += int64(e.pos)
			e.n -= e.pos
			e.pos = 0
		}
		c := copy(e.buf[e.n:], p)
		e.n += c
		p = p[c:]
		for e.pos+lookahead <= e.n && e.found == "" {
			e.judge()
		}
	}
	return total, nil
}

// Close ends the stream: the last offsets are judged.
func (e *Embedded) Close() error {
	for e.pos < e.n && e.found == "" {
		e.judge()
	}
	return nil
}

// judge judges the offset pos and moves past it.
func (e *Embedded) judge() {
	b := e.buf[e.pos:e.n]
	at := e.off + int64(e.pos)
	e.pos++
	if name := embeddedMagic(b, e.Text); name != "" {
		e.found = name
		return
	}
	if zlibCandidate(b) {
		// In text, "x^" is common and costs a short inflation, not
		// counted; elsewhere a header is rare by chance (about one in
		// 16 KiB of random bytes).
		if !e.Text || b[1] != 0x5e {
			if e.tries++; e.tries > maxCandidates+int(at>>12) {
				e.found = "data with many zlib headers"
				return
			}
		}
		if e.inflatesToText(b[2:]) {
			e.found = "zlib"
		}
		return
	}
	if !e.Text && (at%512 == 0 || deflateStart(b, true)) && !printableHead(b) && e.inflatesToText(b) {
		e.found = "raw deflate"
	}
}

// inflatesToText is RawDeflate with a reused inflater.
func (e *Embedded) inflatesToText(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	if e.fr == nil {
		e.fr = flate.NewReader(bytes.NewReader(head))
	} else if err := e.fr.(flate.Resetter).Reset(bytes.NewReader(head), nil); err != nil {
		return false
	}
	n, err := io.ReadFull(e.fr, e.out[:])
	var corrupt flate.CorruptInputError
	if n < minInflated || errors.As(err, &corrupt) {
		return false
	}
	return looksLikeText(e.out[:n])
}

// zlibCandidate reports whether b starts with a zlib header zlib writes
// (deflate, a 32 KiB window, one of the four levels).
func zlibCandidate(b []byte) bool {
	if len(b) < 2 || b[0] != 0x78 {
		return false
	}
	switch b[1] {
	case 0x01, 0x5e, 0x9c, 0xda:
		return true
	}
	return false
}

// embeddedMagic returns the name of the compressed stream or archive
// whose signature b starts with, among those long or unusual enough to
// judge at any offset, or "". In text, signatures of letters and digits
// alone are left out.
func embeddedMagic(b []byte, text bool) string {
	if len(b) < 4 || !magicStart[b[0]] {
		return ""
	}
	switch b[0] {
	case 0x1f:
		// gzip: the method, no reserved flag, the extra flags and an
		// operating system a writer sets.
		if len(b) >= 10 && b[1] == 0x8b && b[2] == 8 && b[3]&0xe0 == 0 && (b[8] == 0 || b[8] == 2 || b[8] == 4) && (b[9] <= 13 || b[9] == 255) {
			return "gzip"
		}
	case 'B':
		if len(b) >= 10 && string(b[:3]) == "BZh" && b[3] >= '1' && b[3] <= '9' && string(b[4:10]) == "1AY&SY" {
			return "bzip2"
		}
	case 'P':
		if string(b[:4]) == "PK\x03\x04" {
			return "zip"
		}
		if !text && string(b[:4]) == "PAR1" {
			return "Parquet"
		}
	}
	for _, m := range embeddedMagics {
		if m.magic[0] == b[0] && len(b) >= len(m.magic) && string(b[:len(m.magic)]) == m.magic {
			return m.name
		}
	}
	return ""
}

// magicStart marks the bytes an embedded signature starts with.
var magicStart = func() (t [256]bool) {
	for _, c := range []byte{0x1f, 'B', 'P'} {
		t[c] = true
	}
	for _, m := range embeddedMagics {
		t[m.magic[0]] = true
	}
	return t
}()

// embeddedMagics are the signatures of at least four bytes, not all
// letters and digits, judged at any offset.
var embeddedMagics = []struct{ name, magic string }{
	{"xz", "\xfd7zXZ\x00"},
	{"lz4", "\x04\x22\x4d\x18"},
	{"lz4 (legacy)", "\x02\x21\x4c\x18"},
	{"lzop", "\x89LZO\x00\r\n\x1a\n"},
	{"zstd", "\x28\xb5\x2f\xfd"},
	{"brotli framing", "\xce\xb2\xcf\x81"},
	{"7z", "7z\xbc\xaf\x27\x1c"},
	{"rar", "Rar!\x1a\x07"},
	{"cab", "MSCF\x00\x00\x00\x00"},
	{"OLE2", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"},
	{"SQLite", "SQLite format 3\x00"},
	{"Avro", "Obj\x01"},
	{"Java serialization", "\xac\xed\x00\x05"},
	// A PDF's streams may be text under ASCII85 or ASCIIHex, or LZW.
	{"PDF", "%PDF-"},
}

// EmbeddedIn returns the name of the packed format found anywhere in
// data (see Embedded), or "".
func EmbeddedIn(data []byte, text bool) string {
	e := Embedded{Text: text}
	_, _ = e.Write(data)
	_ = e.Close()
	return e.found
}

// Latin1 returns the bytes a client reads from text (UTF-8) by encoding
// it as ISO 8859-1, as one does that receives binary data in a JSON
// string ("\u001f\u008b\u0008..."): each character up to U+00FF is its
// byte, any other is '?'. nil when text holds no character from U+0080
// to U+00FF, whose bytes it would be, or is not UTF-8 (binary data, not
// characters).
func Latin1(text []byte) []byte {
	if bytes.IndexByte(text, 0xc2) < 0 && bytes.IndexByte(text, 0xc3) < 0 || !utf8.Valid(text) {
		return nil
	}
	out := make([]byte, 0, len(text))
	for _, r := range string(text) {
		if r > 0xff {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}

// Latin1Writer writes to W the ISO 8859-1 reading of the UTF-8 text
// written to it in pieces (see Latin1): characters up to U+00FF as their
// bytes, any other as '?'. It never fails.
type Latin1Writer struct {
	W    io.Writer
	pend byte // a lead byte (0xc2, 0xc3) whose continuation is to come
	buf  [512]byte
}

func (l *Latin1Writer) Write(p []byte) (int, error) {
	n := 0
	for _, c := range p {
		switch {
		case l.pend != 0 && c&0xc0 == 0x80:
			l.buf[n] = (l.pend&0x03)<<6 | c&0x3f
			l.pend = 0
		case c == 0xc2 || c == 0xc3:
			l.pend = c
			continue
		case c < 0x80:
			l.pend = 0
			l.buf[n] = c
		case c&0xc0 == 0x80:
			continue // the rest of a character beyond U+00FF
		default:
			l.pend = 0
			l.buf[n] = '?'
		}
		if n++; n == len(l.buf) {
			_, _ = l.W.Write(l.buf[:n])
			n = 0
		}
	}
	_, _ = l.W.Write(l.buf[:n])
	return len(p), nil
}

// Latin1Strings returns the name of the packed format that a string of
// v (a JSON value decoded into any: strings, []any, map[string]any),
// read as ISO 8859-1 (see Latin1), holds anywhere, "binary" for binary
// data (Binary) in which raw deflate may start anywhere, or "".
func Latin1Strings(v any) string {
	switch v := v.(type) {
	case string:
		if l := Latin1([]byte(v)); l != nil {
			if name := EmbeddedIn(l, false); name != "" {
				return name
			}
			if Binary(l) {
				// Raw deflate has no signature to find at any offset.
				return "binary"
			}
		}
	case []any:
		for _, e := range v {
			if name := Latin1Strings(e); name != "" {
				return name
			}
		}
	case map[string]any:
		for k, e := range v {
			if name := Latin1Strings(k); name != "" {
				return name
			}
			if name := Latin1Strings(e); name != "" {
				return name
			}
		}
	}
	return ""
}

// Binary reports whether b holds a control byte that text does not (tab,
// line feed, form feed, carriage return, escape and the record separator
// of JSON text sequences aside): data holding one is binary.
func Binary(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r' && c != 0x1b && c != 0x1e {
			return true
		}
	}
	return false
}
