package httpgate

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// The fixtures of the leak tests: none of them may reach a client in any
// form it decodes back.
const (
	fxEmail = "ann@example.com"
	fxCard  = "4111 1111 1111 1111"
	fxSSN   = "123-45-6789"
	fxText  = "owner " + fxEmail + " card " + fxCard + " ssn " + fxSSN + " end"
)

const leakRules = `
default: deny
rules:
  - name: api
    when: request.protocol == "http"
    action: allow
  - name: mask-pii
    when: request.protocol == "http"
    mask: [credit_card, email, us_ssn]
`

// leakEnv puts the gateway, as a reverse proxy and as a middleware, in
// front of the real upstream h.
func leakEnv(t *testing.T, h http.Handler) map[string]*httptest.Server {
	t.Helper()
	srvs, _ := leakEnvRec(t, h)
	return srvs
}

// leakEnvRec is leakEnv that also returns the recorder.
func leakEnvRec(t *testing.T, h http.Handler) (map[string]*httptest.Server, *record.Memory) {
	t.Helper()
	rs, err := gate.ParseRules("leak.yaml", []byte(leakRules))
	if err != nil {
		t.Fatal(err)
	}
	rec := &record.Memory{}
	g := gate.New(gate.Config{Rules: rs, Approver: &approval.Memory{}, Recorder: rec})
	gw, err := New(Config{Gate: g, Target: "leak", Authenticator: gate.Tokens(map[string]gate.Identity{agentToken: agent})})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(h)
	u, _ := url.Parse(up.URL)
	ph, err := gw.Proxy(ProxyConfig{Upstream: u})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(ph)
	mw := httptest.NewServer(gw.Middleware(h))
	t.Cleanup(func() {
		proxy.Close()
		mw.Close()
		up.Close()
		_ = gw.Close()
	})
	return map[string]*httptest.Server{"proxy": proxy, "middleware": mw}, rec
}

// rawExchange sends a GET over TCP and returns every byte the server sent
// until it closed the connection: 1xx responses, headers, chunk framing,
// trailers.
func rawExchange(t *testing.T, srv *httptest.Server, method, path string, hdr ...string) []byte {
	t.Helper()
	req := method + " " + path + " HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + agentToken + "\r\nConnection: close\r\nTE: trailers\r\n"
	for _, h := range hdr {
		req += h + "\r\n"
	}
	c := sendRaw(t, srv, req+"\r\n")
	defer c.Close()
	b, _ := io.ReadAll(c)
	return b
}

// parsed is one exchange as a client library reads it.
type parsed struct {
	status   int
	info     []http.Header // the 1xx responses' headers
	header   http.Header
	body     []byte
	trailer  http.Header
	complete bool // the body ended cleanly (not cut)
}

// parseExchange reads raw bytes the way a client does: 1xx responses, then
// the final response with its body decoded from chunks and its trailers.
func parseExchange(t *testing.T, raw []byte, method string) parsed {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(raw))
	var p parsed
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("reading %q: %v", raw, err)
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 {
			p.info = append(p.info, resp.Header)
			continue
		}
		p.status, p.header = resp.StatusCode, resp.Header
		b, err := io.ReadAll(resp.Body)
		p.body, p.complete = b, err == nil
		p.trailer = resp.Trailer
		return p
	}
}

var (
	pctRE     = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
	tagRE     = regexp.MustCompile(`<!--.*?-->|<[A-Za-z/!?][^>]*>`)
	jsEscRE   = regexp.MustCompile(`\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})`)
	numSepsRE = regexp.MustCompile(`[\s\p{Zs}\x{00AD}\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{2010}-\x{2015}\x{2212}\-./_+]`)
)

