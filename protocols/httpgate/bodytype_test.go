package httpgate

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16Bytes encodes s as UTF-16, big- or little-endian, with or without
// a byte order mark.
func utf16Bytes(s string, big, bom bool) []byte {
	var order binary.AppendByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	var b []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	for _, u := range units {
		b = order.AppendUint16(b, u)
	}
	return b
}

// randomBody returns a body carrying amount 5000 in one of the shapes a
// lax upstream may read: JSON (with whitespace, byte order marks, in
// UTF-16), JSON inside a form, or a plain form.
func randomBody(rng *rand.Rand) []byte {
	doc := pick(rng, []string{`{"amount":5000}`, `{"Amount":5000}`, `{"amount":5000,"x":"a=b&c"}`})
	ws := pick(rng, []string{"", " ", "\r\n", "\t "})
	switch rng.IntN(7) {
	case 6:
		// Comments, as JSON5 and Jackson's ALLOW_COMMENTS read them.
		return []byte(pick(rng, []string{"/**/", "/* x */ ", "// x\n", "/*a*/\n// b\r\n"}) + ws + doc)
	case 0:
		return []byte(ws + doc)
	case 1:
		return []byte("\xef\xbb\xbf" + ws + doc)
	case 2:
		return utf16Bytes(ws+doc, rng.IntN(2) == 0, rng.IntN(2) == 0)
	case 3:
		return []byte(pick(rng, []string{doc + "=", "x=1&" + doc, doc + "&x=1", "x=" + doc, doc[:len(doc)-1] + `,"y":"=1"}`}))
	case 4:
		return []byte(pick(rng, []string{"amount=5000", "AMOUNT=5000", "amount=5000&note=a+b"}))
	default:
		return []byte(url.QueryEscape(doc))
	}
}

// laxJSON reads a body as a framework that decodes JSON whatever the
// Content-Type does: it detects UTF-16 by its mark or its NUL bytes,
// skips a UTF-8 mark and leading comments (JSON5, Jackson's
// ALLOW_COMMENTS).
func laxJSON(b []byte) int {
	switch {
	case len(b) >= 2 && (b[0] == 0xfe && b[1] == 0xff || b[0] == 0 && b[1] != 0):
		b = decode16(b, binary.BigEndian)
	case len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] != 0 && b[1] == 0):
		b = decode16(b, binary.LittleEndian)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = stripLeadingComments(b)
	var p struct {
		Amount int `json:"amount"`
	}
	_ = json.Unmarshal(b, &p)
	return p.Amount
}

// stripLeadingComments drops the /* */ and // comments and whitespace
// that start b.
func stripLeadingComments(b []byte) []byte {
	re := regexp.MustCompile(`^(\s|/\*(?s:.*?)\*/|//[^\r\n]*)*`)
	return b[len(re.Find(b)):]
}

func decode16(b []byte, order binary.ByteOrder) []byte {
	units := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		units = append(units, order.Uint16(b[i:]))
	}
	return []byte(strings.TrimPrefix(string(utf16.Decode(units)), "\ufeff"))
}

// laxForm reads a form body's amount, whatever the case of its name, as
// Rack does: under the form type, or no Content-Type at all.
func laxForm(ct string, b []byte) int {
	mt, _, _ := mime.ParseMediaType(ct)
	if ct != "" && mt != "application/x-www-form-urlencoded" {
		return 0
	}
	q, _ := url.ParseQuery(string(b))
	for k, v := range q {
		if strings.EqualFold(k, "amount") {
			n, _ := strconv.Atoi(v[0])
			return n
		}
	}
	return 0
}

// TestBodyUnderAnyContentTypeCannotBypassRules sends random bodies
// carrying amount 5000 (which big-payments denies) under random
// Content-Types, over TCP, to the proxy and the middleware. Whatever
// reached the upstream, neither a lax JSON reader nor a form reader finds
// an amount above 1000 in it.
func TestBodyUnderAnyContentTypeCannotBypassRules(t *testing.T) {
	_, up, srvs := gatedServers(t, testRules)
	rng := newRand(t)
	types := []string{"application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
		"APPLICATION/X-WWW-FORM-URLENCODED", "text/plain", "", "application/octet-stream", "text/html",
		"application/xml", "multipart/form-data; boundary=x", "application/json", "application/json; charset=utf-16",
		"text/plain; charset=utf-16", "application/json; charset*=utf-16''", "application/x-www-form-urlencoded; charset*=utf-16''"}
	for name, srv := range srvs {
		for range 200 {
			body, ct := randomBody(rng), pick(rng, types)
			hdr := ""
			if ct != "" {
				hdr = "Content-Type: " + ct + "\r\n"
			}
			req := fmt.Sprintf("POST /api/payments HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\n%sContent-Length: %d\r\n\r\n%s",
				agentToken, hdr, len(body), body)
			code, _ := raw(t, srv, req)
			for _, got := range up.take() {
				if j, f := laxJSON(got.body), laxForm(got.header.Get("Content-Type"), got.body); j > 1000 || f > 1000 {
					t.Errorf("%s: %q under %q (status %d) reached the upstream as %q: JSON reads %d, form reads %d",
						name, body, ct, code, got.body, j, f)
				}
			}
		}
	}
}

// TestFormBodiesStillPass: forms as browsers, curl -d and Rails-style
// clients send them reach the upstream as sent; bodies that are not
// forms under the form type are refused with 400.
func TestFormBodiesStillPass(t *testing.T) {
	e, up, srvs := gatedServers(t, testRules)
	const form = "application/x-www-form-urlencoded"
	for name, srv := range srvs {
		for _, body := range []string{"amount=5&note=hello+world", "user[name]=bob&amount=5", "note=hello world&flag", "q=caf%C3%A9&r=%2A", "a=1&&b=2"} {
			resp := e.do(srv, "POST", "/api/orders", form, body)
			readAll(t, resp)
			got := up.take()
			if resp.StatusCode != 200 || len(got) != 1 || string(got[0].body) != body {
				t.Errorf("%s: form %q: status %d, upstream got %d requests", name, body, resp.StatusCode, len(got))
			}
		}
		for _, body := range []string{`{"amount":1}`, "\xef\xbb\xbfamount=1", `[1]`, `=1`, "a=%ff", "<a>1</a>", "a=\"1\"", "a=1\x00"} {
			resp := e.do(srv, "POST", "/api/orders", form, body)
			readAll(t, resp)
			if resp.StatusCode != 400 || len(up.take()) != 0 {
				t.Errorf("%s: non-form %q under the form type: status %d, want 400", name, body, resp.StatusCode)
			}
		}
	}
}

// TestExtendedCharsetRefused: an RFC 2231 charset, which the gateway's
// MIME parser drops when it cannot decode it, is refused with 415 rather
// than read as UTF-8.
func TestExtendedCharsetRefused(t *testing.T) {
	e, up, srvs := gatedServers(t, testRules)
	for name, srv := range srvs {
		for _, ct := range []string{"application/json; charset*=utf-16''", "application/x-www-form-urlencoded; Charset*=UTF-16''x"} {
			resp := e.do(srv, "POST", "/api/orders", ct, `{"a":1}`)
			readAll(t, resp)
			if resp.StatusCode != 415 || len(up.take()) != 0 {
				t.Errorf("%s: %q: status %d, want 415", name, ct, resp.StatusCode)
			}
		}
	}
}
