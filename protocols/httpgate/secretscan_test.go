package httpgate

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// noMaskRules allow /api/ without masking: only the gateway's own secrets
// are masked in responses.
var noMaskRules = strings.ReplaceAll(testRules, "mask: [credit_card]", "action: allow")

// secretForm writes a secret as an echoing upstream or a hostile one may:
// every form the gateway's secret detector reads.
var secretForms = []struct {
	name string
	form func(r *rand.Rand, s string) string
}{
	{"raw", func(_ *rand.Rand, s string) string { return s }},
	{"query-escaped", func(_ *rand.Rand, s string) string { return url.QueryEscape(s) }},
	{"percent-every-byte", func(_ *rand.Rand, s string) string { return eachByte(s, "%%%02X") }},
	{"entity-decimal", func(_ *rand.Rand, s string) string { return eachByte(s, "&#%d;") }},
	{"entity-hex", func(_ *rand.Rand, s string) string { return eachByte(s, "&#x%x;") }},
	{"html-escaped", func(_ *rand.Rand, s string) string { return html.EscapeString(s) }},
	{"backslash-u", func(_ *rand.Rand, s string) string { return eachByte(s, `\u%04x`) }},
	{"backslash-x", func(_ *rand.Rand, s string) string { return eachByte(s, `\x%02x`) }},
	{"json-slash", func(_ *rand.Rand, s string) string { return strings.ReplaceAll(s, "/", `\/`) }},
	{"mixed", func(r *rand.Rand, s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			switch r.IntN(5) {
			case 0:
				fmt.Fprintf(&b, "%%%02x", s[i])
			case 1:
				fmt.Fprintf(&b, "&#%d;", s[i])
			case 2:
				fmt.Fprintf(&b, `\u%04X`, s[i])
			default:
				b.WriteByte(s[i])
			}
		}
		return b.String()
	}},
	{"base64", func(r *rand.Rand, s string) string {
		// Inside a longer base64 text, at each of the three alignments.
		blob := strings.Repeat("k", r.IntN(3)) + s + randSecret(r, r.IntN(7))
		if r.IntN(2) == 0 {
			return base64.URLEncoding.EncodeToString([]byte(blob))
		}
		return base64.StdEncoding.EncodeToString([]byte(blob))
	}},
}

func eachByte(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

var escapeRE = regexp.MustCompile(`%[0-9A-Fa-f]{2}|&#[0-9]+;|&#[xX][0-9A-Fa-f]+;|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|\\/`)

// decodeEscapes decodes the escapes of every form above, mixed, as a
// client that unescapes them would.
func decodeEscapes(s string) string {
	s = html.UnescapeString(s)
	return escapeRE.ReplaceAllStringFunc(s, func(e string) string {
		var v uint64
		switch {
		case e == `\/`:
			return "/"
		case e[0] == '%':
			v, _ = strconv.ParseUint(e[1:], 16, 8)
		case strings.HasPrefix(e, "&#x"), strings.HasPrefix(e, "&#X"):
			v, _ = strconv.ParseUint(e[3:len(e)-1], 16, 32)
		case e[0] == '&':
			v, _ = strconv.ParseUint(e[2:len(e)-1], 10, 32)
		default:
			v, _ = strconv.ParseUint(e[2:], 16, 32)
		}
		return string(rune(v))
	})
}

// secretReceived reports whether a client reads secret back from s in
// any form: as it is, with escapes decoded (twice, for an escape inside a
// JSON string), or decoded from base64.
func secretReceived(s, secret string) bool {
	var jsonDecoded string
	if err := json.Unmarshal([]byte(strconv.Quote(s)), &jsonDecoded); err != nil {
		jsonDecoded = s
	}
	for _, v := range []string{s, jsonDecoded} {
		for range 3 {
			if credLeaked(v, []string{secret}) != "" {
				return true
			}
			v = decodeEscapes(v)
		}
		if credLeaked(v, []string{secret}) != "" {
			return true
		}
	}
	return false
}

// fillerChars make random bodies: text with the characters that open
// escapes and markup, so that bodies with and without them both occur.
const fillerChars = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_\n"

func randomFiller(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = fillerChars[r.IntN(len(fillerChars))]
	}
	if n > 0 && r.IntN(4) == 0 {
		b[r.IntN(n)] = "%&\\<"[r.IntN(4)]
	}
	return string(b)
}

