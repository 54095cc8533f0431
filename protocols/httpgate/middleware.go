package httpgate

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Middleware gates next: every request is identified, modelled, checked
// and recorded before next sees it, and next's response is masked and
// recorded before the client sees it. next receives the canonical request
// (see the package doc) and finds its session with gate.SessionFrom (and
// the session handle with gate.ConnFrom).
// Its use as func(http.Handler) http.Handler is gw.Middleware.
//
// The ResponseWriter next gets supports Flush but not Hijack: a hijacked
// connection would bypass masking.
//
// The client's forwarding headers (X-Forwarded-*, Forwarded, X-Real-IP,
// ...: see forwarding.go) are removed before the request is modelled, as
// the proxy removes them: a handler that trusts the proxies in front of
// its server (chi's RealIP, Gin's ClientIP, Rails' remote_ip) would take
// them for a proxy's word. The handler finds the client's address in
// r.RemoteAddr.
func (gw *Gateway) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dropForwarding(r.Header)
		x := gw.admit(w, r, gw.cfg.Target)
		if x == nil {
			return
		}
		defer x.release()
		r.Header.Del("Accept-Charset")
		if x.policy != nil {
			// A masked response is masked whole (see Proxy).
			for _, k := range conditionalFields {
				r.Header.Del(k)
			}
		}
		ctx, cancel := context.WithCancel(x.conn.Context(r.Context()))
		defer cancel()
		x.cancel = cancel
		r = r.WithContext(ctx)
		mw := &maskingWriter{rw: w, f: newFilter(gw, x, r.Context()), h: http.Header{}}
		defer mw.finish()
		next.ServeHTTP(mw, r)
	})
}

var (
	errHandlerPanicked = errors.New("httpgate: handler panicked")
	errResponseRefused = errors.New("httpgate: the response was refused: it could not be masked or recorded")
)

// maskingWriter collects the handler's response and passes it through the
// filter: headers when the handler writes them, the body through a pipe
// read by a goroutine that writes the masked result to the client.
type maskingWriter struct {
	rw          http.ResponseWriter
	f           *filter
	h           http.Header
	wroteHeader bool
	pw          *io.PipeWriter
	done        chan struct{}
	ended       bool
	abort       bool // set when the body failed mid-stream, or its record
	direct      bool // no masking: write through the output writer
	refused     bool // direct: the head could not be recorded, a 502 went instead
	client      clientSink
	announced   []string
}

func (m *maskingWriter) Header() http.Header { return m.h }

func (m *maskingWriter) WriteHeader(code int) {
	if m.wroteHeader || code < 100 || code == http.StatusSwitchingProtocols {
		return
	}
	if code < 200 {
		m.informational(code)
		return
	}
	m.wroteHeader = true
	for _, v := range m.h.Values("Trailer") {
		for _, k := range strings.Split(v, ",") {
			if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" {
				m.announced = append(m.announced, k)
			}
		}
	}
	if m.f.x.policy == nil {
		m.direct = true
		sent := m.rw.Header().Clone()
		for k, v := range m.h {
			sent[k] = v
		}
		m.client.w = m.rw
		if err := m.f.open(code, sent, streamMode(sent), &m.client, 0); err != nil {
			m.refused = true
			m.f.gw.log.Error("response refused", "session", m.f.x.conn.Session().ID, "decision", m.f.x.d.ID, "error", err)
			writeProblem(m.rw, unrecordedProblem(m.f.x.d))
			return
		}
		dst := m.rw.Header()
		for k, v := range m.h {
			dst[k] = v
		}
		m.f.watch()
		m.rw.WriteHeader(code)
		return
	}
	pr, pw := io.Pipe()
	m.pw, m.done = pw, make(chan struct{})
	h := m.h.Clone()
	go m.pump(code, h, pr)
}

// informational sends a 1xx response with the handler's headers, masked
// like the final ones.
func (m *maskingWriter) informational(code int) {
	h := m.h.Clone()
	if !m.f.informational(code, h) {
		return
	}
	dst := m.rw.Header()
	for k, v := range h {
		dst[k] = v
	}
	m.rw.WriteHeader(code)
	clear(dst)
}

