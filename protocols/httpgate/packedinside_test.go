package httpgate

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"testing"
)

// insideCase is a body that holds the fixture values where the masker
// cannot read them, past its start or with no signature.
type insideCase struct {
	name, ctype string
	body        []byte
	leaks       func(got []byte) bool
}

// packedInsideCases are the family: packed data after other data (a tar
// holding a gzip, zip or raw deflate file; a JSON line, a text line or a
// multipart part's head, then a gzip or zlib stream; a PNG with a zTXt
// chunk), raw deflate in base64, base64url and hex in text and JSON, and
// binary serializations with no signature (MessagePack, CBOR, BSON,
// protobuf) served as application/octet-stream, untyped or under a type
// of no meaning.
func packedInsideCases(r *rand.Rand) []insideCase {
	unpacked := func(got []byte) bool { return leaked(clientUnpacks(got, 0)) != nil }
	var cases []insideCase
	for _, v := range []string{"name,card\nann," + fxCard + "\n", "name,email\nann," + fxEmail + "\nbob,none\n"} {
		text := []byte(v)
		junk := make([]byte, 100+r.IntN(900))
		for i := range junk {
			junk[i] = byte(r.IntN(256))
		}
		for _, c := range []struct {
			name, ctype string
			body        []byte
		}{
			{"gzip in tar", "application/x-tar", tarOf("export.csv.gz", gzipped(text))},
			{"gzip in tar as octet-stream", "application/octet-stream", tarOf("export.csv.gz", gzipped(text))},
			{"zip in tar", "application/x-tar", tarOf("export.zip", zipOf("a.csv", text))},
			{"raw deflate in tar", "application/x-tar", tarOf("export.deflate", flateOf(text))},
			{"json line then gzip", "application/x-ndjson", append([]byte("{\"ok\":true}\n"), gzipped(text)...)},
			{"json then gzip", "application/json", append([]byte("{\"ok\":true}\n"), gzipped(text)...)},
			{"text then gzip", "text/plain", append([]byte("export:\n"), gzipped(text)...)},
			{"text then zlib", "text/csv", append([]byte("export:\n"), zlibOf(text)...)},
			{"text then zlib x^", "text/plain", append([]byte("export:\n"), zlibLevel(text, 4)...)},
			{"csv then zlib untyped", "", append([]byte("id,name\n1,ann\n"), zlibOf(text)...)},
			{"multipart gzip part", "application/octet-stream", append(append([]byte("--b\r\nContent-Type: application/gzip\r\n\r\n"), gzipped(text)...), "\r\n--b--\r\n"...)},
			{"junk then gzip", "application/octet-stream", append(junk, gzipped(text)...)},
			{"png with zTXt", "image/png", append(append([]byte(pngish[:16]+"zTXtComment\x00\x00"), zlibOf(text)...), "\x00\x00\x00\x00IEND"...)},
			{"base64 raw deflate in json", "application/json", []byte(`{"file":"` + base64.StdEncoding.EncodeToString(flateOf(text)) + `"}`)},
			{"base64url raw deflate in text", "text/plain", []byte("x=" + base64.RawURLEncoding.EncodeToString(flateOf(text)) + "\n")},
			{"hex raw deflate in text", "text/plain", []byte("dump " + hex.EncodeToString(flateOf(text)) + " end\n")},
			{"base64 raw deflate in ndjson", "application/x-ndjson", []byte(`{"file":"` + base64.StdEncoding.EncodeToString(flateOf(text)) + `"}` + "\n")},
		} {
			cases = append(cases, insideCase{c.name, c.ctype, c.body, unpacked})
		}
	}
	csv := bytes.Repeat([]byte("id,name,note\n1,ann,none\n"), 30)
	for _, c := range binaryNumbers() {
		for _, ct := range []string{"application/octet-stream", "", "application/x-custom", "binary/octet-stream", "application/json", "application/x-ndjson"} {
			cases = append(cases, insideCase{c.name + " as " + ct, ct, c.body, c.leaks})
		}
		// Text for the first bytes a server sniffs, then the numbers.
		cases = append(cases, insideCase{c.name + " after text", "application/octet-stream", append(csv, c.body...), c.leaks})
	}
	return cases
}

// TestPackedInsideNotSentUnderMask serves, under a rule that masks cards
// and e-mail addresses, every packedInsideCases body, with and without a
// gzip Content-Encoding, through the proxy and the middleware, and
// unpacks what the client received: none may hold a value.
func TestPackedInsideNotSentUnderMask(t *testing.T) {
	cur := make(chan insideCase, 1)
	coded := make(chan bool, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, gz := <-cur, <-coded
		if c.ctype != "" {
			w.Header().Set("Content-Type", c.ctype)
		} else {
			w.Header()["Content-Type"] = nil
		}
		body := c.body
		if gz {
			w.Header().Set("Content-Encoding", "gzip")
			body = gzipped(body)
		}
		half := len(body) / 2
		w.Write(body[:half])
		http.NewResponseController(w).Flush()
		w.Write(body[half:])
	})
	srvs := leakEnv(t, h)
	r := rand.New(rand.NewPCG(71, 72))
	total, through := 0, 0
	for i, c := range packedInsideCases(r) {
		for name, srv := range srvs {
			cur <- c
			coded <- i%3 == 0
			raw := rawExchange(t, srv, "GET", "/export")
			total++
			if len(raw) == 0 {
				continue // the connection closed before a response: refused
			}
			p := parseExchange(t, raw, "GET")
			if c.leaks(p.body) {
				through++
				t.Logf("%s: %s (Content-Type %q) reached the client with the value (status %d)", name, c.name, c.ctype, p.status)
			}
		}
	}
	t.Logf("%d of %d bodies reached the client with the value", through, total)
	if through > 0 {
		t.Errorf("%d of %d bodies reached the client with the value", through, total)
	}
}

// TestMediaAndTextPassUnderMask: under a mask, images and text served as
// application/octet-stream (its bytes are text) still pass, masked.
func TestMediaAndTextPassUnderMask(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/png":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte(pngish))
		case "/csv":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte("name,card\nann," + fxCard + "\n"))
		}
	})
	for name, srv := range leakEnv(t, h) {
		p := parseExchange(t, rawExchange(t, srv, "GET", "/png"), "GET")
		if p.status != 200 || !bytes.Equal(p.body, []byte(pngish)) {
			t.Errorf("%s /png: got %d %q", name, p.status, p.body)
		}
		p = parseExchange(t, rawExchange(t, srv, "GET", "/csv"), "GET")
		if p.status != 200 || leaked(p.body) != nil || !bytes.HasPrefix(p.body, []byte("name,card\nann,")) {
			t.Errorf("%s /csv: got %d %q", name, p.status, p.body)
		}
	}
}

func zlibLevel(b []byte, level int) []byte {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, level)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}
