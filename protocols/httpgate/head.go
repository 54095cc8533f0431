package httpgate

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// appendHead appends the status line and headers of a response as the
// record keeps them: the status line, the fields as Header.Write renders
// them (sorted by name; CR and LF in values turned to spaces, values
// trimmed), then each Set-Cookie as its cookie's name only: cookies the
// upstream sets are sessions of their own, the record keeps their names,
// not their values.
func appendHead(b []byte, status int, h http.Header) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	b = appendFields(b, h)
	for _, c := range h["Set-Cookie"] {
		name, _, _ := strings.Cut(c, "=")
		b = append(b, "Set-Cookie: "...)
		b = append(b, strings.TrimSpace(name)...)
		b = append(b, "=[REDACTED]\r\n"...)
	}
	return append(b, "\r\n"...)
}

// noSetCookie is the exclude set of Header.WriteSubset for appendHead.
var noSetCookie = map[string]bool{"Set-Cookie": true}

// appendFields appends the fields of h but Set-Cookie exactly as
// h.WriteSubset(w, noSetCookie) writes them. Names of letters, digits and
// '-' (all of them, nearly always) are rendered here without its sorter
// and interface calls; a header with any other name goes through
// WriteSubset, which drops names that are not tokens.
func appendFields(b []byte, h http.Header) []byte {
	var keyBuf [24]string
	keys := keyBuf[:0]
	for k := range h {
		if !plainName(k) {
			w := appendWriter{b}
			_ = h.WriteSubset(&w, noSetCookie)
			return w.b
		}
		if k != "Set-Cookie" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = appendFieldValue(b, v)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// plainName reports whether a field name is made of ASCII letters, digits
// and '-' only (and so is a token).
func plainName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// appendFieldValue appends v as Header.Write does: CR and LF become
// spaces and leading and trailing ASCII spaces (space, tab, CR, LF) are
// trimmed. Trimming first is the same, as CR and LF are among the
// trimmed characters. v is appended whole and its CR and LF, nearly
// never there, are looked for after it (bytes.IndexByte), not byte by
// byte as it is copied.
func appendFieldValue(b []byte, v string) []byte {
	for len(v) > 0 && isFieldSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isFieldSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	n := len(b)
	b = append(b, v...)
	spaceOut(b[n:], '\r')
	spaceOut(b[n:], '\n')
	return b
}

// isFieldSpace reports the bytes Header.Write trims from a value.
func isFieldSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// spaceOut turns every c in p into a space, reading p once.
func spaceOut(p []byte, c byte) {
	for k := bytes.IndexByte(p, c); k >= 0; k = bytes.IndexByte(p, c) {
		p[k] = ' '
		p = p[k+1:]
	}
}

// appendWriter is an io.Writer and io.StringWriter appending to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

// headBufs lends the buffers a response's head is rendered into before
// its output writer records it (a writer keeps no reference to what it
// is given).
var headBufs = bytePool{max: 16 << 10}

// bytePool is a pool of byte buffers; buffers grown above max are dropped.
type bytePool struct {
	p   sync.Pool
	max int
}

func (p *bytePool) get() *[]byte {
	if b, ok := p.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1024)
	return &b
}

func (p *bytePool) put(b *[]byte) {
	if cap(*b) <= p.max {
		p.p.Put(b)
	}
}