// trailers collects what the handler set as trailers: values of the
// names it announced, and names with http.TrailerPrefix.
func (m *maskingWriter) trailers() http.Header {
	t := http.Header{}
	for _, k := range m.announced {
		if v, ok := m.h[k]; ok {
			t[k] = v
		}
	}
	for k, v := range m.h {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			t[http.CanonicalHeaderKey(name)] = v
		}
	}
	return t
}

// sendTrailers hands the trailers to the server, which writes them after
// the body.
func (m *maskingWriter) sendTrailers(t http.Header) {
	dst := m.rw.Header()
	for k, v := range t {
		dst[http.TrailerPrefix+k] = v
	}
}

// pump runs on its own goroutine; it ends when the handler's side of the
// pipe is closed (finish) and the body has been written out.
func (m *maskingWriter) pump(code int, h http.Header, pr *io.PipeReader) {
	defer close(m.done)
	body, n, err := m.f.prepare(code, h, pr)
	if err != nil {
		pr.CloseWithError(err)
		m.f.gw.log.Error("response refused", "session", m.f.x.conn.Session().ID, "decision", m.f.x.d.ID, "error", err)
		writeProblem(m.rw, unrecordedProblem(m.f.x.d))
		return
	}
	defer body.Close()
	dst := m.rw.Header()
	for k, v := range h {
		dst[k] = v
	}
	if n >= 0 {
		dst.Set("Content-Length", strconv.FormatInt(n, 10))
	}
	m.rw.WriteHeader(code)
	rc := http.NewResponseController(m.rw)
	buf := copyBufs.Get()
	defer copyBufs.Put(buf)
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			if _, werr := m.rw.Write(buf[:k]); werr != nil {
				pr.CloseWithError(werr)
				return
			}
			if n < 0 {
				_ = rc.Flush()
			}
		}
		if rerr == io.EOF {
			return
		}
		if rerr != nil {
			// Fail closed mid-stream: abort the response so the client
			// sees it cut, never unmasked data.
			pr.CloseWithError(rerr)
			m.abort = true
			return
		}
	}
}

func (m *maskingWriter) Write(b []byte) (int, error) {
	if !m.wroteHeader {
		m.WriteHeader(http.StatusOK)
	}
	if m.refused {
		return 0, errResponseRefused
	}
	if m.direct {
		n, err := m.f.out.Write(b)
		if err != nil {
			m.abort = true
			return n, err
		}
		return n, m.client.err
	}
	return m.pw.Write(b)
}

// Flush flushes an unmasked response; a masked stream is flushed as it is
// produced.
func (m *maskingWriter) Flush() {
	if m.direct && !m.refused {
		_ = http.NewResponseController(m.rw).Flush()
	}
}

// finish ends the response once the handler returned (or panicked).
func (m *maskingWriter) finish() {
	if m.ended {
		return
	}
	m.ended = true
	p := recover()
	if !m.wroteHeader {
		m.WriteHeader(http.StatusOK)
	}
	if m.direct {
		if p == nil && !m.refused {
			m.sendTrailers(m.trailers())
		}
		if err := m.f.end(); err != nil && !m.refused {
			// Not recorded: the response is cut, never complete.
			m.abort = true
		}
		if p != nil {
			panic(p)
		}
		if m.abort {
			panic(http.ErrAbortHandler)
		}
		return
	}
	// The filter masks the trailers when the body ends.
	t := m.trailers()
	m.f.trailer = &t
	if p != nil {
		m.pw.CloseWithError(errHandlerPanicked)
	} else {
		m.pw.Close()
	}
	<-m.done
	if p == nil && !m.abort && m.f.trailersMasked {
		m.sendTrailers(t)
	}
	if p != nil {
		panic(p)
	}
	if m.abort {
		panic(http.ErrAbortHandler)
	}
}

// clientSink is the client's side of a response written through: a write
// error (the client went away) is kept for the handler, and the output
// writer goes on recording what the handler sent, as it does when a
// masked response reaches a client that left.
type clientSink struct {
	w   io.Writer
	err error
}

func (c *clientSink) Write(p []byte) (int, error) {
	if c.err == nil {
		_, c.err = c.w.Write(p)
	}
	return len(p), nil
}
