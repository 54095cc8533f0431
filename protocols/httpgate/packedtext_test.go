package httpgate

import (
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// encodedRun is a run of base64 (either alphabet) or hex characters.
var encodedRun = regexp.MustCompile(`[A-Za-z0-9+/_=-]{16,}`)

// unpacksToValue reports whether some encoded run of b (after a '/' or
// not) decodes to packed data that unpacks to a value the mask hides.
func unpacksToValue(b []byte) bool {
	unpackers := []func([]byte) bool{
		unpackLeaks(readerUnpack(gzipReader), nil), unpackLeaks(readerUnpack(zlibReader), nil),
		unpackLeaks(unzipAll, nil), unpackLeaks(unpdf, nil),
	}
	for _, run := range encodedRun.FindAll(b, -1) {
		for _, r := range append([]string{string(run)}, strings.Split(string(run), "/")...) {
			var decoded [][]byte
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				if d, err := enc.DecodeString(r); err == nil {
					decoded = append(decoded, d)
				}
			}
			if d, err := hex.DecodeString(r); err == nil {
				decoded = append(decoded, d)
			}
			for _, d := range decoded {
				for _, u := range unpackers {
					if u(d) {
						return true
					}
				}
			}
		}
	}
	return false
}

// TestEncodedPackedDataNotSentUnderMask serves, under a rule that masks
// cards and e-mail addresses, text that carries them packed and encoded —
// the base64, base64url or hex of a gzip, zlib, zip or PDF file — in a
// plain text, a JSON string, a data: URI, an HTML attribute, an event
// stream and JSON lines, in random chunks, through the proxy and the
// middleware. The masker reads base64 and hex, not what they unpack to:
// each must be refused or cut before the packed data reaches the client.
func TestEncodedPackedDataNotSentUnderMask(t *testing.T) {
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
	rnd := newRand(t)
	payloads := map[string]func(string) []byte{"gzip": gzipString, "zlib": zlibbed, "zip": zipped, "pdf": pdfWith}
	encs := map[string]func([]byte) string{"base64": base64.StdEncoding.EncodeToString, "base64url": base64.RawURLEncoding.EncodeToString, "hex": hex.EncodeToString}
	carriers := []struct{ ctype, format string }{
		{"text/plain", "export: %s\n"}, {"application/json", `{"file":"%s","name":"export.csv"}`},
		{"application/json", `{"data":{"url":"data:application/zip;base64,%s"}}`}, {"text/html", `<a href="/files/%s">export</a>`},
		{"text/event-stream", "data: {\"chunk\":\"%s\"}\n\n"}, {"application/x-ndjson", "{\"part\":\"%s\"}\n"},
		{"text/csv", "id,blob\n1,%s\n"},
	}
	total, through := 0, 0
	for name, p := range payloads {
		for en, enc := range encs {
			for _, c := range carriers {
				for _, v := range []string{"name,card\nann," + fxCard + "\n", "name,email\nann," + fxEmail + "\n"} {
					body := []byte(fmt.Sprintf(c.format, enc(p(v))))
					var cuts []int
					for range rnd.IntN(3) {
						cuts = append(cuts, rnd.IntN(len(body)+1))
					}
					sortInts(cuts)
					for srvName, srv := range srvs {
						cur <- gen{ctype: c.ctype, body: body, cuts: cuts}
						raw := rawExchange(t, srv, "GET", "/export")
						total++
						if len(raw) == 0 {
							continue // cut before anything was sent
						}
						got := parseExchange(t, raw, "GET")
						if unpacksToValue(got.body) {
							through++
							t.Errorf("%s: %s in %s under %s reached the client (status %d)", srvName, name, en, c.ctype, got.status)
						}
					}
				}
			}
		}
	}
	t.Logf("%d of %d encoded packed bodies reached the client with the value", through, total)
}

func gzipString(s string) []byte { return gzipped([]byte(s)) }

func gzipReader(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }

func zlibReader(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) }

// TestEncodedPackedFieldsDropped: a response field (final, trailer)
// holding the base64 or hex of a gzip or zip file with a card is dropped
// under a mask; other fields stay.
func TestEncodedPackedFieldsDropped(t *testing.T) {
	values := []string{base64.StdEncoding.EncodeToString(gzipString("card " + fxCard)), hex.EncodeToString(zipped("mail " + fxEmail)),
		"attachment; data=" + base64.RawURLEncoding.EncodeToString(gzipString(fxCard))}
	cur := make(chan string, 1)
	srvs := leakEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := <-cur
		w.Header().Set("X-Export", v)
		w.Header().Set("X-Kept", "plain")
		w.Header().Set("Trailer", "X-Sum")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
		w.Header().Set("X-Sum", v)
	}))
	through := 0
	for name, srv := range srvs {
		for _, v := range values {
			cur <- v
			raw := rawExchange(t, srv, "GET", "/export")
			if unpacksToValue(raw) {
				through++
				t.Errorf("%s: %q reached the client", name, v)
			}
			if p := parseExchange(t, raw, "GET"); p.header.Get("X-Kept") != "plain" {
				t.Errorf("%s: X-Kept lost: %v", name, p.header)
			}
		}
	}
	t.Logf("%d of %d fields reached the client unpackable", through, 2*len(values))
}
