package httpgate

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// errUnmaskable is wrapped by every error that stops a response because it
// cannot be masked; the response is then refused (502) or cut.
var errUnmaskable = errors.New("httpgate: response cannot be masked")

// headersNotMasked are structural response headers the masker leaves alone.
var headersNotMasked = map[string]bool{
	"Content-Length": true, "Content-Encoding": true, "Transfer-Encoding": true,
	"Content-Type": true, "Date": true, "Trailer": true,
}

// filter masks and records one response.
type filter struct {
	gw  *Gateway
	x   *exchange
	ctx context.Context

	head     []byte // the status line and headers as sent, for the record
	cap      capture
	findings []mask.Finding
	once     sync.Once
	reencode bool // the body is decoded for masking and encoded again
}

func newFilter(gw *Gateway, x *exchange, ctx context.Context) *filter {
	return &filter{gw: gw, x: x, ctx: context.WithoutCancel(ctx), cap: capture{limit: gw.cfg.RecordBytes}}
}

// prepare masks the headers h in place and returns the body to send in
// place of body, with its length (-1 when unknown, streamed). An error
// means the response must not be sent.
func (f *filter) prepare(status int, h http.Header, body io.ReadCloser) (io.ReadCloser, int64, error) {
	p := f.x.policy
	if p == nil {
		f.head = renderHead(status, h)
		return &teeBody{src: body, f: f}, keepLength, nil
	}
	if err := f.maskHeaders(h); err != nil {
		return nil, 0, err
	}
	h.Del("Trailer")
	if f.x.method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
		f.head = renderHead(status, h)
		return &teeBody{src: body, f: f}, keepLength, nil
	}
	encs := h.Values("Content-Encoding")
	if len(encs) > 1 {
		return nil, 0, fmt.Errorf("%w: more than one Content-Encoding", errUnmaskable)
	}
	enc := ""
	if len(encs) == 1 {
		enc = strings.ToLower(strings.TrimSpace(encs[0]))
	}
	switch enc {
	case "", "identity", "gzip", "x-gzip", "deflate":
	default:
		return nil, 0, fmt.Errorf("%w: Content-Encoding %q has no decoder", errUnmaskable, enc)
	}
	// Re-encode only for a client that accepts the coding; serve others
	// the decoded body.
	if enc != "" && enc != "identity" {
		f.reencode = acceptsCoding(f.x.accept, enc)
		if !f.reencode {
			h.Del("Content-Encoding")
		}
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case mt == "text/event-stream":
		h.Del("Content-Length")
		f.head = renderHead(status, h)
		return f.streamBody(body, enc, &sseMasker{p: p, max: f.gw.cfg.MaxEventBytes}), -1, nil
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		b, err := f.jsonBody(status, h, body, enc)
		if err != nil {
			return nil, 0, err
		}
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	default:
		h.Del("Content-Length")
		f.head = renderHead(status, h)
		return f.streamBody(body, enc, &writerMasker{p: p}), -1, nil
	}
}

func (f *filter) maskHeaders(h http.Header) error {
	p := f.x.policy
	for k, vals := range h {
		if headersNotMasked[k] {
			continue
		}
		for i, v := range vals {
			mv, fs, err := p.Value(strings.ToLower(k), v)
			if err != nil {
				return fmt.Errorf("%w: header %s: %w", errUnmaskable, k, err)
			}
			vals[i] = mv
			f.findings = mask.MergeFindings(f.findings, fs)
		}
	}
	return nil
}

// jsonBody masks a whole JSON body, keeping its encoding when the client
// accepts it, and records it
// before it is sent: a response that cannot be recorded is not sent.
func (f *filter) jsonBody(status int, h http.Header, body io.ReadCloser, enc string) ([]byte, error) {
	defer body.Close()
	limit := f.gw.cfg.MaxResponseBytes
	r, err := decoder(body, enc)
	if err != nil {
		return nil, err
	}
	doc, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %w", errUnmaskable, err)
	}
	if int64(len(doc)) > limit {
		return nil, fmt.Errorf("%w: JSON body above %d bytes", errUnmaskable, limit)
	}
	p := f.x.policy
	out, fs, err := p.JSON(doc)
	if errors.Is(err, mask.ErrInput) {
		// Not valid JSON after all: mask it as text.
		var s string
		s, fs, err = p.Value("", string(doc))
		out = []byte(s)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnmaskable, err)
	}
	f.findings = mask.MergeFindings(f.findings, fs)
	_, _ = f.cap.Write(out)
	sent := out
	if f.reencode {
		var buf bytes.Buffer
		ew := encoder(&buf, enc)
		_, _ = ew.Write(out)
		if err := ew.Close(); err != nil {
			return nil, fmt.Errorf("%w: re-encoding: %w", errUnmaskable, err)
		}
		sent = buf.Bytes()
	}
	h.Set("Content-Length", strconv.Itoa(len(sent)))
	f.head = renderHead(status, h)
	if err := f.record(); err != nil {
		return nil, fmt.Errorf("%w: the response could not be recorded: %w", errUnmaskable, err)
	}
	return sent, nil
}