// decodings returns b as clients could read it: as UTF-8, with NULs
// dropped, as UTF-16 and UTF-32 either way, as windows-1252, each then
// unescaped (HTML references, percent-encoding, JS escapes) up to three
// times in any order, and folded (NFKC-like: fullwidth to ASCII).
func decodings(b []byte) []string {
	base := []string{string(b), string(bytes.ReplaceAll(b, []byte{0}, nil)), tagRE.ReplaceAllString(string(b), "")}
	base = append(base, sseViews(string(b))...)
	for _, e := range []encoding.Encoding{
		unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
		utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
		charmap.Windows1252,
	} {
		if d, err := e.NewDecoder().Bytes(b); err == nil {
			base = append(base, string(d))
		}
	}
	pct := func(v string) string {
		if !strings.Contains(v, "%") {
			return v
		}
		return pctRE.ReplaceAllStringFunc(v, func(m string) string {
			x, _ := strconv.ParseUint(m[1:], 16, 8)
			return string([]byte{byte(x)})
		})
	}
	js := func(v string) string {
		if !strings.Contains(v, `\`) {
			return v
		}
		return jsEscRE.ReplaceAllStringFunc(v, func(m string) string {
			sm := jsEscRE.FindStringSubmatch(m)
			x, _ := strconv.ParseUint(sm[1]+sm[2]+sm[3], 16, 32)
			return string(rune(x))
		})
	}
	tags := func(v string) string {
		if !strings.Contains(v, "<") {
			return v
		}
		return tagRE.ReplaceAllString(v, "")
	}
	seen := map[string]bool{}
	var out []string
	add := func(v string) bool {
		if seen[v] {
			return false
		}
		seen[v] = true
		out = append(out, v)
		return true
	}
	for _, v := range base {
		add(v)
	}
	cur := base
	for range 4 {
		var next []string
		for _, v := range cur {
			for _, d := range []string{html.UnescapeString(v), pct(v), js(v), tags(v), strings.ReplaceAll(v, `\\`, `\`)} {
				if d != v && add(d) {
					next = append(next, d)
				}
			}
		}
		if len(next) > 32 {
			next = next[:32]
		}
		cur = next
	}
	// Every decoding at once, repeatedly: a client that decodes each
	// notation where it finds it.
	for _, v := range base {
		for range 4 {
			v = js(pct(html.UnescapeString(strings.ReplaceAll(tags(v), `\\`, `\`))))
			add(v)
		}
	}
	for i, v := range out {
		out[i] = strings.Map(func(r rune) rune {
			switch {
			case r >= 0xFF01 && r <= 0xFF5E:
				return r - 0xFEE0
			case r == 0xB9:
				return '1'
			case r == 0xB2 || r == 0xB3:
				return '2' + (r - 0xB2)
			}
			return r
		}, strings.ToValidUTF8(v, ""))
	}
	return out
}

// sseViews reads s as an event stream the way a client assembles it: the
// data of each event (data fields joined with "\n"), the data of all
// events concatenated, and each JSON string field concatenated across
// events (a token stream's deltas).
func sseViews(s string) []string {
	if !strings.Contains(s, "data") {
		return nil
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var all strings.Builder
	fields := map[string]*strings.Builder{}
	var views []string
	for _, ev := range strings.Split(s, "\n\n") {
		var data []string
		for _, line := range strings.Split(ev, "\n") {
			name, v, colon := strings.Cut(line, ":")
			if name != "data" {
				continue
			}
			if colon {
				v = strings.TrimPrefix(v, " ")
			}
			data = append(data, v)
		}
		if len(data) == 0 {
			continue
		}
		d := strings.Join(data, "\n")
		views = append(views, d, strings.Join(data, ""))
		all.WriteString(d)
		var m map[string]any
		if json.Unmarshal([]byte(d), &m) == nil {
			for k, v := range m {
				if sv, ok := v.(string); ok {
					if fields[k] == nil {
						fields[k] = &strings.Builder{}
					}
					fields[k].WriteString(sv)
				}
			}
		}
	}
	views = append(views, all.String())
	for _, f := range fields {
		views = append(views, f.String())
	}
	return views
}

// leaked names the fixture values a client could read in b.
func leaked(b []byte) []string {
	var found []string
	for _, v := range decodings(b) {
		low := strings.ToLower(v)
		digits := numSepsRE.ReplaceAllString(v, "")
		switch {
		case strings.Contains(low, fxEmail) || strings.Contains(numSepsRE.ReplaceAllString(low, ""), "ann@examplecom"):
			found = append(found, "email")
		case strings.Contains(digits, "4111111111111111"):
			found = append(found, "card")
		case strings.Contains(digits, "123456789"):
			found = append(found, "ssn")
		default:
			continue
		}
		return found
	}
	return nil
}

func noLeak(t *testing.T, what string, b []byte) {
	t.Helper()
	if l := leaked(b); l != nil {
		t.Errorf("%s: %v leaked:\n%q", what, l, b)
	}
}

func TestLeakJudgeCatchesEncodings(t *testing.T) {
	// The judge must see what the tests claim the gateway hides.
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(fxText))
	for _, b := range [][]byte{
		[]byte(fxText), u16, []byte("ann%40example.com"), []byte("ann&amp;#64;example.com"), []byte(`ann\u0040example.com`),
		[]byte("4111\xad1111\xad1111\xad1111"), []byte("ann%2540example.com"),
	} {
		if leaked(b) == nil {
			t.Errorf("judge misses %q", b)
		}
	}
	if l := leaked([]byte("owner [EMAIL] card [CREDIT_CARD] 2026-01-02 v1.2.3")); l != nil {
		t.Errorf("judge false positive %v", l)
	}
}

// pngish is a binary body with NULs and high bytes that must pass intact:
// a whole PNG (under a mask, media must be whole; see media.go).
var pngish = string(realPNG())

func enc(e encoding.Encoding, s string) string {
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// leakUpstream serves the responses of the regression tests.
func leakUpstream() http.Handler {
	mux := http.NewServeMux()
	text := func(ctype, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			} else {
				w.Header()["Content-Type"] = nil // no Content-Type at all
			}
			io.WriteString(w, body)
		}
	}
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "</style.css?u=ann%40example.com>; rel=preload; as=style")
		w.Header().Add("Link", "<mailto:"+fxEmail+">; rel=author")
		w.Header().Set("X-Card", fxCard)
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Del("X-Card")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "final body")
	})
	mux.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Owner, X-Card")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "body first")
		http.NewResponseController(w).Flush()
		w.Header().Set("X-Owner", fxEmail)
		w.Header().Set("X-Card", fxCard)
		w.Header().Set(http.TrailerPrefix+"X-Late", "ssn "+fxSSN)
		w.Header().Set(http.TrailerPrefix+"X-4111-1111-1111-1111", "name")
		w.Header().Set(http.TrailerPrefix+"X-Fine", "kept")
	})
	mux.HandleFunc("/trailers-deflate", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Owner")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "deflate")
		zw := zlib.NewWriter(w)
		io.WriteString(zw, "compressed body "+fxCard)
		zw.Close()
		w.Header().Set("X-Owner", "ann%40example.com")
	})
	mux.HandleFunc("/trailers-json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Owner")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
		w.Header().Set("X-Owner", fxEmail)
	})
	mux.HandleFunc("/trailers-unmaskable", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Owner")
		w.Header().Set("Content-Type", "text/plain; charset=x-klingon")
		io.WriteString(w, "body")
		w.Header().Set("X-Owner", fxEmail)
		w.Header().Set(http.TrailerPrefix+"X-Card", fxCard)
	})
	mux.HandleFunc("/header-fields", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-4111-1111-1111-1111", "name holds a card")
		w.Header().Set("Content-Type", `text/plain; charset=utf-8; owner="`+fxEmail+`"`)
		w.Header().Set("Location", "/next?email=ann%40example.com&again=ann%2540example.com")
		w.WriteHeader(http.StatusFound)
		io.WriteString(w, "moved")
	})
	// Charsets.
	u16le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	u16be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	mux.HandleFunc("/utf16le-bom", text("text/plain", "\xff\xfe"+enc(u16le, fxText)))
	mux.HandleFunc("/utf16be-declared", text("text/plain; charset=UTF-16BE", enc(u16be, fxText)))
	mux.HandleFunc("/utf16-json", text("application/json; charset=utf-16", "\xfe\xff"+enc(u16be, `{"note":"`+fxText+`"}`)))
	mux.HandleFunc("/utf16-json-sniffed", text("application/json", enc(u16le, `{"note":"`+fxText+`"}`)))
	mux.HandleFunc("/utf16-no-type", text("", "\xff\xfe"+enc(u16le, fxText)))
	mux.HandleFunc("/utf32", text("text/plain; charset=utf-32", enc(utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), fxText)))
	mux.HandleFunc("/latin1-shy", text("text/plain; charset=iso-8859-1", "card 4111\xad1111\xad1111\xad1111 ssn 123\xad45\xad6789"))
	mux.HandleFunc("/win1252-sup", text("text/plain; charset=windows-1252", "card 4111 1111 1111 111\xb9 end"))
	mux.HandleFunc("/html-meta", text("text/html", `<html><head><meta charset="windows-1252"></head><body>card 4111`+"\xad"+`1111`+"\xad"+`1111`+"\xad"+`1111</body></html>`))
	mux.HandleFunc("/xml-decl", text("application/xml", `<?xml version="1.0" encoding="ISO-8859-1"?><c>4111`+"\xad"+`1111`+"\xad"+`1111`+"\xad"+`1111</c>`))
	mux.HandleFunc("/sjis", text("text/plain; charset=Shift_JIS", enc(japanese.ShiftJIS, "カード ４１１１ １１１１ １１１１ １１１１ メール ａｎｎ＠ｅｘａｍｐｌｅ．ｃｏｍ")))
	mux.HandleFunc("/utf16-excel", text("application/vnd.ms-excel", "\xff\xfe"+enc(u16le, "name\temail\tcard\nann\t"+fxEmail+"\t"+fxCard+"\n")))
	mux.HandleFunc("/binary", text("application/octet-stream", pngish))
	mux.HandleFunc("/binary-no-type", text("", pngish))
	mux.HandleFunc("/sse-utf16", text("text/event-stream; charset=utf-16le", enc(u16le, "data: "+fxText+"\n\n")))
	mux.HandleFunc("/sse-unknown-charset", text("text/event-stream; charset=x-klingon", "data: "+fxText+"\n\n"))
	mux.HandleFunc("/unknown-charset", text("text/plain; charset=x-klingon", fxText))
	mux.HandleFunc("/utf7", text("text/plain; charset=utf-7", "ann+AEA-example.com"))
	mux.HandleFunc("/nul-text", text("text/plain; charset=utf-8", "card "+strings.Join(strings.Split("4111111111111111", ""), "\x00")))
	mux.HandleFunc("/bad-ctype", text(`text/plain; charset="utf-16`, enc(u16le, fxText)))
	// Escapes.
	mux.HandleFunc("/html-entities", text("text/html; charset=utf-8",
		`<p>ann&#64;example.com ann&#x40;example.com ann&commat;example.com ann&amp;#64;example.com</p><!-- `+fxEmail+` --><a href="/u?e=ann&#37;40example.com">x</a> 4111&nbsp;1111&nbsp;1111&nbsp;1111`))
	mux.HandleFunc("/html-markup", text("text/html", `<p>mail ann@<b>example</b>.com or ann@<!-- -->example.com`+
		` or ann&#64;<i>exa</i>mple.com, card 4111 <span>1111</span> 1111 1111</p>`))
	mux.HandleFunc("/form", text("application/x-www-form-urlencoded", "email=ann%40example.com&card=4111+1111+1111+1111&ssn=123%2D45%2D6789"))
	mux.HandleFunc("/js", text("application/javascript", `var a="ann\x40example.com", b="ann\u0040example.com", c="\u0034111 1111 1111 1111";`))
	mux.HandleFunc("/json-escapes", text("application/json", `{"a":"ann\u0040example.com","b":"ann&#64;example.com","c":"ann%40example.com","d":"{\"x\":\"ann\\u0040example.com\"}"}`))
	mux.HandleFunc("/ndjson", text("application/x-ndjson", `{"a":"ann\u0040example.com"}`+"\n"+`{"b":"4111\u00201111\u00201111\u00201111"}`+"\n"))
	// Server-sent events.
	sse := func(parts ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, p := range parts {
				io.WriteString(w, p)
				http.NewResponseController(w).Flush()
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	mux.HandleFunc("/sse-lines", sse("data: 4111 1111\ndata: 1111 1111\n\n", "data: ann@\ndata:example.com\n\n", "data: next\n\n"))
	mux.HandleFunc("/sse-cr", sse("data: 4111 1111\rdata: 1111 1111\r\r", "data: x\r\n\rdata: ann@exa", "mple.com\r\n\r\n"))
	mux.HandleFunc("/sse-json-deltas", sse(`data: {"id":1,"delta":{"content":"mail ann@"}}`+"\n\n",
		`data: {"id":2,"delta":{"content":"example.com"}}`+"\n\n", `data: {"id":3,"delta":{"content":"card 4111 1111"}}`+"\n\n",
		`data: {"id":4,"delta":{"content":" 1111 1111 done"}}`+"\n\n"))
	mux.HandleFunc("/sse-split-fields", sse("da", "ta: 4111 11", "11 1111 1", "111\n", "\n", ": comment ann@example", ".com\n\n", "\xef\xbb\xbfdata: x\n\n"))
	mux.HandleFunc("/sse-escapes", sse(`data: {"t":"ann\u0040example.com"}`+"\n\n", `data: {"t":"ann\u00`, `40example.com"}`+"\n\n"))
	mux.HandleFunc("/sse-gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, `data: {"delta":"ann@"}`+"\n\n")
		zw.Flush()
		http.NewResponseController(w).Flush()
		io.WriteString(zw, `data: {"delta":"example.com"}`+"\n\n")
		zw.Close()
	})
	// Content codings.
	mux.HandleFunc("/gzip-then-deflate", func(w http.ResponseWriter, r *http.Request) {
		var g, d bytes.Buffer
		gw := gzip.NewWriter(&g)
		io.WriteString(gw, fxText)
		gw.Close()
		zw := zlib.NewWriter(&d)
		zw.Write(g.Bytes())
		zw.Close()
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip, deflate")
		w.Write(d.Bytes())
	})
	mux.HandleFunc("/raw-deflate", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "deflate")
		fw, _ := flate.NewWriter(w, 5)
		io.WriteString(fw, `{"note":"`+fxText+`"}`)
		fw.Close()
	})
	mux.HandleFunc("/compress", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "compress")
		io.WriteString(w, fxText)
	})
	mux.HandleFunc("/multipart", text("multipart/mixed; boundary=b",
		"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nYW5uQGV4YW1wbGUuY29t\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nann=40example.com\r\n--b--\r\n"))
	mux.HandleFunc("/range", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		http.ServeContent(w, r, "f.txt", time.Unix(0, 0), strings.NewReader(fxText))
	})
	mux.HandleFunc("/partial", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Range", "bytes 0-10/100")
		w.WriteHeader(http.StatusPartialContent)
		io.WriteString(w, "4111 1111 1")
	})
	return mux
}

