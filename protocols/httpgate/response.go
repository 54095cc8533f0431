package httpgate

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// errUnmaskable is wrapped by every error that stops a response because it
// cannot be masked; the response is then refused (502) or cut.
var errUnmaskable = errors.New("httpgate: response cannot be masked")

// filter masks and records one response.
type filter struct {
	gw  *Gateway
	x   *exchange
	ctx context.Context // the request's; see recordCtx

	info     []byte         // the 1xx responses as sent, until the output opens
	trail    string         // the trailers as sent, for the record
	findings []mask.Finding // what the fields (and a JSON body) gave
	out      *gate.OutputWriter
	mode     gate.OutputMode
	sink     gatedWriter // out's destination
	once     sync.Once
	endErr   error
	unwatch  func() bool  // stops watch, called by end: the response no longer needs watching
	tee      teeBody      // the unmasked body's reader (see teeBody)
	whole    wholeBody    // a body searched whole, sent as it is (see sendUnchanged)
	coding   string       // the one content coding to re-apply, or ""
	trailer  *http.Header // where the trailers arrive, filled at the end of the body
	// trailersMasked: *trailer went through maskTrailers; only then may
	// they be sent.
	trailersMasked bool
	// chunked: the upstream sent the body without a length, streamed.
	chunked bool
	// sniffedText: a body not text by its type passed under a mask as
	// its first bytes read as text (binaryUnderMask); the rest must too.
	sniffedText bool
}

// newFilter returns the filter of x's response, held in x. ctx is the
// request's; what the filter records outlives its cancellation.
func newFilter(gw *Gateway, x *exchange, ctx context.Context) *filter {
	x.filt = filter{gw: gw, x: x, ctx: ctx}
	return &x.filt
}

// recordCtx is the context of what the filter records: the request's,
// without its cancellation, as a response is recorded to its end.
func (f *filter) recordCtx() context.Context { return context.WithoutCancel(f.ctx) }

// atEOF runs once the body ended: the trailers, which follow the body,
// are masked, and the response is recorded. An error means the response
// could not be recorded: the session has ended and the response must be
// cut.
func (f *filter) atEOF() error {
	if f.trailer != nil {
		f.maskTrailers(*f.trailer)
	}
	return f.end()
}