// secretBody is a random body of type ct holding forms of the secret at
// random offsets (none when n is 0).
func secretBody(r *rand.Rand, ct, secret string, n int) []byte {
	var parts []string
	for range n {
		parts = append(parts, randomFiller(r, r.IntN(3000)), secretForms[r.IntN(len(secretForms))].form(r, secret))
	}
	parts = append(parts, randomFiller(r, r.IntN(3000)))
	if ct != "application/json" {
		return []byte(strings.Join(parts, ""))
	}
	doc := map[string]any{}
	for i, p := range parts {
		doc[fmt.Sprint("f", i)] = p
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(r.IntN(2) == 0)
	_ = enc.Encode(doc)
	return b.Bytes()
}

// TestSecretScanGenerated: random bodies of random types holding the
// gateway's secret in each form at random offsets, served by a real
// upstream in random chunks, each flushed, with and without a
// Content-Length (searched whole, or streamed), never reach a net/http
// client or curl with the secret in them, in any form; bodies without it
// arrive as they were sent.
func TestSecretScanGenerated(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	curlBin, _ := exec.LookPath("curl")
	r := rand.New(rand.NewPCG(11, 23))
	clean, masked := 0, 0
	for i := range genN(150) {
		secret := randSecret(r, 12+r.IntN(30))
		ct := []string{"text/plain", "application/json", "text/html", "application/octet-stream", "text/csv"}[r.IntN(5)]
		n := r.IntN(4)
		body := secretBody(r, ct, secret, n)
		withLength := r.IntN(3) > 0
		gz := r.IntN(3) == 0
		sent := body
		if gz {
			sent = gzipped(body)
		}
		seed := r.Uint64()
		srv := proxyTo(t, e, BearerCredential(secret), func(w http.ResponseWriter, req *http.Request) {
			rr := rand.New(rand.NewPCG(seed, 3))
			w.Header().Set("Content-Type", ct)
			if gz {
				w.Header().Set("Content-Encoding", "gzip")
			}
			if withLength {
				w.Header().Set("Content-Length", strconv.Itoa(len(sent)))
			}
			fl := http.NewResponseController(w)
			for b := sent; len(b) > 0; {
				k := min(len(b), 1+rr.IntN(2000))
				_, _ = w.Write(b[:k])
				_ = fl.Flush()
				b = b[k:]
			}
		})
		resp := e.do(srv, "GET", "/api/echo", "", "")
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("case %d (%s, length %v, gzip %v, %d forms): status %d, %v; errors %v", i, ct, withLength, gz, n, resp.StatusCode, err, e.events(gate.EventError))
		}
		var hdr strings.Builder
		_ = resp.Header.Write(&hdr)
		if secretReceived(hdr.String()+string(got), secret) {
			t.Fatalf("case %d (%s, length %v, gzip %v, %d forms): the client reads the secret %q back from\n%s", i, ct, withLength, gz, n, secret, got)
		}
		if n == 0 {
			clean++
			// The masking path of a streamed JSON body may drop its
			// trailing white space.
			if withLength && !bytes.Equal(got, body) || !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(body)) {
				t.Fatalf("case %d (%s, length %v): a body without the secret was changed:\n%q\n%q", i, ct, withLength, body, got)
			}
		} else {
			masked++
			if !strings.Contains(string(got), "[GATEWAY_SECRET]") {
				t.Fatalf("case %d (%s, length %v, gzip %v, %d forms): nothing masked in\n%s", i, ct, withLength, gz, n, got)
			}
		}
		if curlBin != "" && i%5 == 0 {
			args := []string{"-i", srv.URL + "/api/echo"}
			if r.IntN(2) == 0 {
				args = append(args, "--compressed")
			}
			out := curl(t, curlBin, args...)
			if secretReceived(out, secret) {
				t.Fatalf("case %d (%s, length %v, gzip %v, %d forms): curl reads the secret %q back from\n%s", i, ct, withLength, gz, n, secret, out)
			}
		}
		srv.Close()
	}
	if clean == 0 || masked == 0 {
		t.Fatalf("%d clean and %d masked cases: the generator missed one kind", clean, masked)
	}
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// TestSecretScanKeepsCleanBody: with no rule masking, a body of known
// length without the gateway's secret goes out as the upstream sent it,
// its length and validators kept (the masking path would stream it
// rewritten, without them), and one holding the secret is masked.
func TestSecretScanKeepsCleanBody(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	for _, ct := range []string{"text/plain", "application/json", "application/octet-stream"} {
		for _, holds := range []bool{false, true} {
			body := `{"note":"nothing to see"}`
			if holds {
				body = `{"note":"` + upstreamToken + `"}`
			}
			srv := proxyTo(t, e, BearerCredential(upstreamToken), func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", ct)
				w.Header().Set("ETag", `"v1"`)
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				_, _ = io.WriteString(w, body)
			})
			resp := e.do(srv, "GET", "/api/x", "", "")
			got := readAll(t, resp)
			switch {
			case holds && (strings.Contains(got, upstreamToken) || !strings.Contains(got, "[GATEWAY_SECRET]")):
				t.Errorf("%s: the secret is not masked: %s", ct, got)
			case !holds && got != body:
				t.Errorf("%s: a clean body changed: %s", ct, got)
			case !holds && (resp.Header.Get("ETag") != `"v1"` || resp.ContentLength != int64(len(body))):
				t.Errorf("%s: a clean body lost its validator or length: ETag %q, length %d", ct, resp.Header.Get("ETag"), resp.ContentLength)
			}
			srv.Close()
		}
	}
}

