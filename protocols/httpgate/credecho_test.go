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
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// randSecret is a random token of n bytes in the characters tokens use.
func randSecret(r *rand.Rand, n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/-"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// randCredential returns a credential and the secrets it carries that a
// client must never read back.
func randCredential(r *rand.Rand) (Credential, []string) {
	tok := randSecret(r, 12+r.IntN(30))
	switch r.IntN(3) {
	case 0:
		return BearerCredential(tok), []string{tok}
	case 1:
		user, pw := "svc"+fmt.Sprint(r.IntN(100)), randSecret(r, 8+r.IntN(20))
		b := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
		return Credential{Header: "Authorization", Value: "Basic " + b}, []string{pw, b}
	}
	return HeaderCredential("X-Api-Key", tok), []string{tok}
}

// reflect is what an echoing upstream makes of the credential it got.
var reflections = []func(r *rand.Rand, v string) string{
	func(_ *rand.Rand, v string) string { return v },
	func(_ *rand.Rand, v string) string { _, tok, _ := strings.Cut(v, " "); return tok },
	func(_ *rand.Rand, v string) string { return url.QueryEscape(v) },
	func(_ *rand.Rand, v string) string { return url.PathEscape(v) },
	func(_ *rand.Rand, v string) string { return strings.ReplaceAll(v, "/", `\/`) },
	func(_ *rand.Rand, v string) string { return html.EscapeString(v) },
	func(_ *rand.Rand, v string) string {
		var b strings.Builder
		for _, c := range v {
			fmt.Fprintf(&b, "&#%d;", c)
		}
		return b.String()
	},
	func(r *rand.Rand, v string) string {
		// Inside a longer base64 text, at any alignment.
		blob := randSecret(r, r.IntN(7)) + "Authorization: " + v + randSecret(r, r.IntN(7))
		if r.IntN(2) == 0 {
			return base64.URLEncoding.EncodeToString([]byte(blob))
		}
		return base64.StdEncoding.EncodeToString([]byte(blob))
	},
	func(_ *rand.Rand, v string) string {
		// The pair of a Basic credential, decoded.
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, "Basic ")); err == nil {
			return string(raw)
		}
		return v
	},
}

// echoBody wraps the reflected values in a body of content type ct.
func echoBody(ct string, vals []string) []byte {
	switch ct {
	case "application/json":
		b, _ := json.Marshal(map[string]any{"headers": vals})
		return b
	case "text/html":
		return []byte("<html><body><pre>" + strings.Join(vals, "</pre><pre>") + "</pre></body></html>")
	}
	return []byte(strings.Join(vals, "\n") + "\n")
}

var b64Run = regexp.MustCompile(`[A-Za-z0-9+/_=-]{8,}`)

// clientReadings are what a client can decode from what it received.
func clientReadings(s string) []string {
	out := []string{s, html.UnescapeString(s), strings.ReplaceAll(s, `\/`, "/")}
	if u, err := url.QueryUnescape(s); err == nil {
		out = append(out, u)
	}
	if u, err := url.PathUnescape(s); err == nil {
		out = append(out, u)
	}
	for _, run := range b64Run.FindAllString(s, -1) {
		for off := range 4 {
			if off >= len(run) {
				break
			}
			r := run[off:]
			r = r[:len(r)/4*4]
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				if b, err := enc.DecodeString(r); err == nil {
					out = append(out, string(b))
				}
			}
		}
	}
	return out
}

// credLeaked reports which secret a client reads back from s, if any.
func credLeaked(s string, secrets []string) string {
	for _, v := range clientReadings(s) {
		for _, sec := range secrets {
			if strings.Contains(v, sec) {
				return sec
			}
		}
	}
	return ""
}

// TestCredentialEchoGenerated: an upstream that reflects the request's
// headers (httpbin, a debug endpoint) in random encodings, in the body of
// random types (gzip or not) and in response headers, never hands the
// gateway's credential to the client or the record, under a mask or none.
func TestCredentialEchoGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 1))
	for _, rules := range []string{testRules, strings.ReplaceAll(testRules, "mask: [credit_card]", "action: allow")} {
		e := newEnvWith(t, gate.Hold, rules, nil, nil)
		var all []string
		for i := range genN(60) {
			cred, secrets := randCredential(r)
			all = append(all, secrets...)
			ct := []string{"text/plain", "application/json", "text/html", "application/octet-stream", "application/x-ndjson"}[r.IntN(5)]
			gz := r.IntN(2) == 0
			seed := r.Uint64()
			srv := proxyTo(t, e, cred, func(w http.ResponseWriter, req *http.Request) {
				rr := rand.New(rand.NewPCG(seed, 2))
				got := req.Header.Get(cred.Header)
				var vals []string
				for range 1 + rr.IntN(3) {
					vals = append(vals, reflections[rr.IntN(len(reflections))](rr, got))
				}
				w.Header().Set("Content-Type", ct)
				w.Header().Set("X-Echo", vals[0])
				b := echoBody(ct, vals)
				if gz {
					var buf bytes.Buffer
					zw := gzip.NewWriter(&buf)
					_, _ = zw.Write(b)
					_ = zw.Close()
					b = buf.Bytes()
					w.Header().Set("Content-Encoding", "gzip")
				}
				writeChunked(w, rr, b)
			})
			resp := e.do(srv, "GET", "/api/echo", "", "")
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("case %d (%s, %s, gzip %v): %v; errors: %v", i, cred.Header, ct, gz, err, e.events(gate.EventError))
			}
			body := string(b)
			var hdr strings.Builder
			_ = resp.Header.Write(&hdr)
			if s := credLeaked(hdr.String()+body, secrets); s != "" {
				t.Fatalf("case %d (%s, %s, gzip %v): the client reads the credential %q back from\n%s%s", i, cred.Header, ct, gz, s, hdr.String(), body)
			}
			srv.Close()
		}
		if s := credLeaked(outputsRecorded(e), all); s != "" {
			t.Fatalf("the record holds %q", s)
		}
	}
}

// outputsRecorded is the data of every recorded output event.
func outputsRecorded(e *env) string {
	var b strings.Builder
	for _, o := range e.events(gate.EventOutput) {
		b.Write(o.Output.Data)
		b.WriteByte('\n')
	}
	return b.String()
}