// prepare masks the headers h in place and returns the body to send in
// place of body, with its length (-1 when unknown, streamed). An error
// means the response must not be sent.
func (f *filter) prepare(status int, h http.Header, body io.ReadCloser) (io.ReadCloser, int64, error) {
	p := f.x.policy
	if p == nil {
		if err := f.open(status, h, streamMode(h), io.Discard, 0); err != nil {
			return nil, 0, err
		}
		f.watch()
		return f.teeBody(body), keepLength, nil
	}
	// Trailers are masked when they arrive and sent unannounced.
	delete(h, "Trailer")
	if f.x.method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
		// The validators and length describe the unmasked body.
		dropDerived(h)
		if f.x.method == http.MethodHead {
			delete(h, "Content-Length")
		}
		if err := f.maskFields(h, true); err != nil {
			return nil, 0, err
		}
		if err := f.open(status, h, gate.ForwardThenRecord, io.Discard, 0); err != nil {
			return nil, 0, err
		}
		return f.teeBody(body), keepLength, nil
	}
	if status == http.StatusPartialContent {
		// Ranges of one resource fetched one by one would each hold a
		// part of a value; the gateway asks for whole representations.
		return nil, 0, fmt.Errorf("%w: partial content (206)", errUnmaskable)
	}
	if len(h["Content-Type"]) > 1 {
		return nil, 0, fmt.Errorf("%w: more than one Content-Type", errUnmaskable)
	}
	var mt, label string
	var params map[string]string
	if ct := headerValue(h, "Content-Type"); ct != "" {
		var err error
		mt, params, err = parseMediaType(ct)
		if err != nil {
			// The value is not quoted: it may hold what is being masked.
			return nil, 0, fmt.Errorf("%w: Content-Type of %d bytes does not parse: %w", errUnmaskable, len(ct), err)
		}
		label = params["charset"]
	}
	if strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") {
		// Parts carry their own charsets and transfer encodings
		// (base64, quoted-printable) that the client decodes.
		return nil, 0, fmt.Errorf("%w: %s bodies are not masked part by part", errUnmaskable, mt)
	}
	codings, err := contentCodings(h["Content-Encoding"])
	if err != nil {
		return nil, 0, err
	}
	// Re-encode only a single coding, for a client that accepts it; serve
	// others the decoded body.
	if len(codings) == 1 && acceptsCoding(f.x.accept, codings[0]) {
		f.coding = codings[0]
	} else {
		delete(h, "Content-Encoding")
	}
	text := textual(mt) || label != ""
	sse := mt == "text/event-stream"
	lines := lineJSON(mt)
	isJSON := !lines && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
	// A streamed body of a packed type (a download, not an event stream)
	// is searched whole too: it cannot be searched streamed (packed.go).
	if f.x.secretsOnly && !sse && !lines && mt != "" && searchedCodings(codings) && (!f.chunked && declaredWithin(h, wholeLimit(mt)) || f.chunked && packed.Type(mt)) {
		sent, n, rest, err := f.searchWhole(status, h, body, codings, mt, params, text, isJSON)
		if err != nil || sent != nil {
			return sent, n, err
		}
		body = rest
	}
	// Streamed bodies other than event streams are opened here, to read
	// the charset from their first bytes; any other type is still read
	// as text when it starts with a byte order mark (a UTF-16 CSV served
	// as application/vnd.ms-excel).
	var src io.Reader
	if !sse && !isJSON {
		if src, text, err = f.textSource(body, codings, mt, label, text); err != nil {
			return nil, 0, err
		}
	}
	if text && mt != "" {
		ct, err := utf8ContentType(mt, params)
		if err != nil {
			return nil, 0, err
		}
		h["Content-Type"] = []string{ct}
	}
	if err := f.maskFields(h, true); err != nil {
		return nil, 0, err
	}
	if !isJSON {
		// A JSON body keeps them when masking left it as it was.
		dropDerived(h)
	}
	switch {
	case sse:
		// An event stream is UTF-8 to EventSource whatever it declares;
		// a declared charset is honoured for other clients. Nothing is
		// read here so that an idle stream still gets its headers.
		var enc encoding.Encoding
		if label != "" {
			if enc, err = lookupCharset(label); err != nil {
				return nil, 0, err
			}
		}
		delete(h, "Content-Length")
		open := func() (io.Reader, error) {
			r, err := decodeContent(body, codings)
			if err != nil || enc == nil {
				return r, err
			}
			return transform.NewReader(r, enc.NewDecoder()), nil
		}
		// Nothing of a stream reaches the client before it is recorded.
		sb, err := f.streamBody(status, h, gate.RecordThenForward, body, open, true, &sseMasker{p: p, max: f.gw.cfg.MaxEventBytes})
		return sb, -1, err
	case isJSON:
		b, err := f.jsonBody(status, h, body, codings, mt, label)
		if err != nil {
			return nil, 0, err
		}
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	default:
		delete(h, "Content-Length")
		var m streamMasker = &writerMasker{p: p}
		if lines {
			m = &lineMasker{sseMasker{p: p, max: f.gw.cfg.MaxEventBytes}}
		}
		sb, err := f.streamBody(status, h, gate.ForwardThenRecord, body, func() (io.Reader, error) { return src, nil }, text, m)
		return sb, -1, err
	}
}

