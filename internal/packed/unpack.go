package packed

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A search for a value in data held whole (a gateway's own credential,
// which no client may see however it is packed) must read what the data
// unpacks to. Unpack finds, anywhere in data, the packed streams a client
// can unpack with common tools — gzip, zlib (a PNG's text), raw deflate
// at any offset (a zip member, a tar member), bzip2, a PDF's streams
// through their filters (pdf.go), and the base64
// or hex of any of them in text — and hands what each unpacks to, and
// what that holds in turn, to the search. Packed data it has no decoder
// for (xz, zstd, lz4, 7z, rar, an encrypted or otherwise compressed zip
// member, ...), more than limit bytes unpacked, deeper nesting, an
// encoded stream cut short, or more work than the data's length and the
// bytes unpacked allow (bounds.go) is ErrOpaque: the caller cannot know
// what it holds.

// ErrOpaque is wrapped by Unpack's errors: data holds packed data that
// cannot be searched.
var ErrOpaque = errors.New("packed: data holds packed data that cannot be searched")

// maxDepth bounds packed data within packed data.
const maxDepth = 4

// Unpack calls visit with what each packed stream in data unpacks to, at
// every depth (data itself is not visited), until visit returns true.
// It reads at most limit bytes unpacked in all; see ErrOpaque. visit is a
// search: it answers the same for the same bytes (the same output again,
// in the same walk state, is not visited again). Outputs that start or
// end one visited are, past a bound, not visited: Unpack then ends in
// ErrOpaque unless visit finds something elsewhere.
func Unpack(data []byte, limit int, visit func(unpacked []byte) bool) error {
	u := unpacker{budget: limit, visit: visit, b: newBounds(len(data))}
	err := u.walk(data, 0)
	if err == nil && !u.done {
		err = u.b.pending
	}
	return err
}

type unpacker struct {
	budget int
	fr     io.ReadCloser // reused by inflateAt
	zr     io.ReadCloser // reused by zlibAt
	visit  func([]byte) bool
	done   bool
	tries  int
	// strict: what is read came from an encoded run, which may have been
	// cut where the client reads on (see walkEncoded).
	strict bool
	// b bounds the work (bounds.go); nil in a test's copy of the walk
	// as it was.
	b *bounds
}

// walk searches data, at depth, for packed streams.
func (u *unpacker) walk(data []byte, depth int) error {
	if err := u.b.do(len(data)); err != nil {
		return err
	}
	var heads printableHeads
	runEnd := 0 // the end of the run of encoded characters the walk is in
	// pdfDone: a PDF's streams in data were read, from its first header
	// to data's end. Another PDF in what a layer unpacks to is other
	// bytes: its own walk reads its streams.
	pdfDone := false
	for i := 0; i < len(data) && !u.done; i++ {
		if i = heads.skip(data, i); i == len(data) {
			break
		}
		b := data[i:]
		var (
			r    io.Reader
			name string
		)
		switch m := embeddedMagic(b, false); m {
		case "":
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				continue
			}
			zr.Multistream(false)
			r, name = zr, m
		case "bzip2":
			r, name = bzip2.NewReader(bytes.NewReader(b)), m
		case "zip":
			zr, err := zipMember(b)
			if err != nil {
				return err
			}
			if zr == nil {
				continue // stored: its bytes are searched where they are
			}
			r, name = zr, m
		case "PDF":
			if pdfDone {
				continue // its streams were read from the first header
			}
			pdfDone = true
			err := u.pdfStreams(b, func(out []byte) error { return u.layer(out, depth) })
			if err != nil {
				return err
			}
			continue
		case "OLE2", "SQLite", "Avro", "Java serialization", "Parquet":
			// Strings in these are bytes of data itself, searched as
			// they are.
			continue
		default:
			return fmt.Errorf("%w: %s data", ErrOpaque, m)
		}
		if r == nil && zlibCandidate(b) && zlibCheck(b) {
			u.tries++
			if u.b.tried(u.tries, maxCandidates+i>>12); u.tries > maxCandidates+i>>12 {
				return fmt.Errorf("%w: more than %d zlib headers", ErrOpaque, maxCandidates)
			}
			if err := u.b.do(readerSetup); err != nil {
				return err
			}
			if err := u.zlibAt(b); err != nil {
				continue
			}
			r, name = u.zr, "zlib"
		}
		if r == nil && !heads.at(data, i) && deflateStart(b, false) {
			// Raw deflate at any offset (after a header of any length,
			// two bytes into a zlib stream of any window).
			out, err := u.inflateAt(b)
			if err != nil {
				return err
			}
			if out != nil {
				if err := u.layer(out, depth); err != nil {
					return err
				}
			}
			continue
		}
		if r == nil && encodedChar(b[0]) && (i == 0 || !alnum(data[i-1])) {
			stretch := i == 0 || !encodedChar(data[i-1])
			if runEnd <= i {
				runEnd = i + encodedRunLen(b)
			}
			if dec := decodeWholeRun(data[i:runEnd], stretch); dec != nil {
				if err := u.walkEncoded(dec, depth); err != nil {
					return err
				}
				continue
			}
			if stretch {
				// The base64 of a file that does not start packed (an
				// image with compressed text chunks) is searched too.
				if err := u.walkStretch(b, depth); err != nil {
					return err
				}
			}
		}
		if r == nil {
			continue
		}
		out, err := u.read(r, name)
		if err != nil {
			return err
		}
		if err := u.layer(out, depth); err != nil {
			return err
		}
	}
	return nil
}

