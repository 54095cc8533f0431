package httpgate

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
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

// maxDecodedWhole bounds a gzip body searched whole, decoded.
const maxDecodedWhole = 1 << 20

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
	raw, err := readAllSized(body, maxScannedWhole, sizeHint(h, nil))
	if err != nil {
		body.Close()
		return nil, 0, nil, fmt.Errorf("%w: reading the body: %w", errUnmaskable, err)
	}
	if len(raw) > maxScannedWhole {
		return nil, 0, replayBody(raw, body), nil
	}
	doc := raw
	if len(codings) > 0 {
		var ok bool
		if doc, ok = gunzipWhole(raw); !ok {
			return nil, 0, replayBody(raw, body), nil
		}
	}
	if !f.holdsNoSecret(doc, mt, params["charset"], text, isJSON) {
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

// declaredWithin reports whether h declares a Content-Length of at most
// limit bytes.
func declaredWithin(h http.Header, limit int64) bool {
	n, ok := declaredLength(h)
	return ok && n <= limit
}

// declaredLength is the one Content-Length h declares, in its canonical
// form (digits, no leading zero).
func declaredLength(h http.Header) (int64, bool) {
	v := h["Content-Length"]
	if len(v) != 1 || v[0] == "" || len(v[0]) > 18 || len(v[0]) > 1 && v[0][0] == '0' {
		return 0, false
	}
	var n int64
	for _, c := range []byte(v[0]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// setLength makes h declare a Content-Length of n, unless it does.
func setLength(h http.Header, n int64) {
	if m, ok := declaredLength(h); !ok || m != n {
		h["Content-Length"] = []string{strconv.FormatInt(n, 10)}
	}
}

// holdsNoSecret reports whether the masking path would pass the whole
// body doc on unchanged: it reads the bytes as the client does (a body
// in another charset, or with a NUL the masking path refuses, is left to
// it), and none of the gateway's secrets is in them in any form the
// policy's detector reads.
func (f *filter) holdsNoSecret(doc []byte, mt, label string, text, isJSON bool) bool {
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
		return jsonHoldsNoSecret(f.x.policy, doc)
	}
	return !f.x.policy.Finds(doc)
}

// jsonHoldsNoSecret is holdsNoSecret for a JSON document, which the
// masking path masks value by value, each with its JSON escapes decoded:
// the document with its escapes decoded holds every such value. A body
// that is not one JSON text (masked line by line, following values
// across lines) or that holds markup (a tag cut by the end of a value
// does not hide what follows it there) is left to the masking path.
func jsonHoldsNoSecret(p *mask.Policy, doc []byte) bool {
	if !json.Valid(doc) {
		return false
	}
	u := doc
	if bytes.IndexByte(doc, '\\') >= 0 {
		u = unescapeJSON(doc)
	}
	return !mask.HasMarkup(u) && !p.Finds(u)
}

// unescapeJSON returns a valid JSON text with the escapes of its strings
// decoded, as a JSON decoder decodes them (an unpaired surrogate is
// U+FFFD). Outside strings a JSON text holds no backslash.
func unescapeJSON(doc []byte) []byte {
	out := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c != '\\' || i+1 >= len(doc) {
			out = append(out, c)
			continue
		}
		i++
		switch e := doc[i]; e {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := unicodeEscape(doc[i-1:])
			out = utf8.AppendRune(out, r)
			i += n - 2
		default: // '"', '\\', '/'
			out = append(out, e)
		}
	}
	return out
}

// unicodeEscape decodes the \uXXXX escape at the start of b, with the low
// surrogate that follows a high one, and returns its length.
func unicodeEscape(b []byte) (rune, int) {
	r := hex4(b[2:])
	if utf16.IsSurrogate(r) && len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
		if d := utf16.DecodeRune(r, hex4(b[8:])); d != utf8.RuneError {
			return d, 12
		}
	}
	if utf16.IsSurrogate(r) {
		r = utf8.RuneError
	}
	return r, 6
}

// hex4 is the value of the four hexadecimal digits at the start of b
// (valid JSON has them).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		}
	}
	return r
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
		h["Content-Type"] = []string{ct}
	}
	if err := f.maskFields(h, true); err != nil {
		return nil, 0, err
	}
	setLength(h, int64(len(out)))
	if err := f.open(status, h, gate.ForwardThenRecord, io.Discard); err != nil {
		return nil, 0, err
	}
	if _, err := f.out.Write(doc); err != nil {
		_ = f.end()
		return nil, 0, fmt.Errorf("%w: the response could not be recorded: %w", errUnmaskable, err)
	}
	if err := f.end(); err != nil {
		return nil, 0, err
	}
	b := &wholeBody{}
	b.Reset(out)
	return b, int64(len(out)), nil
}

// utf8ContentType is the media type mt with its parameters and charset
// UTF-8 (set in params).
func utf8ContentType(mt string, params map[string]string) (string, error) {
	if len(params) == 0 || len(params) == 1 && params["charset"] != "" {
		// What mime.FormatMediaType gives, without its allocations.
		return mt + "; charset=utf-8", nil
	}
	params["charset"] = "utf-8"
	ct := mime.FormatMediaType(mt, params)
	if ct == "" {
		return "", fmt.Errorf("%w: Content-Type %q cannot be rewritten", errUnmaskable, mt)
	}
	return ct, nil
}

// parseMediaType is mime.ParseMediaType, without its allocations for a
// media type without parameters in lower case (application/json). The
// parameters it returns may be nil.
func parseMediaType(ct string) (string, map[string]string, error) {
	if plainMediaType(ct) {
		return ct, nil, nil
	}
	return mime.ParseMediaType(ct)
}

// plainMediaType reports whether ct is type/subtype, both lower-case
// tokens.
func plainMediaType(ct string) bool {
	slash := -1
	for i := 0; i < len(ct); i++ {
		c := ct[i]
		switch {
		case c == '/':
			if slash >= 0 || i == 0 {
				return false
			}
			slash = i
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return slash > 0 && slash < len(ct)-1
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
