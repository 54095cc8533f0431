package httpgate

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// packedInsideCases are the family: packed data after other data (a tar
// holding a gzip, zip or raw deflate file; a JSON line, a text line or a
// multipart part's head, then a gzip or zlib stream; a PNG with a zTXt
// chunk), raw deflate in base64, base64url and hex in text and JSON, and
// binary serializations with no signature (MessagePack, CBOR, BSON,
// protobuf) served as application/octet-stream, untyped or under a type
// of no meaning.
func packedInsideCases(r *rand.Rand) []packedCase {
	unpacked := func(got []byte) bool {
		// What a client reads, and that text encoded as ISO 8859-1.
		lat := make([]byte, 0, len(got))
		for _, r := range string(got) {
			lat = append(lat, byte(r))
		}
		return leaked(clientUnpacks(got, 0)) != nil || leaked(clientUnpacks(lat, 0)) != nil
	}
	var cases []packedCase
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
			{"gzip in latin-1 text", "text/plain; charset=iso-8859-1", append([]byte("export:\n"), gzipped(text)...)},
			{"gzip without NUL in latin-1 text", "text/plain; charset=iso-8859-1", append([]byte("export:\n"), gzipNoNUL(text)...)},
			{"gzip without NUL in text", "text/plain", append([]byte("export:\n"), gzipNoNUL(text)...)},
			{"gzip without NUL in windows-1252 json", "application/json; charset=windows-1252", append([]byte("{}\n"), gzipNoNUL(text)...)},
			{"gzip in windows-1252 csv", "text/csv; charset=windows-1252", append([]byte("id\n"), gzipped(text)...)},
			{"gzip as json escapes", "application/json", []byte(`{"file":"` + latin1Escaped(gzipped(text)) + `"}`)},
			{"zlib as latin-1 characters in json", "application/json", []byte(`{"file":"` + latin1Raw(zlibOf(text)) + `"}`)},
			{"base64 raw deflate in json", "application/json", []byte(`{"file":"` + base64.StdEncoding.EncodeToString(flateOf(text)) + `"}`)},
			{"base64url raw deflate in text", "text/plain", []byte("x=" + base64.RawURLEncoding.EncodeToString(flateOf(text)) + "\n")},
			{"hex raw deflate in text", "text/plain", []byte("dump " + hex.EncodeToString(flateOf(text)) + " end\n")},
			{"base64 raw deflate in ndjson", "application/x-ndjson", []byte(`{"file":"` + base64.StdEncoding.EncodeToString(flateOf(text)) + `"}` + "\n")},
		} {
			cases = append(cases, packedCase{c.name, c.ctype, c.body, unpacked})
		}
	}
	csv := bytes.Repeat([]byte("id,name,note\n1,ann,none\n"), 30)
	for _, c := range binaryNumbers() {
		for _, ct := range []string{"application/octet-stream", "", "application/x-custom", "binary/octet-stream", "application/json", "application/x-ndjson"} {
			cases = append(cases, packedCase{c.name + " as " + ct, ct, c.body, c.leaks})
		}
		// Text for the first bytes a server sniffs, then the numbers.
		cases = append(cases, packedCase{c.name + " after text", "application/octet-stream", append(csv, c.body...), c.leaks})
	}
	return cases
}

// TestPackedInsideNotSentUnderMask serves, under a rule that masks cards
// and e-mail addresses, every packedInsideCases body, with and without a
// gzip Content-Encoding, through the proxy and the middleware, and
// unpacks what the client received: none may hold a value.
func TestPackedInsideNotSentUnderMask(t *testing.T) {
	total, through := servedUnderMask(t, packedInsideCases(rand.New(rand.NewPCG(71, 72))))
	t.Logf("%d of %d bodies reached the client with the value", through, total)
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

// latin1Escaped writes b as a JSON string's content, each byte the
// character of its value, escaped (\u00XX) where not printable ASCII.
func latin1Escaped(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\u%04x", c)
		}
	}
	return sb.String()
}

// latin1Raw writes b as a JSON string's content, each byte the character
// of its value in UTF-8, escaped only where JSON requires it.
func latin1Raw(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			fmt.Fprintf(&sb, "\\u%04x", c)
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// gzipNoNUL is the start of a gzip file of b with no NUL byte (a text
// body's NUL stops it): a header with a modification time, the text flag
// and extra flags set, and the deflate stream up to its first NUL (the
// empty final block that closes it), which still inflates to b.
func gzipNoNUL(b []byte) []byte {
	for pad := range 200 {
		for level := 1; level <= 9; level++ {
			var buf bytes.Buffer
			w, _ := flate.NewWriter(&buf, level)
			w.Write(b)
			w.Write(bytes.Repeat([]byte{'a' + byte(pad%26)}, pad))
			w.Close()
			d := buf.Bytes()
			if i := bytes.IndexByte(d, 0); i >= 0 {
				d = d[:i]
			}
			if got, _ := io.ReadAll(flate.NewReader(bytes.NewReader(d))); bytes.Contains(got, b) {
				return append([]byte("\x1f\x8b\x08\x01\x11\x22\x33\x44\x02\x03"), d...)
			}
		}
	}
	panic("no level wrote a stream without NUL")
}