// walkEncoded searches the bytes an encoded run decoded to: they hold
// packed data (decodeRun), which must unpack to its end, or the rest of
// the run (beyond a line break, an escape) went unread.
func (u *unpacker) walkEncoded(dec []byte, depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("%w: nested more than %d deep", ErrOpaque, maxDepth)
	}
	if err := u.b.do(len(dec)); err != nil {
		return err
	}
	if u.visit(dec) {
		u.done = true
		return nil
	}
	sub := unpacker{budget: u.budget, visit: u.visit, tries: u.tries, strict: true, fr: u.fr, zr: u.zr, b: u.b}
	err := sub.walk(dec, depth+1)
	u.budget, u.done, u.tries, u.fr, u.zr = sub.budget, sub.done, sub.tries, sub.fr, sub.zr
	return err
}

// minStretch is the shortest stretch of encoded characters whose
// decoded bytes are searched for packed data.
const minStretch = 64

// walkStretch searches the bytes that the stretch of encoded characters
// b starts with decodes to (base64, base64url or hex, whole), when it is
// at least minStretch long.
func (u *unpacker) walkStretch(b []byte, depth int) error {
	n := encodedRunLen(b)
	if n < minStretch {
		return nil
	}
	if depth >= maxDepth {
		return fmt.Errorf("%w: nested more than %d deep", ErrOpaque, maxDepth)
	}
	for enc := range 3 {
		if dec := decodeAll(enc, b[:n]); len(dec)*2 >= n {
			return u.walk(dec, depth+1)
		}
	}
	return nil
}

// read unpacks r within the budget. A stream cut short or corrupt
// yields what it held before, as it does to a client; in an encoded run
// (strict) it is opaque.
func (u *unpacker) read(r io.Reader, name string) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, int64(u.budget)+1))
	if u.over(len(out)) {
		return nil, fmt.Errorf("%w: %s data unpacks to more than the bytes searched", ErrOpaque, name)
	}
	u.charge(len(out)) // before the work is counted, which it allows
	if err := u.b.do(len(out)); err != nil {
		return nil, err
	}
	if err != nil && u.strict {
		return nil, fmt.Errorf("%w: encoded %s data cut short: %v", ErrOpaque, name, err)
	}
	return out, nil
}