// TestSecretScanKeepsCleanGzip: a clean gzip body goes out as the
// upstream encoded it to a client that accepts gzip, validators kept, and
// decoded to one that does not, without them; one holding the secret is
// masked for both.
func TestSecretScanKeepsCleanGzip(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	for _, holds := range []bool{false, true} {
		body := `{"note":"nothing to see"}`
		if holds {
			body = `{"note":"` + upstreamToken + `"}`
		}
		enc := gzipped([]byte(body))
		srv := proxyTo(t, e, BearerCredential(upstreamToken), func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Length", strconv.Itoa(len(enc)))
			_, _ = w.Write(enc)
		})
		for _, accept := range []string{"gzip", "identity"} {
			resp := e.do(srv, "GET", "/api/x", "", "", "Accept-Encoding", accept)
			got := readAll(t, resp)
			coded := resp.Header.Get("Content-Encoding") == "gzip"
			if coded {
				zr, err := gzip.NewReader(strings.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(zr)
				got = string(b)
			}
			switch {
			case coded != (accept == "gzip"):
				t.Errorf("accept %s: Content-Encoding %q", accept, resp.Header.Get("Content-Encoding"))
			case holds && (strings.Contains(got, upstreamToken) || !strings.Contains(got, "[GATEWAY_SECRET]")):
				t.Errorf("accept %s: the secret is not masked: %s", accept, got)
			case !holds && got != body:
				t.Errorf("accept %s: a clean body changed: %s", accept, got)
			case !holds && accept == "gzip" && (resp.Header.Get("ETag") != `"v1"` || resp.ContentLength != int64(len(enc))):
				t.Errorf("a clean gzip body lost its validator or length: ETag %q, length %d", resp.Header.Get("ETag"), resp.ContentLength)
			case !holds && accept == "identity" && (resp.Header.Get("ETag") != "" || resp.ContentLength != int64(len(body))):
				t.Errorf("a clean body served decoded: ETag %q, length %d", resp.Header.Get("ETag"), resp.ContentLength)
			}
		}
		srv.Close()
	}
}

// TestSecretScanStreams: with no rule masking, a streamed body without
// the gateway's secret reaches the client while the upstream is still
// writing it: the search holds back a bounded tail, never the body.
func TestSecretScanStreams(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	first := make(chan struct{})
	srv := proxyTo(t, e, BearerCredential(upstreamToken), func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, strings.Repeat("first part of the stream\n", 400))
		_ = http.NewResponseController(w).Flush()
		select {
		case <-first:
			_, _ = io.WriteString(w, "last part\n")
		case <-time.After(10 * time.Second):
			_, _ = io.WriteString(w, "the client read nothing before the last write\n")
		}
	})
	resp := e.do(srv, "GET", "/api/stream", "", "")
	defer resp.Body.Close()
	buf := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	close(first)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(rest), "last part\n") {
		t.Fatalf("the body was held until the upstream's last write: %q", rest[max(0, len(rest)-80):])
	}
}

// TestSecretScanCostsLittle: searching a JSON response for the gateway's
// secret (a proxy with a Credential, no rule masking) costs few
// allocations over a proxy without one, which masks nothing: the body
// is not parsed or rewritten.
func TestSecretScanCostsLittle(t *testing.T) {
	u, _ := url.Parse("http://upstream.example")
	allocs := func(cred Credential) float64 {
		h := benchGated(t, u, memTransport{}, cred, benchRules, noRecord)
		return testing.AllocsPerRun(200, func() {
			r := httptest.NewRequest("GET", "http://proxy.example/v1/items", nil)
			r.Header.Set("Authorization", "Bearer "+agentToken)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
		})
	}
	without, with := allocs(Credential{}), allocs(BearerCredential(upstreamToken))
	if with > without+10 {
		t.Fatalf("a JSON response searched for the gateway's secret takes %.0f allocations, %.0f without a credential", with, without)
	}
	if testing.Verbose() {
		t.Logf("%.0f allocations, %.0f without a credential", with, without)
	}
}