// textSource decodes the content codings of a body, reads its first bytes
// to find its charset and returns a reader of its text as UTF-8, and
// whether it is text. A body of a type that is not textual is text when
// it starts with a byte order mark; one without a Content-Type when
// http.DetectContentType, which the server applies to what is sent, calls
// it text.
func (f *filter) textSource(body io.Reader, codings []string, mt, label string, text bool) (io.Reader, bool, error) {
	r, err := decodeContent(body, codings)
	if err != nil {
		return nil, false, err
	}
	br := bufio.NewReaderSize(r, 4096)
	n := max(sniffLen(mt, label != ""), packed.SniffLen) // see refusePacked
	if !text {
		n = max(n, wideSniffLen) // see wideText
		if !f.x.secretsOnly {
			n = max(n, 512) // see binaryUnderMask
		}
	}
	if mt == "" {
		n = 512
	}
	head, perr := br.Peek(n)
	if perr != nil && perr != io.EOF {
		return nil, false, fmt.Errorf("%w: reading the body: %w", errUnmaskable, perr)
	}
	if mt == "" && label == "" {
		text = strings.HasPrefix(http.DetectContentType(head), "text/")
	}
	// A body whose bytes pack its values is refused (see packed.go); its
	// type is judged below, once a byte order mark or wide text has not
	// made it text.
	if err := refusePacked("", head, text); err != nil {
		return nil, false, err
	}
	var enc encoding.Encoding
	skip := 0
	if text {
		if enc, skip, err = sourceCharset(mt, label, head); err != nil {
			return nil, false, err
		}
	} else if enc, skip = bomCharset(head); skip == 0 {
		if enc = wideText(head); enc == nil {
			if packed.Type(mt) && !strings.HasPrefix(http.DetectContentType(head), "text/") {
				// Not text after all: packed by its type (see packed.go).
				// A CSV served as application/vnd.ms-excel is text.
				return nil, false, refusePacked(mt, nil, false)
			}
			// Raw deflate has no signature: read it by inflating.
			if more, _ := br.Peek(packed.RawDeflateSniffLen); packed.RawDeflate(more) {
				return nil, false, fmt.Errorf("%w: the body is raw deflate data, which holds values the masker cannot read", errUnmaskable)
			}
			if !f.x.secretsOnly {
				if f.sniffedText, err = binaryUnderMask(head); err != nil {
					return nil, false, err
				}
				if !f.sniffedText {
					// Media, by its first bytes: it must be media to its
					// end (media.go).
					b, err := readMedia(br, f.gw.cfg.MaxResponseBytes)
					if err != nil {
						return nil, false, err
					}
					if b, err = judgeMedia(b, f.x.policy); err != nil {
						return nil, false, err
					}
					return bytes.NewReader(b), false, nil
				}
			}
			return br, false, nil
		}
	}
	_, _ = br.Discard(skip)
	if enc == nil {
		return br, true, nil
	}
	return transform.NewReader(br, enc.NewDecoder()), true, nil
}

// errNUL stops a textual body holding a NUL byte: terminals and many
// renderers drop it, so 4\x001\x00... reads as a number the detectors
// never saw.
var errNUL = fmt.Errorf("%w: NUL byte in a textual body", errUnmaskable)

// errBinaryInText stops a body read as text where it holds a byte no
// text holds: one that passed under a mask as text by its first bytes
// (binaryUnderMask), JSON lines, a body of a JSON type that is not JSON.
// Binary numbers (a protobuf varint) are read by no detector.
var errBinaryInText = fmt.Errorf("%w: binary data in a body read as text", errUnmaskable)