// inflateAt inflates the raw deflate that b may start with (see
// deflateStart) within the budget: what it inflates to, or nil when that
// is less than a value (bytes that only looked like a stream's start).
// A stream read to its end or not, what it held is what a client reads.
//
// A start whose compressed bytes are those of one inflated before, going
// on after them, inflates to the same output: it is not inflated again
// (see bounds.go).
func (u *unpacker) inflateAt(b []byte) (_ []byte, err error) {
	e, err := u.b.remembered(b)
	if err != nil {
		return nil, err
	}
	var out []byte
	switch {
	case e != nil:
		out = e.out
	case u.b.repeatsToEnd(b):
		return nil, nil
	default:
		if err := u.b.do(readerSetup); err != nil {
			return nil, err
		}
		src := bytes.NewReader(b)
		if u.fr == nil {
			u.fr = flate.NewReader(src)
		} else if err := u.fr.(flate.Resetter).Reset(src, nil); err != nil {
			return nil, nil
		}
		out, _ = io.ReadAll(io.LimitReader(u.fr, int64(u.budget)+1))
		read := len(b) - src.Len()
		// The work is counted once what it allows is charged.
		defer func() {
			if err == nil {
				err = u.b.do(len(out) + read)
			}
		}()
		if len(out) <= u.budget {
			u.b.remember(b, read, out)
		}
		if read == len(b) {
			u.b.readToEnd(b)
		}
	}
	if u.over(len(out)) {
		return nil, fmt.Errorf("%w: raw deflate data unpacks to more than the bytes searched", ErrOpaque)
	}
	if len(out) < minInflated {
		return nil, nil
	}
	u.charge(len(out))
	return out, nil
}

// zlibAt readies u.zr to read the zlib stream b starts with (its header
// read): a reader made once per Unpack, not one per header (a body of
// zlib headers repeated made thousands).
func (u *unpacker) zlibAt(b []byte) error {
	if u.zr == nil {
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err == nil {
			u.zr = zr
		}
		return err
	}
	return u.zr.(zlib.Resetter).Reset(bytes.NewReader(b), nil)
}

// zlibCheck reports whether b's first two bytes pass zlib's header check
// without a preset dictionary.
func zlibCheck(b []byte) bool {
	return (uint(b[0])<<8|uint(b[1]))%31 == 0 && b[1]&0x20 == 0
}

// zipMember returns a reader of the deflated member whose local header b
// starts with, nil for a stored one, ErrOpaque for one encrypted or
// compressed otherwise.
func zipMember(b []byte) (io.Reader, error) {
	if len(b) < 30 {
		return nil, nil
	}
	flags := binary.LittleEndian.Uint16(b[6:])
	method := binary.LittleEndian.Uint16(b[8:])
	start := 30 + int(binary.LittleEndian.Uint16(b[26:])) + int(binary.LittleEndian.Uint16(b[28:]))
	switch {
	case flags&1 != 0:
		return nil, fmt.Errorf("%w: an encrypted zip member", ErrOpaque)
	case method == 0:
		return nil, nil
	case method != 8:
		return nil, fmt.Errorf("%w: a zip member compressed with method %d", ErrOpaque, method)
	case start > len(b):
		return nil, nil
	}
	return flate.NewReader(bytes.NewReader(b[start:])), nil
}

// decodeWholeRun decodes run, a whole run of encoded characters, when it
// holds packed data (as a Scanner judges it; raw deflate too when the run
// starts a stretch of encoded characters, whole): the whole run, in the
// encoding that judged it. nil otherwise. The walk, at each offset of a
// run, knows where the run ends: reading it again from each offset took a
// time quadratic in its length.
func decodeWholeRun(run []byte, whole bool) []byte {
	n := len(run)
	if n < minEncoded {
		return nil
	}
	var dec [encodedPrefix]byte
	head := run[:min(n, encodedPrefix)]
	for i := range 3 {
		var d []byte
		switch i {
		case 0:
			d = decodeHex(dec[:], head)
		case 1:
			d = decodeBase64(base64.StdEncoding, dec[:], head)
		default:
			d = decodeBase64(base64.URLEncoding, dec[:], head)
		}
		if len(d) == 0 {
			continue
		}
		packed := Magic(d, true) != "" || len(head) == encodedPrefix && zlibHeader(d)
		if !packed && (!whole || n < minRawRun) {
			continue
		}
		all := decodeAll(i, run)
		if all == nil {
			continue
		}
		if packed || RawDeflate(all[:min(len(all), RawDeflateSniffLen)]) {
			return all
		}
	}
	return nil
}