// TestResponseEvasions: each response the upstream sends, fetched through
// the proxy and the middleware by a raw socket client, reaches it with no
// fixture value in any form the client decodes: 1xx headers, trailers,
// header names and parameters, charsets, escapes, event streams, codings.
func TestResponseEvasions(t *testing.T) {
	cases := []struct {
		path   string
		status int    // 0: any
		keep   string // a part of the body that must arrive, "" for none
		method string
		hdr    []string
	}{
		{path: "/hints", status: 200, keep: "final body"},
		{path: "/trailers", status: 200, keep: "body first"},
		{path: "/trailers-deflate", status: 200, keep: "compressed body"},
		{path: "/trailers-json", status: 200, keep: `"ok"`},
		{path: "/trailers-unmaskable", status: 502},
		{path: "/header-fields", status: 302, keep: "moved"},
		{path: "/utf16le-bom", status: 200, keep: "owner"},
		{path: "/utf16be-declared", status: 200, keep: "owner"},
		{path: "/utf16-json", status: 200, keep: "owner"},
		{path: "/utf16-json-sniffed", status: 200, keep: "owner"},
		{path: "/utf16-no-type", status: 200, keep: "owner"},
		{path: "/utf32", status: 200, keep: "owner"},
		{path: "/latin1-shy", status: 200, keep: "card"},
		{path: "/win1252-sup", status: 200, keep: "end"},
		{path: "/html-meta", status: 200, keep: "<body>"},
		{path: "/xml-decl", status: 200, keep: "<c>"},
		{path: "/sjis", status: 200, keep: "カード"},
		{path: "/sse-utf16", status: 200, keep: "owner"},
		{path: "/utf16-excel", status: 200, keep: "email"},
		{path: "/binary", status: 200, keep: pngish},
		{path: "/binary-no-type", status: 200, keep: pngish},
		{path: "/unknown-charset", status: 502},
		{path: "/sse-unknown-charset", status: 502},
		{path: "/utf7", status: 502},
		{path: "/nul-text", status: 200}, // cut: see below
		{path: "/bad-ctype", status: 502},
		{path: "/html-entities", status: 200, keep: "<p>"},
		{path: "/form", status: 200, keep: "email="},
		{path: "/html-markup", status: 200, keep: "<p>mail"},
		{path: "/js", status: 200, keep: "var a="},
		{path: "/json-escapes", status: 200, keep: `"a"`},
		{path: "/ndjson", status: 200, keep: `"b"`},
		{path: "/sse-lines", status: 200, keep: "next"},
		{path: "/sse-cr", status: 200, keep: "data: x"},
		{path: "/sse-json-deltas", status: 200, keep: `"id":4`},
		{path: "/sse-split-fields", status: 200, keep: "data: x"},
		{path: "/sse-escapes", status: 200, keep: `"t"`},
		{path: "/sse-gzip", status: 200, keep: "delta", hdr: []string{"Accept-Encoding: identity"}},
		{path: "/gzip-then-deflate", status: 200, keep: "owner"},
		{path: "/raw-deflate", status: 200, keep: "owner"},
		{path: "/compress", status: 502},
		{path: "/multipart", status: 502},
		{path: "/range", status: 200, keep: "owner", hdr: []string{"Range: bytes=6-20"}},
		{path: "/partial", status: 502},
		{path: "/hints", status: 200, method: "HEAD"},
		{path: "/header-fields", status: 302, method: "HEAD"},
	}
	for name, srv := range leakEnv(t, leakUpstream()) {
		for _, c := range cases {
			method := c.method
			if method == "" {
				method = "GET"
			}
			t.Run(name+method+c.path, func(t *testing.T) {
				raw := rawExchange(t, srv, method, c.path, c.hdr...)
				noLeak(t, "raw bytes", raw)
				if c.path == "/nul-text" && len(raw) == 0 {
					return // cut before the headers: failed closed
				}
				p := parseExchange(t, raw, method)
				if c.status != 0 && p.status != c.status {
					t.Fatalf("status %d, want %d:\n%q", p.status, c.status, raw)
				}
				var all bytes.Buffer
				for _, h := range p.info {
					_ = h.Write(&all)
				}
				_ = p.header.Write(&all)
				all.Write(p.body)
				_ = p.trailer.Write(&all)
				noLeak(t, "as parsed", all.Bytes())
				if c.keep != "" && !strings.Contains(string(p.body), c.keep) {
					t.Errorf("%q missing from the body %q", c.keep, p.body)
				}
				if c.path == "/nul-text" && p.complete && strings.Contains(string(p.body), "card") {
					t.Errorf("a body with NULs was sent whole: %q", p.body)
				}
				if p.status == 200 && method == "GET" && (textual(mediaType(p.header)) && p.header.Get("Content-Type") != "") &&
					!strings.Contains(strings.ToLower(p.header.Get("Content-Type")), "charset=utf-8") {
					t.Errorf("textual response without charset=utf-8: %q", p.header.Get("Content-Type"))
				}
			})
		}
	}
}