// jsonBody masks a whole JSON body, keeping its encoding when the client
// accepts it, and records it before it is sent: a response that cannot be
// recorded is not sent (and the session has ended).
func (f *filter) jsonBody(status int, h http.Header, body io.ReadCloser, codings []string, mt, label string) ([]byte, error) {
	defer body.Close()
	limit := f.gw.cfg.MaxResponseBytes
	r, err := decodeContent(body, codings)
	if err != nil {
		return nil, err
	}
	doc, err := readAllSized(r, limit, sizeHint(h, codings))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %w", errUnmaskable, err)
	}
	if int64(len(doc)) > limit {
		return nil, fmt.Errorf("%w: JSON body above %d bytes", errUnmaskable, limit)
	}
	drain(body)
	enc, skip, err := sourceCharset(mt, label, doc)
	if err != nil {
		return nil, err
	}
	doc = doc[skip:]
	if enc != nil {
		if doc, err = enc.NewDecoder().Bytes(doc); err != nil {
			return nil, fmt.Errorf("%w: charset: %w", errUnmaskable, err)
		}
	}
	if bytes.IndexByte(doc, 0) >= 0 {
		return nil, errNUL
	}
	if err := refuseEncoded(packed.Encoded(doc)); err != nil {
		return nil, err
	}
	if err := refuseEmbedded(packed.EmbeddedIn(doc, true)); err != nil {
		return nil, err
	}
	// Binary data in JSON strings as characters up to U+00FF (escaped
	// or not), which a client encodes back to bytes.
	if l := packed.Latin1(unescapeJSON(doc)); l != nil {
		if err := refuseEmbedded(packed.EmbeddedIn(l, false)); err != nil {
			return nil, err
		}
		if packed.Binary(l) {
			// Raw deflate may start anywhere in binary data.
			return nil, errBinaryInText
		}
	}
	// Trailers are not sent: the body goes with a Content-Length.
	p := f.x.policy
	out, fs, err := p.JSON(doc)
	if errors.Is(err, mask.ErrInput) && packed.Binary(doc) {
		// Not JSON, nor text: binary data under a JSON type.
		return nil, errBinaryInText
	}
	if errors.Is(err, mask.ErrInput) {
		// Not one JSON text after all: mask it as text, whole (a PEM
		// block spans lines) and line by line, following values split
		// across lines.
		var s string
		if s, fs, err = p.Value("", string(doc)); err == nil {
			var lfs []mask.Finding
			out, lfs, err = maskLines(p, []byte(s), max(f.gw.cfg.MaxEventBytes, int64(len(s))))
			fs = mask.MergeFindings(fs, lfs)
		}
	}
	if err == nil && (f.chunked || len(out) <= maxFollowedDoc) {
		// A streamed array is most often one of deltas; a client may
		// join the strings of a small document too (chunks in an
		// array, a value cut across fields).
		var afs []mask.Finding
		out, afs, err = followArray(p, out)
		fs = mask.MergeFindings(fs, afs)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnmaskable, err)
	}
	if !f.x.secretsOnly {
		// Under a rule's mask, the masked JSON read as protobuf fields
		// and for base85 text (protofields.go), its strings unescaped
		// too (a field's tag '"' is escaped), and each string alone for
		// base85 text (base85.go).
		texts := [][]byte{out}
		if bytes.IndexByte(out, '\\') >= 0 {
			texts = append(texts, unescapeJSON(out))
		}
		if err := checkProtoFields(p, texts...); err != nil {
			return nil, err
		}
		if err := refuseBase85Strings(p, out); err != nil {
			return nil, err
		}
	}
	f.findings = mask.MergeFindings(f.findings, fs)
	if enc != nil || !bytes.Equal(out, doc) {
		dropDerived(h)
	}
	sent := out
	if f.coding != "" {
		var buf bytes.Buffer
		ew := encoder(&buf, f.coding)
		_, _ = ew.Write(out)
		if err := ew.Close(); err != nil {
			return nil, fmt.Errorf("%w: re-encoding: %w", errUnmaskable, err)
		}
		sent = buf.Bytes()
	}
	h["Content-Length"] = []string{strconv.Itoa(len(sent))}
	// The record keeps the body decoded, as the client reads it.
	if err := f.open(status, h, gate.ForwardThenRecord, io.Discard, len(out)); err != nil {
		return nil, err
	}
	if _, err := f.out.Write(out); err != nil {
		_ = f.end()
		return nil, fmt.Errorf("%w: the response could not be recorded: %w", errUnmaskable, err)
	}
	if err := f.end(); err != nil {
		return nil, err
	}
	return sent, nil
}

