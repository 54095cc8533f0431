package httpgate

import (
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// packedCase is one packed body: what the upstream sends, and how to tell
// whether what the client received still holds the value.
type packedCase struct {
	name, ctype string
	body        []byte
	leaks       func(got []byte) bool
}

// unpackLeaks judges a body by unpacking it; carrier is a run of bytes
// that holds the value in the packed form (a compressed stream, a binary
// number), found by search where there is no decoder.
func unpackLeaks(unpack func([]byte) ([]byte, error), carrier []byte) func([]byte) bool {
	return func(got []byte) bool {
		if len(carrier) > 0 && bytes.Contains(got, carrier) {
			return true
		}
		if unpack == nil {
			return false
		}
		// A cut stream still yields what was sent of it.
		plain, _ := unpack(got)
		return len(plain) > 0 && leaked(plain) != nil
	}
}

func readerUnpack(open func(io.Reader) (io.Reader, error)) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		r, err := open(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}
}

func zlibbed(s string) []byte {
	var buf bytes.Buffer
	z := zlib.NewWriter(&buf)
	io.WriteString(z, s)
	z.Close()
	return buf.Bytes()
}

func zipped(s string) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, _ := z.Create("export.csv")
	io.WriteString(w, s)
	z.Close()
	return buf.Bytes()
}

// pdfWith is a one-page PDF whose content stream (FlateDecode) shows s.
func pdfWith(s string) []byte {
	stream := zlibbed("BT /F1 12 Tf 72 712 Td (" + s + ") Tj ET")
	return []byte(fmt.Sprintf("%%PDF-1.4\n4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n%%%%EOF\n", len(stream), stream))
}

func unzipAll(b []byte) ([]byte, error) {
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		p, _ := io.ReadAll(r)
		out = append(out, p...)
	}
	return out, nil
}

func unpdf(b []byte) ([]byte, error) {
	_, rest, ok := bytes.Cut(b, []byte("stream\n"))
	if !ok {
		return nil, io.ErrUnexpectedEOF
	}
	return readerUnpack(zlibReader)(rest)
}

// packedFixtures are bodies made by the bzip2, xz, zstd and lz4 tools (no
// encoder in the standard library) of "card 4111 1111 1111 1111 end" and
// "owner ann@example.com end".
var packedFixtures = []struct{ name, ctype, hex string }{
	{"bzip2", "application/x-bzip2", "425a68393141592653597ab6961500000cd9804000400024002e011000200031003012835327a5049935102419e6d37c2ee48a70a120f56d2c2a"},
	{"bzip2", "application/x-bzip2", "425a6839314159265359f1cbd01600000a1580400140002e07d0c02000314c00014d3d11934f29ea9ea8d8b1a926de9028c71be2ee48a70a121e397a02c0"},
	{"xz", "application/x-xz", "fd377a585a000004e6d6b4460200210116000000742fe5a3e0001b00135d0031984aaad8c9b84400a918d525eb0618b24d950000a5a6316672c4e03a00012f1c09d19b261fb6f37d010000000004595a"},
	{"xz", "application/x-xz", "fd377a585a000004e6d6b4460200210116000000742fe5a30100186f776e657220616e6e406578616d706c652e636f6d20656e6400000000a56b73bfae1f512c00013119591ab0821fb6f37d010000000004595a"},
	{"zstd", "application/zstd", "28b52ffd241ca50000706361726420343131312031656e640100908b17092ef99f"},
	{"zstd", "application/zstd", "28b52ffd2419c900006f776e657220616e6e406578616d706c652e636f6d20656e645daeb62a"},
	{"lz4", "application/x-lz4", "04224d186440a714000000b863617264203431313120310500503120656e64000000006d6e3156"},
	{"lz4", "application/x-lz4", "04224d186440a7190000806f776e657220616e6e406578616d706c652e636f6d20656e6400000000cfaa30f7"},
}