func mediaType(h http.Header) string {
	mt, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// TestEarlyHintsAndTrailersMaskedNotDropped: the masked 1xx headers and
// trailers still arrive, so clients that use them keep working.
func TestEarlyHintsAndTrailersMaskedNotDropped(t *testing.T) {
	for name, srv := range leakEnv(t, leakUpstream()) {
		t.Run(name, func(t *testing.T) {
			p := parseExchange(t, rawExchange(t, srv, "GET", "/hints"), "GET")
			if len(p.info) != 1 || len(p.info[0].Values("Link")) != 2 || !strings.Contains(p.info[0].Get("Link"), "/style.css") {
				t.Errorf("103 lost or mangled: %v", p.info)
			}
			p = parseExchange(t, rawExchange(t, srv, "GET", "/trailers"), "GET")
			if p.trailer.Get("X-Fine") != "kept" || p.trailer.Get("X-Owner") == "" || p.trailer.Get("X-Late") == "" {
				t.Errorf("trailers lost: %v", p.trailer)
			}
			for k := range p.trailer {
				if strings.Contains(k, "4111") {
					t.Errorf("trailer name kept: %q", k)
				}
			}
		})
	}
}

// TestResponseEvasionsCurl fetches the same responses with the real curl.
func TestResponseEvasionsCurl(t *testing.T) {
	bin := gatetest.NeedTool(t, "curl")
	for name, srv := range leakEnv(t, leakUpstream()) {
		for _, path := range []string{"/hints", "/trailers", "/trailers-deflate", "/header-fields", "/utf16le-bom", "/utf16-json",
			"/latin1-shy", "/html-meta", "/sjis", "/html-entities", "/form", "/json-escapes", "/sse-lines", "/sse-json-deltas",
			"/sse-gzip", "/gzip-then-deflate", "/raw-deflate", "/range"} {
			t.Run(name+path, func(t *testing.T) {
				args := []string{"-sS", "-i", "--compressed", "--max-time", "10", "-H", "Authorization: Bearer " + agentToken}
				if path == "/range" {
					args = append(args, "-r", "6-20")
				}
				out, err := exec.Command(bin, append(args, srv.URL+path)...).CombinedOutput()
				if err != nil {
					t.Fatalf("curl: %v\n%s", err, out)
				}
				noLeak(t, "curl output", out)
				if path == "/hints" && (!strings.Contains(string(out), "103 Early Hints") || !strings.Contains(string(out), "/style.css?u=[EMAIL]")) {
					t.Errorf("curl saw no masked 103: %s", out)
				}
				if path == "/trailers" && !strings.Contains(string(out), "X-Owner: [EMAIL]") {
					t.Errorf("curl saw no masked trailer: %s", out)
				}
			})
		}
	}
}

// TestResponseEvasionsGenerated: random encodings of the fixtures (percent,
// references, \u escapes, charsets) served in random chunks, as text, HTML,
// JSON and event streams, never reach the client decodable.
func TestResponseEvasionsGenerated(t *testing.T) {
	type gen struct {
		ctype string
		body  []byte
		cuts  []int
	}
	cur := make(chan gen, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := <-cur
		w.Header().Set("Content-Type", g.ctype)
		prev := 0
		for _, c := range append(g.cuts, len(g.body)) {
			w.Write(g.body[prev:c])
			http.NewResponseController(w).Flush()
			prev = c
		}
	})
	srvs := leakEnv(t, h)
	rnd := rand.New(rand.NewPCG(16, 2))
	charsets := []struct {
		name string
		e    encoding.Encoding
	}{
		{"utf-8", nil}, {"utf-16le", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
		{"utf-16be", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, {"iso-8859-1", charmap.ISO8859_1},
		{"windows-1252", charmap.Windows1252}, {"utf-32", utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
	}
	fixtures := []string{fxEmail, fxCard, "4111-1111-1111-1111", fxSSN}
	n := 300
	if testing.Short() {
		n = 60
	}
	if raceEnabled {
		// Each fixture, charset and body kind still comes many times
		// (60 s under -race for 300).
		n = 100
	}
	for i := range n {
		fx := fixtures[i%len(fixtures)]
		value := encodeValue(rnd, fx)
		cs := charsets[rnd.IntN(len(charsets))]
		var body, ctype string
		sane := true
		switch rnd.IntN(4) {
		case 0:
			ctype, body = "text/plain", "before "+value+" after\n"
		case 1:
			ctype, body = "text/html", "<p>before "+value+"</p>\n"
		case 2:
			ctype, body = "application/json", `{"v":"`+strings.ReplaceAll(value, `\`, `\\`)+`"}`
		default:
			ctype = "text/event-stream"
			cut := rnd.IntN(len(value) + 1)
			a, z := value[:cut], value[cut:]
			switch rnd.IntN(4) {
			case 0:
				body = "data: before " + value + "\n\n"
			case 1: // split across data lines, which the client joins with "\n"
				body = "data: before " + a + "\ndata:" + z + "\n\n"
				sane = false // a "\n" inside an escape may destroy the value
			case 2: // split across events, which a client concatenates
				body = "data: before " + a + "\n\ndata:" + z + "\r\n\r\n"
			default: // JSON deltas of a token stream
				q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
				body = `data: {"id":1,"d":` + q(a) + "}\n\n" + `data: {"id":2,"d":` + q(z) + "}\n\n"
			}
		}
		b := []byte(body)
		if cs.e != nil && ctype != "text/event-stream" {
			b, _ = cs.e.NewEncoder().Bytes(b)
			ctype += "; charset=" + cs.name
		}
		if sane && leaked(b) == nil {
			t.Fatalf("the judge does not see the fixture in the upstream's body %q", b)
		}
		var cuts []int
		for range rnd.IntN(4) {
			cuts = append(cuts, rnd.IntN(len(b)+1))
		}
		sort.Ints(cuts)
		name := "proxy"
		if i%2 == 1 {
			name = "middleware"
		}
		cur <- gen{ctype, b, cuts}
		raw := rawExchange(t, srvs[name], "GET", "/gen")
		if l := leaked(raw); l != nil {
			t.Fatalf("%s %s %q (cuts %v): %v leaked:\n%q", name, ctype, b, cuts, l, raw)
		}
	}
}

// encodeValue writes s with each character in a notation picked at random.
func encodeValue(r *rand.Rand, s string) string {
	named := map[rune]string{'@': "&commat;", '.': "&period;", '-': "&hyphen;", ' ': "&nbsp;"}
	var b strings.Builder
	for _, c := range s {
		if r.IntN(10) == 0 {
			b.WriteString([]string{"<b>", "</i>", "<!-- x -->"}[r.IntN(3)])
		}
		switch r.IntN(9) {
		case 0, 1, 2:
			b.WriteRune(c)
		case 3:
			fmt.Fprintf(&b, "%%%02X", c)
		case 4:
			fmt.Fprintf(&b, "%%25%02X", c)
		case 5:
			fmt.Fprintf(&b, "&#%d;", c)
		case 6:
			fmt.Fprintf(&b, "&#x%x;", c)
		case 7:
			if n, ok := named[c]; ok {
				b.WriteString(n)
			} else {
				fmt.Fprintf(&b, "&amp;#%d;", c)
			}
		default:
			fmt.Fprintf(&b, `\u%04x`, c)
		}
	}
	return b.String()
}

// rawUpstream answers every connection with resp, byte for byte, so that
// the framing is the upstream's own (no net/http server in between).
func rawUpstream(t *testing.T, resp string) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.WriteString(c, resp)
			}()
		}
	}()
	u, _ := url.Parse("http://" + ln.Addr().String())
	return u
}