// maxSizeHint bounds the buffer a declared Content-Length reserves before
// anything is read: the upstream may declare more than it sends.
const maxSizeHint = 1 << 20

// sizeHint is the length of a body as its Content-Length declares it,
// when it is not content-coded, within maxSizeHint; 0 when unknown.
func sizeHint(h http.Header, codings []string) int {
	if len(codings) > 0 {
		return 0
	}
	n, err := strconv.ParseInt(headerValue(h, "Content-Length"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return int(min(n, maxSizeHint))
}

// readAllSized reads r to its end, at most limit+1 bytes (the caller
// refuses more than limit), into a buffer reserved for hint bytes: a body
// of the declared length is read without growing it.
func readAllSized(r io.Reader, limit int64, hint int) ([]byte, error) {
	b := make([]byte, 0, min(int64(max(hint, bytes.MinRead)), limit)+1)
	for int64(len(b)) <= limit {
		if len(b) == cap(b) {
			b = slices.Grow(b, int(min(int64(cap(b)), limit+1-int64(len(b)))))
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit+1)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// drain reads what is left of the upstream body after the decoded content
// ended (a zlib stream stops at its checksum), so that the transport gets
// to the trailers. What it reads is never sent.
func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
}

// maxCodings bounds a stack of content codings.
const maxCodings = 4

// contentCodings returns the content codings of a response in the order
// they were applied, identity left out. A coding without a decoder, or a
// stack deeper than maxCodings, fails closed.
func contentCodings(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for _, c := range strings.Split(v, ",") {
			switch c = strings.ToLower(strings.TrimSpace(c)); c {
			case "", "identity":
			case "gzip", "x-gzip":
				out = append(out, "gzip")
			case "deflate":
				out = append(out, "deflate")
			default:
				return nil, fmt.Errorf("%w: Content-Encoding %.32q has no decoder", errUnmaskable, c)
			}
		}
	}
	if len(out) > maxCodings {
		return nil, fmt.Errorf("%w: %d stacked content codings", errUnmaskable, len(out))
	}
	return out, nil
}

// decodeContent returns a reader of the body with its content codings
// removed, the last applied first.
func decodeContent(r io.Reader, codings []string) (io.Reader, error) {
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		if r, err = decoder(r, codings[i]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// decoder returns a reader of r decoded from one coding. "deflate" is
// zlib-wrapped by the standard, raw DEFLATE from some servers; clients
// accept both, and so does the gateway.
func decoder(r io.Reader, enc string) (io.Reader, error) {
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", errUnmaskable, err)
		}
		return zr, nil
	case "deflate":
		br := bufio.NewReader(r)
		if h, _ := br.Peek(2); len(h) == 2 && h[0]&0x0F == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("%w: deflate: %w", errUnmaskable, err)
			}
			return zr, nil
		}
		return flate.NewReader(br), nil
	}
	return r, nil
}

// flushCloser is an encoder that can push out what it has so far.
type flushCloser interface {
	io.WriteCloser
	Flush() error
}

// encoder returns a writer that applies one coding.
func encoder(w io.Writer, enc string) flushCloser {
	if enc == "deflate" {
		return zlib.NewWriter(w)
	}
	return gzip.NewWriter(w)
}

// streamMasker masks a stream written to it into out.
type streamMasker interface {
	start(out io.Writer)
	io.Writer
	Close() error
	Findings() []mask.Finding
}

// writerMasker is the mask package's stream masker.
type writerMasker struct {
	p *mask.Policy
	*mask.Writer
}

func (m *writerMasker) start(out io.Writer) { m.Writer = m.p.NewWriter(out) }