// decoder returns a reader of the decoded body. enc is one prepare accepts.
func decoder(r io.Reader, enc string) (io.Reader, error) {
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", errUnmaskable, err)
		}
		return zr, nil
	case "deflate":
		zr, err := zlib.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: deflate: %w", errUnmaskable, err)
		}
		return zr, nil
	}
	return r, nil
}

// flushCloser is an encoder that can push out what it has so far.
type flushCloser interface {
	io.WriteCloser
	Flush() error
}

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
// the client reads it, so that streams flow while masked.
func (f *filter) streamBody(body io.ReadCloser, enc string, m streamMasker) io.ReadCloser {
	sb := &streamed{f: f, raw: body, enc: enc, m: m, buf: make([]byte, 32<<10)}
	var sink io.Writer = &sb.out
	if f.reencode {
		sb.ew = encoder(&sb.out, enc)
		sink = sb.ew
	}
	m.start(io.MultiWriter(&f.cap, sink))
	return sb
}

// streamed is the pull side of streamBody.
type streamed struct {
	f   *filter
	raw io.ReadCloser
	enc string
	src io.Reader // decoded; opened on first Read so that no read blocks prepare
	m   streamMasker
	ew  flushCloser
	out bytes.Buffer
	buf []byte
	eof bool
	err error
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
	if s.src == nil {
		src, err := decoder(s.raw, s.enc)
		if err != nil {
			s.fail(err)
			return
		}
		s.src = src
	}
	n, rerr := s.src.Read(s.buf)
	if n > 0 {
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
		if err := s.m.Close(); err != nil {
			s.fail(fmt.Errorf("%w: %w", errUnmaskable, err))
			return
		}
		if s.ew != nil {
			if err := s.ew.Close(); err != nil {
				s.fail(err)
				return
			}
		}
		s.eof = true
		s.f.findings = mask.MergeFindings(s.f.findings, s.m.Findings())
		_ = s.f.record()
	case rerr != nil:
		s.fail(fmt.Errorf("%w: reading the body: %w", errUnmaskable, rerr))
	}
}

// fail stops the stream: what is held back is dropped, never sent.
func (s *streamed) fail(err error) {
	s.err = err
	s.out.Reset()
	s.f.gw.log.Error("response stream stopped", "session", s.f.x.s.ID, "decision", s.f.x.d.ID, "error", err)
	_ = s.f.gw.g.RecordEvent(s.f.ctx, s.f.x.s, gate.Event{Kind: gate.EventError, Error: err.Error()})
	s.f.findings = mask.MergeFindings(s.f.findings, s.m.Findings())
	_ = s.f.record()
}

func (s *streamed) Close() error {
	err := s.raw.Close()
	if !s.eof && s.err == nil {
		// The client went away before the end: record what it received.
		s.f.findings = mask.MergeFindings(s.f.findings, s.m.Findings())
		_ = s.f.record()
	}
	return err
}

// teeBody passes an unmasked body through, capturing it for the record.
type teeBody struct {
	src io.ReadCloser
	f   *filter
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.src.Read(p)
	if n > 0 {
		_, _ = t.f.cap.Write(p[:n])
	}
	if err == io.EOF {
		_ = t.f.record()
	}
	return n, err
}

func (t *teeBody) Close() error {
	err := t.src.Close()
	_ = t.f.record()
	return err
}

// capture keeps the first limit bytes written to it and counts the rest.
type capture struct {
	buf   []byte
	limit int
	total int64
}

func (c *capture) Write(p []byte) (int, error) {
	c.total += int64(len(p))
	if room := c.limit - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// record stores the response as the client received it (masked), once.
func (f *filter) record() error {
	var err error
	f.once.Do(func() {
		data := make([]byte, 0, len(f.head)+len(f.cap.buf))
		data = append(append(data, f.head...), f.cap.buf...)
		err = f.gw.g.RecordOutput(f.ctx, f.x.s, gate.Output{
			DecisionID: f.x.d.ID, Stream: "response", Data: data,
			Findings: gateFindings(f.findings), Truncated: f.cap.total > int64(len(f.cap.buf)), Final: true,
		})
		if err != nil {
			f.gw.log.Error("cannot record response", "session", f.x.s.ID, "decision", f.x.d.ID, "error", err)
		}
	})
	return err
}

func gateFindings(fs []mask.Finding) []gate.Finding {
	if len(fs) == 0 {
		return nil
	}
	out := make([]gate.Finding, len(fs))
	for i, x := range fs {
		out[i] = gate.Finding{Detector: x.Detector, Field: x.Field, Count: x.Count}
	}
	return out
}

// renderHead renders the status line and headers as the record keeps them.
// Cookies the upstream sets are sessions of their own: the record keeps
// their names, not their values.
func renderHead(status int, h http.Header) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = h.WriteSubset(&b, map[string]bool{"Set-Cookie": true})
	for _, c := range h.Values("Set-Cookie") {
		name, _, _ := strings.Cut(c, "=")
		fmt.Fprintf(&b, "Set-Cookie: %s=[REDACTED]\r\n", strings.TrimSpace(name))
	}
	b.WriteString("\r\n")
	return b.Bytes()
}
