package httpgate

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// When no rule masks a response, a proxy with a Credential still masks the
// gateway's own secrets echoed back (credsecrets.go). A body of a known
// length is then read whole and searched for them, in every reading the
// masking path would give it; when none is there it goes out as the
// upstream sent it (its length and validators kept, nothing parsed or
// rewritten), and otherwise it takes the masking path from its first byte.
// Nothing is sent before the search ends. Streamed bodies take the
// masking path, whose stream masker holds back what could still begin a
// secret.

// maxScannedWhole bounds the bodies searched whole, as sent: larger or
// streamed ones go through the stream masker.
const maxScannedWhole = 64 << 10

// maxDecodedWhole bounds a gzip body searched whole, decoded, and what
// a body searched whole unpacks to (see packed.go).
const maxDecodedWhole = 1 << 20

// maxPackedWhole bounds the bodies searched whole, as sent, of a packed
// type or application/octet-stream: downloads, which are refused when
// they cannot be searched (see packed.go).
const maxPackedWhole = 1 << 20

// wholeLimit is the bound of the bodies of media type mt searched whole.
func wholeLimit(mt string) int64 {
	if mt == "application/json" {
		return maxScannedWhole // not packed (TestWholeLimitJSON): spares packed.Type's search of its lists
	}
	if packed.Type(mt) || mt == "application/octet-stream" {
		return maxPackedWhole
	}
	return maxScannedWhole
}

// searchedCodings reports whether a body with these content codings may
// be searched whole: none, or gzip alone, which every client decodes
// alike (deflate is zlib to some, raw to others).
func searchedCodings(codings []string) bool {
	return len(codings) == 0 || len(codings) == 1 && codings[0] == "gzip"
}

// searchWhole reads a body of a declared length whole and sends it as the
// upstream sent it when it holds none of the gateway's secrets (sent);
// otherwise it returns rest, which reads the body again from its start,
// for the masking path. A body in gzip is searched decoded, and sent
// encoded to a client that accepts gzip, decoded to others.
func (f *filter) searchWhole(status int, h http.Header, body io.ReadCloser, codings []string, mt string, params map[string]string, text, isJSON bool) (sent io.ReadCloser, n int64, rest io.ReadCloser, err error) {
	limit := wholeLimit(mt)
	raw, err := readAllSized(body, limit, sizeHint(h, nil))
	if err != nil {
		body.Close()
		return nil, 0, nil, fmt.Errorf("%w: reading the body: %w", errUnmaskable, err)
	}
	if int64(len(raw)) > limit {
		return nil, 0, replayBody(raw, body), nil
	}
	doc := raw
	if len(codings) > 0 {
		var ok bool
		if doc, ok = gunzipWhole(raw); !ok {
			return nil, 0, replayBody(raw, body), nil
		}
	}
	d := decodedDoc{doc: doc}
	if !f.holdsNoSecret(&d, mt, params["charset"], text, isJSON) || !unpacksToNoSecret(f.x.policy, &d) {
		return nil, 0, replayBody(raw, body), nil
	}
	out := doc
	switch {
	case f.coding != "":
		out = raw
	case len(codings) > 0:
		// Validators and digests describe the encoded body.
		dropDerived(h)
	}
	sent, n, err = f.sendUnchanged(status, h, body, out, doc, text, mt, params)
	return sent, n, nil, err
}

// gunzipWhole decodes a whole gzip body of at most maxDecodedWhole bytes.
func gunzipWhole(raw []byte) ([]byte, bool) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, false
	}
	doc, err := readAllSized(zr, maxDecodedWhole, 4*len(raw))
	return doc, err == nil && len(doc) <= maxDecodedWhole
}

// holdsNoSecret reports whether the masking path would pass the whole
// body d.doc on unchanged: it reads the bytes as the client does (a body
// in another charset, or with a NUL the masking path refuses, is left to
// it), and none of the gateway's secrets is in them in any form the
// policy's detector reads.
func (f *filter) holdsNoSecret(d *decodedDoc, mt, label string, text, isJSON bool) bool {
	doc := d.doc
	if text && bytes.IndexByte(doc, 0) >= 0 {
		return false
	}
	if !text {
		_, skip := bomCharset(doc)
		return skip == 0 && !f.x.policy.Finds(doc)
	}
	head := doc
	if !isJSON {
		head = doc[:min(len(doc), sniffLen(mt, label != ""))]
	}
	if enc, skip, err := sourceCharset(mt, label, head); err != nil || enc != nil || skip != 0 {
		return false
	}
	if isJSON {
		return jsonHoldsNoSecret(f.x.policy, d)
	}
	return !f.x.policy.Finds(doc)
}