// streamBody returns a reader that decodes, masks and re-encodes body as
// the client reads it, so that streams flow while masked. open returns the
// decoded body; it runs on the first Read so that no read blocks prepare.
// text marks a textual body, in which a NUL byte fails closed. The masked
// text goes through the response's output writer (recorded under mode)
// before it is re-encoded; an error means the head could not be recorded.
func (f *filter) streamBody(status int, h http.Header, mode gate.OutputMode, body io.ReadCloser, open func() (io.Reader, error), text bool, m streamMasker) (io.ReadCloser, error) {
	sb := &streamed{f: f, raw: body, open: open, text: text, m: m, scan: &packed.Scanner{}, embed: &packed.Embedded{Text: text}}
	// JSON lines hold no control byte raw; neither does a body that
	// passed under a mask as text by its first bytes alone.
	// Under a rule's mask, neither does a text body: a protobuf's tags
	// and lengths, a binary number, are bytes no detector reads (a card
	// number as a varint, a string glued to its length).
	_, isLines := m.(*lineMasker)
	sb.ctl = f.sniffedText || isLines || text && !f.x.secretsOnly
	if text {
		// Binary data as characters up to U+00FF (a Latin-1 body with
		// a gzip stream in it, decoded to UTF-8), which a client
		// encodes back to bytes.
		sb.latin = &packed.Embedded{}
		sb.latinW = &packed.Latin1Writer{W: sb.latin}
	}
	var sink io.Writer = &sb.out
	if f.coding != "" {
		sb.ew = encoder(&sb.out, f.coding)
		sink = sb.ew
	}
	if err := f.open(status, h, mode, sink, 0); err != nil {
		body.Close()
		return nil, err
	}
	if sb.ctl && !f.x.secretsOnly && f.x.policy != nil {
		// Text under a rule's mask is also read as protobuf fields
		// (protofields.go).
		_, isSSE := m.(*sseMasker)
		sb.proto = &protoWatch{p: f.x.policy, w: f.out, lines: isLines || isSSE}
		// The data a client joins across events and lines is read so
		// too (splitreadings.go).
		switch x := m.(type) {
		case *sseMasker:
			x.readings = true
		case *lineMasker:
			x.readings = true
		}
		m.start(sb.proto)
	} else {
		m.start(f.out)
	}
	f.watch()
	return sb, nil
}

// streamed is the pull side of streamBody.
type streamed struct {
	f    *filter
	raw  io.ReadCloser
	open func() (io.Reader, error)
	src  io.Reader // decoded, from open
	text bool
	m    streamMasker
	ew   flushCloser
	out  bytes.Buffer
	buf  []byte // lent by copyBufs while the stream is read
	eof  bool
	err  error
	// scan finds packed data encoded in the body, embed packed data
	// anywhere in its bytes (see packed.go).
	scan  *packed.Scanner
	embed *packed.Embedded
	// ctl: a byte that makes data binary (packed.Binary) stops the body.
	ctl bool
	// latin finds packed data in a text body read as ISO 8859-1, written
	// through latinW (nil for a binary body).
	latin  *packed.Embedded
	latinW *packed.Latin1Writer
	// proto judges the masked text as protobuf fields before it is
	// sent, or nil.
	proto *protoWatch
}

func (s *streamed) Read(p []byte) (int, error) {
	for s.out.Len() == 0 && !s.eof && s.err == nil {
		s.fill()
	}
	if s.out.Len() > 0 {
		return s.out.Read(p)
	}
	if s.err != nil {
		return 0, s.err
	}
	return 0, io.EOF
}