// binaryNumbers are serializations of {"card": 4111111111111111} that
// write the number in binary: MessagePack, CBOR, BSON, protobuf.
func binaryNumbers() []packedCase {
	const n = uint64(4111111111111111)
	be := binary.BigEndian.AppendUint64(nil, n)
	le := binary.LittleEndian.AppendUint64(nil, n)
	varint := binary.AppendUvarint(nil, n)
	return []packedCase{
		{name: "msgpack", ctype: "application/msgpack", body: append([]byte("\x81\xa4card\xcf"), be...), leaks: unpackLeaks(nil, be)},
		{name: "msgpack", ctype: "application/x-msgpack", body: append([]byte("\x81\xa4card\xcf"), be...), leaks: unpackLeaks(nil, be)},
		{name: "cbor", ctype: "application/cbor", body: append([]byte("\xa1\x64card\x1b"), be...), leaks: unpackLeaks(nil, be)},
		{name: "cbor", ctype: "application/vnd.example+cbor", body: append([]byte("\xd9\xd9\xf7\xa1\x64card\x1b"), be...), leaks: unpackLeaks(nil, be)},
		{name: "bson", ctype: "application/bson", body: append(append([]byte("\x13\x00\x00\x00\x12card\x00"), le...), 0), leaks: unpackLeaks(nil, le)},
		{name: "protobuf", ctype: "application/x-protobuf", body: append([]byte{0x08}, varint...), leaks: unpackLeaks(nil, varint)},
		{name: "protobuf", ctype: "application/grpc", body: append([]byte{0, 0, 0, 0, byte(1 + len(varint)), 0x08}, varint...), leaks: unpackLeaks(nil, varint)},
	}
}

// packedCases are the family: every packed format of both values, under
// its own type, as application/octet-stream, without a type and (for
// those with one) under the type of another format; the compressed ones
// also under a Content-Encoding the gateway decodes.
func packedCases(t *testing.T) []packedCase {
	var cases []packedCase
	gz := readerUnpack(gzipReader)
	zl := readerUnpack(zlibReader)
	bz := readerUnpack(func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil })
	for _, v := range []string{"name,card\nann," + fxCard + "\n", "name,email\nann," + fxEmail + "\n"} {
		cases = append(cases,
			packedCase{name: "gzip", ctype: "application/gzip", body: gzipped([]byte(v)), leaks: unpackLeaks(gz, nil)},
			packedCase{name: "zlib", ctype: "application/zlib", body: zlibbed(v), leaks: unpackLeaks(zl, nil)},
			packedCase{name: "zip", ctype: "application/zip", body: zipped(v), leaks: unpackLeaks(unzipAll, nil)},
			packedCase{name: "xlsx", ctype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body: zipped(v), leaks: unpackLeaks(unzipAll, nil)},
			packedCase{name: "pdf", ctype: "application/pdf", body: pdfWith(v), leaks: unpackLeaks(unpdf, nil)},
			packedCase{name: "deflate", ctype: "application/octet-stream", body: deflatedRaw(v), leaks: unpackLeaks(readerUnpack(flateReader), nil)},
		)
	}
	for _, f := range packedFixtures {
		b, err := hex.DecodeString(f.hex)
		if err != nil {
			t.Fatal(err)
		}
		var unpack func([]byte) ([]byte, error)
		if f.name == "bzip2" {
			unpack = bz
		}
		// The compressed stream after the format's header.
		cases = append(cases, packedCase{name: f.name, ctype: f.ctype, body: b, leaks: unpackLeaks(unpack, b[12:len(b)-4])})
	}
	cases = append(cases, binaryNumbers()...)
	var all []packedCase
	for _, c := range cases {
		all = append(all, c)
		for _, ct := range []string{"application/octet-stream", "", "application/x-custom"} {
			if c.name == "msgpack" || c.name == "bson" || c.name == "protobuf" || (c.name == "cbor" && c.body[0] != 0xd9) {
				// No signature: known by their type alone.
				continue
			}
			d := c
			d.name, d.ctype = c.name+" as "+ct, ct
			all = append(all, d)
		}
	}
	return all
}