// encodedRunLen is how many encoded characters b starts with.
func encodedRunLen(b []byte) int {
	n := 0
	for n < len(b) && encodedChar(b[n]) {
		n++
	}
	return n
}

// minRawRun is the shortest run judged as raw deflate: shorter ones are
// words and identifiers.
const minRawRun = 32

// decodeAll decodes run whole: as hex (0), base64 (1) or base64url (2),
// the prefix in whole units, and for base64 the two or three characters
// of a last unit after them: the run ends where its padding ('=', not an
// encoded character) starts, or unpadded. Without them the last bytes of
// every padded base64 went unread: its packed data was cut short.
func decodeAll(enc int, run []byte) []byte {
	dst := make([]byte, len(run))
	switch enc {
	case 0:
		return decodeHex(dst, run)
	case 1:
		return decodeBase64Tail(base64.StdEncoding, base64.RawStdEncoding, dst, run)
	}
	return decodeBase64Tail(base64.URLEncoding, base64.RawURLEncoding, dst, run)
}

// decodeBase64Tail is decodeBase64 of run's whole units, followed by its
// last two or three characters decoded (raw, without padding) when the
// units decoded.
func decodeBase64Tail(enc, raw *base64.Encoding, dst, run []byte) []byte {
	d := decodeBase64(enc, dst, run)
	whole := len(run) &^ 3
	if d == nil || len(d) != whole/4*3 || len(run)-whole < 2 {
		return d
	}
	m, err := raw.Decode(dst[len(d):], run[whole:])
	if err != nil {
		return d
	}
	return dst[:len(d)+m]
}

// printableHeads answers printableHead for every offset of one buffer in
// a walk from its start, each byte tested once: a text body's offsets
// are let go at the cost of one pass, not of the deflate structure test.
type printableHeads struct {
	// next is one past the last offset asked; bad the first byte at or
	// after it that is not printable (or the data's end).
	next, bad int
	// starts holds, once known (started), the offset of the next of each
	// of printableStarts at or after the last offset skip read from (or
	// the data's end); first the least of them.
	starts  [len(printableStarts)]int
	first   int
	started bool
}

// at reports printableHead(data[i:]); i never decreases between calls.
func (h *printableHeads) at(data []byte, i int) bool {
	if h.next == 0 || h.bad < i {
		b := i
		for {
			for b+8 <= len(data) && printable8(binary.LittleEndian.Uint64(data[b:])) {
				b += 8
			}
			if b == len(data) || walkClass[data[b]]&wcPrintable == 0 {
				break
			}
			b++
		}
		h.bad = b
	}
	h.next = i + 1
	return h.bad >= i+min(len(data)-i, 64)
}