// TestUpstreamFramingEvasions: transfer codings and informational
// responses from an upstream that writes its bytes itself.
func TestUpstreamFramingEvasions(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, fxText)
	zw.Close()
	chunk := func(b string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(b), b) }
	cases := []struct {
		name, resp string
		status     int
	}{
		{"gzip transfer coding", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + chunk(gz.String()) + "0\r\n\r\n", 502},
		{"chunked and length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(fxText) + "0\r\n\r\n", 0},
		{"identity transfer coding", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: identity\r\n\r\n" + fxText, 0},
		{"body until close", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + fxText, 200},
		{"several 1xx", "HTTP/1.1 103 Early Hints\r\nLink: <mailto:" + fxEmail + ">\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x?c=4111%201111%201111%201111>\r\n\r\n" +
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", 200},
		{"trailers unannounced", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("hi") + "0\r\nX-Owner: " + fxEmail + "\r\nX-Ssn: " + fxSSN + "\r\n\r\n", 200},
		{"trailers json", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTrailer: X-Owner\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(`{"a":1}`) + "0\r\nX-Owner: " + fxEmail + "\r\n\r\n", 200},
	}
	rs, err := gate.ParseRules("leak.yaml", []byte(leakRules))
	if err != nil {
		t.Fatal(err)
	}
	g := gate.New(gate.Config{Rules: rs, Approver: &approval.Memory{}, Recorder: &record.Memory{}})
	gw, err := New(Config{Gate: g, Target: "raw", Authenticator: gate.Tokens(map[string]gate.Identity{agentToken: agent})})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ph, err := gw.Proxy(ProxyConfig{Upstream: rawUpstream(t, c.resp)})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(ph)
			defer srv.Close()
			raw := rawExchange(t, srv, "GET", "/x")
			noLeak(t, "raw bytes", raw)
			if len(raw) == 0 {
				t.Fatalf("no response")
			}
			p := parseExchange(t, raw, "GET")
			if c.status != 0 && p.status != c.status {
				t.Errorf("status %d, want %d: %q", p.status, c.status, raw)
			}
			if c.name == "several 1xx" && len(p.info) != 2 {
				t.Errorf("1xx responses: %v", p.info)
			}
		})
	}
}

// TestRecordHoldsMaskedHintsAndTrailers: the record keeps what the client
// received, 1xx responses and trailers included, masked.
func TestRecordHoldsMaskedHintsAndTrailers(t *testing.T) {
	srvs, rec := leakEnvRec(t, leakUpstream())
	for _, srv := range srvs {
		rawExchange(t, srv, "GET", "/hints")
		rawExchange(t, srv, "GET", "/trailers")
	}
	var hints, trailers int
	for _, ev := range gatetest.Events(rec, gate.EventOutput) {
		d := ev.Output.Data
		noLeak(t, "record", d)
		if bytes.Contains(d, []byte("HTTP/1.1 103 Early Hints")) && bytes.Contains(d, []byte("/style.css")) {
			hints++
		}
		if bytes.Contains(d, []byte("X-Owner: [EMAIL]")) && bytes.Contains(d, []byte("X-Fine: kept")) {
			trailers++
		}
	}
	if hints != 2 || trailers != 2 {
		t.Errorf("recorded 1xx in %d outputs, trailers in %d; want 2 and 2", hints, trailers)
	}
}