// TestPackedBodiesNotSentUnderMask serves, under a rule that masks cards
// and e-mail addresses, bodies that hold them packed — compressed (gzip,
// zlib, bzip2, xz, zstd, lz4), in an archive or document (zip, xlsx, PDF)
// or as binary numbers (MessagePack, CBOR, BSON, protobuf) — in random
// chunks, through the proxy and the middleware, and unpacks what the
// client received. The masker reads none of them; the client unpacks
// them. Each must be refused (or cut) rather than sent.
func TestPackedBodiesNotSentUnderMask(t *testing.T) {
	total, through := servedUnderMask(t, packedCases(t))
	t.Logf("%d of %d packed bodies reached the client with the value", through, total)
}

// servedUnderMask serves each case, under leakRules' mask, through the
// proxy and the middleware (every third with a gzip Content-Encoding),
// in two flushed halves, and fails the test for each client that
// received the value; it returns how many exchanges there were and how
// many leaked. A connection closed before a response is a refusal.
func servedUnderMask(t *testing.T, cases []packedCase) (total, through int) {
	t.Helper()
	cur := make(chan packedCase, 1)
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
	for i, c := range cases {
		for name, srv := range srvs {
			cur <- c
			coded <- i%3 == 0
			raw := rawExchange(t, srv, "GET", "/export")
			total++
			if len(raw) == 0 {
				continue
			}
			p := parseExchange(t, raw, "GET")
			if c.leaks(p.body) {
				through++
				t.Errorf("%s: %s body (Content-Type %q) reached the client unpackable (status %d)", name, c.name, c.ctype, p.status)
			}
		}
	}
	return total, through
}

// TestPackedBodiesPassWithoutRuleMask: where no rule masks (a proxy that
// only hides its own credential), packed bodies pass as sent; text and
// images still pass under a mask.
func TestPackedBodiesPassWithoutRuleMask(t *testing.T) {
	zipBody := zipped("name,card\nann,none\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/zip":
			w.Header().Set("Content-Type", "application/zip")
			w.Write(zipBody)
		case "/png":
			w.Header().Set("Content-Type", "image/png")
			io.WriteString(w, pngish)
		case "/csv":
			// A CSV as many APIs serve it: text under a spreadsheet type.
			w.Header().Set("Content-Type", "application/vnd.ms-excel")
			io.WriteString(w, "name,note\nann,none\n")
		case "/hk":
			// Text that starts like a zlib header ("HK", "x^").
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "HKEY_LOCAL_MACHINE x^2")
		}
	})
	srvs := leakEnv(t, h)
	for name, srv := range srvs {
		for path, want := range map[string]string{"/png": pngish, "/hk": "HKEY_LOCAL_MACHINE x^2", "/csv": "name,note\nann,none\n"} {
			p := parseExchange(t, rawExchange(t, srv, "GET", path), "GET")
			if p.status != 200 || string(p.body) != want {
				t.Errorf("%s %s: got %d %q, want 200 %q", name, path, p.status, p.body, want)
			}
		}
		p := parseExchange(t, rawExchange(t, srv, "GET", "/zip"), "GET")
		if p.status != http.StatusBadGateway || !strings.Contains(string(p.body), "unmaskable") {
			t.Errorf("%s: a zip under a mask got %d %q, want 502 unmaskable", name, p.status, p.body)
		}
	}
	// A proxy with a credential and no rule mask: the zip passes.
	e := newEnvWith(t, gate.Hold, `
default: allow
rules: []
`, nil, nil)
	srv := proxyTo(t, e, BearerCredential(upstreamToken), h)
	p := parseExchange(t, rawExchange(t, srv, "GET", "/zip"), "GET")
	if p.status != 200 || !bytes.Equal(p.body, zipBody) {
		t.Errorf("zip without a rule mask: got %d (%d bytes), want 200 and the zip", p.status, len(p.body))
	}
}

// deflatedRaw is s as raw deflate, which has no signature.
func deflatedRaw(s string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

func flateReader(r io.Reader) (io.Reader, error) { return flate.NewReader(r), nil }