// unpacksToNoSecret reports whether what d.doc unpacks to, at every depth
// (packed.Unpack), holds none of the secrets: false when it holds packed
// data that cannot be searched.
func unpacksToNoSecret(p *mask.Policy, d *decodedDoc) bool {
	v := unpackedSearches.Get().(*unpackedSearch)
	defer v.release()
	v.p, v.found = p, false
	err := packed.Unpack(d.doc, maxDecodedWhole, v.visit)
	if l := packed.Latin1(d.unescaped()); err == nil && !v.found && l != nil {
		// Binary data as characters up to U+00FF (see jsonBody), in
		// which raw deflate may start anywhere, is not searched.
		if packed.Binary(l) {
			return false
		}
		err = packed.Unpack(l, maxDecodedWhole, v.visit)
	}
	return err == nil && !v.found
}

// unpackedSearch is the search of unpacksToNoSecret: visit, which
// packed.Unpack keeps, is made once per pooled search rather than per
// body.
type unpackedSearch struct {
	p     *mask.Policy
	found bool
	visit func([]byte) bool
}

var unpackedSearches = sync.Pool{New: func() any {
	v := new(unpackedSearch)
	v.visit = func(u []byte) bool {
		v.found = v.p.Finds(u)
		return v.found
	}
	return v
}}

func (v *unpackedSearch) release() {
	v.p = nil
	unpackedSearches.Put(v)
}

// jsonHoldsNoSecret is holdsNoSecret for a JSON document, which the
// masking path masks value by value, each with its JSON escapes decoded:
// the document with its escapes decoded holds every such value. A body
// that is not one JSON text (masked line by line, following values
// across lines) or that holds markup (a tag cut by the end of a value
// does not hide what follows it there) is left to the masking path.
func jsonHoldsNoSecret(p *mask.Policy, d *decodedDoc) bool {
	if !validJSON(d.doc) {
		return false
	}
	u := d.unescaped()
	return !mask.HasMarkup(u) && !p.Finds(u)
}

// decodedDoc is a body searched whole, and the same with its JSON escapes
// decoded, which both jsonHoldsNoSecret and unpacksToNoSecret read:
// decoded once.
type decodedDoc struct {
	doc, u  []byte
	decoded bool
}

// unescaped returns doc with its JSON escapes decoded (doc itself when it
// holds no backslash).
func (d *decodedDoc) unescaped() []byte {
	if !d.decoded {
		d.u, d.decoded = d.doc, true
		if bytes.IndexByte(d.doc, '\\') >= 0 {
			d.u = unescapeJSON(d.doc)
		}
	}
	return d.u
}

// sendUnchanged sends out, a body searched whole (read to its end:
// nothing is left to drain) and found clean, as the upstream sent it (or
// decoded, doc); only the headers are masked. doc is recorded before
// anything is sent, as a masked JSON body is.
func (f *filter) sendUnchanged(status int, h http.Header, body io.ReadCloser, out, doc []byte, text bool, mt string, params map[string]string) (io.ReadCloser, int64, error) {
	body.Close()
	if text {
		// As on the masking path: the client reads the body as UTF-8,
		// which it is.
		ct, err := utf8ContentType(mt, params)
		if err != nil {
			return nil, 0, err
		}
		if v := h["Content-Type"]; len(v) == 1 {
			v[0] = ct // as maskFields rewrites values, in place
		} else {
			h["Content-Type"] = []string{ct}
		}
	}
	if err := f.maskFields(h, true); err != nil {
		return nil, 0, err
	}
	setLength(h, int64(len(out)))
	if err := f.open(status, h, gate.ForwardThenRecord, io.Discard, len(doc)); err != nil {
		return nil, 0, err
	}
	if _, err := f.out.Write(doc); err != nil {
		_ = f.end()
		return nil, 0, fmt.Errorf("%w: the response could not be recorded: %w", errUnmaskable, err)
	}
	if err := f.end(); err != nil {
		return nil, 0, err
	}
	b := &f.whole
	b.Reset(out)
	return b, int64(len(out)), nil
}

// wholeBody is a body held whole in memory.
type wholeBody struct{ bytes.Reader }

func (*wholeBody) Close() error { return nil }

// replayed is a body of which the first bytes were already read: they
// come again, then the rest.
type replayed struct {
	io.Reader
	io.Closer
}

func replayBody(read []byte, body io.ReadCloser) io.ReadCloser {
	return replayed{Reader: io.MultiReader(bytes.NewReader(read), body), Closer: body}
}