// skip returns the first offset of data at or after i where walk may
// find something: a byte that starts a signature or a zlib header, a run
// of encoded characters (after no letter or digit) long enough to be
// decoded (decodeRun, walkStretch), or a head that is not all printable
// (where raw deflate may start). At the offsets it passes over walk's
// tests all fail. It returns the first of those offsets: the heads are
// printable up to a bound known at once, so only a printable start byte
// may come before it (each found by a vector search, and kept until
// passed); a run long enough holds one of every minEncoded offsets, where
// the runs are looked at; a run i falls inside is read whole, its first
// offset after no letter or digit the only one that may start a run long
// enough.
func (h *printableHeads) skip(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	ok := -1 // heads are printable up to this offset
	if h.next != 0 {
		ok = h.printableUpTo(len(data))
	}
	if i > ok {
		if !h.at(data, i) {
			return i
		}
		ok = h.printableUpTo(len(data))
	}
	end := min(len(data), ok+1, h.nextStart(data, i))
	// Each loop below stops at end, or after minEncoded characters: a
	// walk that stops at every byte of a long run reads each once.
	if walkClass[data[i]]&wcEncoded != 0 {
		// The run at i: it may start where i follows no letter or
		// digit, or after a '+', '/', '-' or '_' in it (q).
		q := i
		if i > 0 {
			for q < end && walkClass[data[q]]&wcEncoded != 0 && walkClass[data[q-1]]&wcAlnum != 0 {
				q++
			}
		}
		j := q
		for j < len(data) && j-q < minEncoded && walkClass[data[j]]&wcEncoded != 0 {
			j++
		}
		if j-q >= minEncoded || q >= end {
			return min(q, end)
		}
		i = j // the run's end
	}
	// Every later run starts after a byte that is not encoded (and so no
	// letter or digit), and one of minEncoded characters or more holds
	// one of the offsets looked at.
	for p := i + minEncoded - 1; p-(minEncoded-1) < end && p < len(data); p += minEncoded {
		if walkClass[data[p]]&wcEncoded == 0 {
			continue
		}
		s := p
		for s > i && walkClass[data[s-1]]&wcEncoded != 0 {
			s--
		}
		e := p + 1
		for e < len(data) && e-s < minEncoded && walkClass[data[e]]&wcEncoded != 0 {
			e++
		}
		if e-s >= minEncoded {
			return min(s, end)
		}
	}
	return end
}

// nextStart returns the offset of the first of printableStarts in data at
// or after i, or len(data); i never decreases between calls.
func (h *printableHeads) nextStart(data []byte, i int) int {
	if h.started && h.first >= i {
		return h.first
	}
	first := len(data)
	for k, c := range printableStarts {
		if !h.started || h.starts[k] < i {
			h.starts[k] = len(data)
			if n := bytes.IndexByte(data[i:], c); n >= 0 {
				h.starts[k] = i + n
			}
		}
		first = min(first, h.starts[k])
	}
	h.started, h.first = true, first
	return first
}

// printableUpTo returns the last offset whose head at answers true, of
// data n bytes long, as far as h knows.
func (h *printableHeads) printableUpTo(n int) int {
	if h.bad == n {
		return n
	}
	return h.bad - 64
}

// printableStarts are the printable bytes (printable) that start a
// signature or a zlib header (wcStart); walkClass marks them too.
var printableStarts = [...]byte{'%', '(', '7', 'B', 'M', 'O', 'P', 'R', 'S', 'x'}

// The classes of walkClass.
const (
	wcStart     uint8 = 1 << iota // magicStart, or a zlib header's first byte
	wcEncoded                     // encodedChar
	wcAlnum                       // alnum
	wcPrintable                   // printable
)

// walkClass is what each byte is to skip.
var walkClass = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		if magicStart[b] || b == 0x78 {
			t[c] |= wcStart
		}
		if encodedChar(b) {
			t[c] |= wcEncoded
		}
		if alnum(b) {
			t[c] |= wcAlnum
		}
		if printable(b) {
			t[c] |= wcPrintable
		}
	}
	return t
}()

// printable8 reports whether the eight bytes of x are all printable
// ASCII, tab, LF and CR aside (printable reads those one by one).
func printable8(x uint64) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	// Below 0x80, a byte plus 0x60 has its high bit set from 0x20 on, and
	// one that is not 0x7f, xored with 0x7f, plus 0x7f, too; no sum
	// carries into the next byte.
	return (x|^(x+0x60*ones)|^(x^0x7f*ones+0x7f*ones))&high == 0
}

// printable reports whether c is printable ASCII or tab, LF or CR.
func printable(c byte) bool {
	return c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r'
}

// printableHead reports whether b's first 64 bytes are printable ASCII or
// white space, as compressed data of that length never is: text is not
// inflated to be judged.
func printableHead(b []byte) bool {
	for _, c := range b[:min(len(b), 64)] {
		if !printable(c) {
			return false
		}
	}
	return true
}