func (s *streamed) fill() {
	if s.buf == nil {
		s.buf = copyBufs.Get()
	}
	defer s.releaseBuf()
	if s.src == nil {
		src, err := s.open()
		if err != nil {
			s.fail(err)
			return
		}
		s.src = src
	}
	n, rerr := s.src.Read(s.buf)
	if n > 0 {
		if s.text && bytes.IndexByte(s.buf[:n], 0) >= 0 {
			s.fail(errNUL)
			return
		}
		if s.ctl && packed.Binary(s.buf[:n]) {
			s.fail(errBinaryInText)
			return
		}
		_, _ = s.scan.Write(s.buf[:n])
		_, _ = s.embed.Write(s.buf[:n])
		if s.latin != nil {
			_, _ = s.latinW.Write(s.buf[:n])
		}
		if err := errors.Join(refuseEncoded(s.scan.Found()), refuseEmbedded(s.embed.Found()), s.latinFound()); err != nil {
			s.fail(err)
			return
		}
		if _, err := s.m.Write(s.buf[:n]); err != nil {
			s.fail(fmt.Errorf("%w: %w", errUnmaskable, err))
			return
		}
		if s.ew != nil {
			if err := s.ew.Flush(); err != nil {
				s.fail(err)
				return
			}
		}
	}
	switch {
	case rerr == io.EOF:
		_ = s.scan.Close()
		_ = s.embed.Close()
		if s.latin != nil {
			_ = s.latin.Close()
		}
		if err := errors.Join(refuseEncoded(s.scan.Found()), refuseEmbedded(s.embed.Found()), s.latinFound()); err != nil {
			s.fail(err)
			return
		}
		if err := s.m.Close(); err != nil {
			s.fail(fmt.Errorf("%w: %w", errUnmaskable, err))
			return
		}
		if s.proto != nil {
			if err := s.proto.Close(); err != nil {
				s.fail(err)
				return
			}
		}
		if s.ew != nil {
			if err := s.ew.Close(); err != nil {
				s.fail(err)
				return
			}
		}
		drain(s.raw)
		s.eof = true
		s.f.findings = mask.MergeFindings(s.f.findings, s.m.Findings())
		if err := s.f.atEOF(); err != nil {
			// Not recorded: what is still held is not sent, and the
			// response is cut.
			s.err = err
			s.out.Reset()
		}
	case rerr != nil:
		s.fail(fmt.Errorf("%w: reading the body: %w", errUnmaskable, rerr))
	}
}

// latinFound refuses a text body that, read as ISO 8859-1, holds packed
// data; nil otherwise.
func (s *streamed) latinFound() error {
	if s.latin == nil {
		return nil
	}
	return refuseEmbedded(s.latin.Found())
}

// releaseBuf hands the read buffer back once the stream is over: fill is
// not called again after its end or an error.
func (s *streamed) releaseBuf() {
	if s.eof || s.err != nil {
		copyBufs.Put(s.buf)
		s.buf = nil
	}
}

// fail stops the stream: what is held back is dropped, never sent. The
// response is then aborted, trailers and all.
func (s *streamed) fail(err error) {
	s.err = err
	s.out.Reset()
	conn := s.f.x.conn
	s.f.gw.log.Error("response stream stopped", "session", conn.Session().ID, "decision", s.f.x.d.ID, "error", err)
	_ = conn.Record(s.f.recordCtx(), gate.Event{Kind: gate.EventError, Error: err.Error()})
	s.f.findings = mask.MergeFindings(s.f.findings, s.m.Findings())
	_ = s.f.end()
}

func (s *streamed) Close() error {
	err := s.raw.Close()
	if !s.eof && s.err == nil {
		// The client went away before the end: record what it received.
		s.f.findings = mask.MergeFindings(s.f.findings, s.m.Findings())
		_ = s.f.end()
	}
	return err
}

// teeBody returns the filter's teeBody (held in it) of body.
func (f *filter) teeBody(body io.ReadCloser) *teeBody {
	f.tee = teeBody{src: body, f: f}
	return &f.tee
}

// teeBody passes an unmasked body through the response's output writer,
// which records it: a chunk the writer refuses (the session ended, or in
// RecordThenForward mode it could not be recorded) is not passed on, and
// neither is the end of a body that could not be recorded.
type teeBody struct {
	src io.ReadCloser
	f   *filter
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.src.Read(p)
	if n > 0 {
		if _, werr := t.f.out.Write(p[:n]); werr != nil {
			_ = t.f.end()
			return 0, werr
		}
	}
	if err == io.EOF {
		if eerr := t.f.atEOF(); eerr != nil {
			return 0, eerr
		}
	}
	return n, err
}

func (t *teeBody) Close() error {
	err := t.src.Close()
	_ = t.f.end()
	return err
}
