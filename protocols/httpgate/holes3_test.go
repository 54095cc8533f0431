package httpgate

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/packed"
)

// The third red-team round's families: raw deflate and zlib (any window)
// at any offset; data behind the first bytes of an image; PDF streams
// under LZW, ASCII85, ASCIIHex and run-length filters and their chains;
// protobuf in a text or JSON body.

// flateLevel is b as raw deflate at level.
func flateLevel(b []byte, level int) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, level)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// zlibWindow is b as zlib with the header of a window of 1<<(8+cinfo)
// bytes (b is short: the stream's distances fit any window).
func zlibWindow(b []byte, cinfo int) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	z := buf.Bytes()
	z[0] = byte(cinfo<<4 | 8)
	z[1] = 0
	z[1] = byte(31 - (uint(z[0])<<8)%31)
	if z[1] == 31 {
		z[1] = 0
	}
	return z
}

// textHeader is printable text of n bytes (lines of words).
func textHeader(r *rand.Rand, n int) []byte {
	words := []string{"export", "report", "id", "name", "status", "ok", "rows", "generated", "by", "tool", "v2"}
	var b []byte
	for len(b) < n {
		if r.IntN(8) == 0 {
			b = append(b, '\n')
		} else {
			b = append(b, words[r.IntN(len(words))]...)
			b = append(b, ' ')
		}
	}
	return b[:n]
}

// oddLen is a random length in [1, max) that is not a multiple of 512.
func oddLen(r *rand.Rand, max int) int {
	for {
		if n := 1 + r.IntN(max-1); n%512 != 0 {
			return n
		}
	}
}

func junkOf(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// deflatePayloads are text as raw deflate at four levels and as zlib
// with every window but the default one, each named.
func deflatePayloads(text []byte) (names []string, bodies [][]byte) {
	for _, l := range []int{1, 5, 9, flate.HuffmanOnly} {
		names = append(names, fmt.Sprintf("raw deflate level %d", l))
		bodies = append(bodies, flateLevel(text, l))
	}
	for c := range 7 {
		names = append(names, fmt.Sprintf("zlib CINFO %d", c))
		bodies = append(bodies, zlibWindow(text, c))
	}
	return names, bodies
}

// deflateAtOffsetCases: raw deflate or zlib of a non-default window after
// a text header, after random bytes, after a GIF's first bytes, each of a
// length that is not a tar block's.
func deflateAtOffsetCases(r *rand.Rand) []packedCase {
	var cases []packedCase
	for _, v := range []string{"name,card\nann," + fxCard + "\n", "name,email\nann," + fxEmail + "\nbob,none\n"} {
		names, payloads := deflatePayloads([]byte(v))
		for i, p := range payloads {
			leaks := unpackLeaks(nil, p)
			text := textHeader(r, oddLen(r, 700))
			gifHead := append([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), junkOf(r, oddLen(r, 300))...)
			for _, c := range []struct {
				prefix string
				ctype  string
				head   []byte
			}{
				{"text", "text/plain", text},
				{"text", "application/octet-stream", text},
				{"text", "", text},
				{"GIF", "image/gif", gifHead},
				{"GIF", "application/octet-stream", gifHead},
				{"junk", "application/octet-stream", junkOf(r, oddLen(r, 900))},
			} {
				body := append(append([]byte(nil), c.head...), p...)
				cases = append(cases, packedCase{names[i] + " after " + c.prefix, c.ctype, body, leaks})
			}
		}
	}
	return cases
}

// TestDeflateAtAnyOffsetUnderMask: under a mask, raw deflate and zlib
// streams of any window at offsets that are not 512-byte blocks.
func TestDeflateAtAnyOffsetUnderMask(t *testing.T) {
	total, through := servedUnderMask(t, deflateAtOffsetCases(rand.New(rand.NewPCG(301, 302))))
	t.Logf("%d of %d bodies reached the client with the value", through, total)
}

// credentialProbes serves each body behind a proxy presenting a random
// credential and no rule mask, with a length or streamed, and counts the
// responses that still carry the body's carrier (the packed credential).
// pack makes a body and its carrier from the credential's text.
func credentialProbes(t *testing.T, r *rand.Rand, ctypes []string, pack func(r *rand.Rand, text []byte) (name string, body, carrier []byte)) (probes, leaks int) {
	t.Helper()
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	for _, ct := range ctypes {
		for v := range 2 {
			secret := randSecret(r, 20+r.IntN(20))
			text := []byte(fmt.Sprintf("id,owner,note\n%d,ann,request headers: Authorization: Bearer %s; more text\n", r.IntN(1000), secret))
			name, body, carrier := pack(r, text)
			withLength := v == 0
			srv := proxyTo(t, e, BearerCredential(secret), func(w http.ResponseWriter, _ *http.Request) {
				if ct != "" {
					w.Header().Set("Content-Type", ct)
				} else {
					w.Header()["Content-Type"] = nil
				}
				if withLength {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				}
				w.Write(body[:len(body)/2])
				http.NewResponseController(w).Flush()
				w.Write(body[len(body)/2:])
			})
			status, got := fetchTolerant(t, srv.URL+"/export")
			srv.Close()
			probes++
			if bytes.Contains(got, carrier) || bytes.Contains(got, []byte(secret)) {
				leaks++
				t.Errorf("%s as %q (length %v): the credential reached the client (status %d)", name, ct, withLength, status)
			}
		}
	}
	return probes, leaks
}

// TestCredentialDeflateAtAnyOffset: the gateway's credential as raw
// deflate or zlib of any window, at an offset that is not a tar block's.
func TestCredentialDeflateAtAnyOffset(t *testing.T) {
	r := rand.New(rand.NewPCG(303, 304))
	probes, leaks := 0, 0
	for k := range 11 {
		for _, prefix := range []string{"text", "junk", "GIF"} {
			p, l := credentialProbes(t, r, []string{"application/octet-stream", "application/x-custom"}, func(r *rand.Rand, text []byte) (string, []byte, []byte) {
				names, payloads := deflatePayloads(text)
				var head []byte
				switch prefix {
				case "text":
					head = textHeader(r, oddLen(r, 1500))
				case "junk":
					head = junkOf(r, oddLen(r, 1500))
				default:
					head = append([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), junkOf(r, oddLen(r, 300))...)
				}
				return names[k] + " after " + prefix, append(head, payloads[k]...), payloads[k]
			})
			probes, leaks = probes+p, leaks+l
		}
	}
	t.Logf("%d of %d probes carried the credential packed", leaks, probes)
}

// pngChunk is a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// smallImage is a 16x16 image with a gradient.
func smallImage() *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			m.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 128, 255})
		}
	}
	return m
}

func realPNG() []byte {
	var b bytes.Buffer
	png.Encode(&b, smallImage())
	return b.Bytes()
}

func realGIF() []byte {
	var b bytes.Buffer
	gif.Encode(&b, smallImage(), nil)
	return b.Bytes()
}

func realJPEG() []byte {
	var b bytes.Buffer
	jpeg.Encode(&b, smallImage(), nil)
	return b.Bytes()
}

// mediaHeads are first bytes a server sniffs as media, and whole images.
func mediaHeads() []struct{ name, ctype, head string } {
	ihdr := string(pngChunk("IHDR", []byte("\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00")))
	return []struct{ name, ctype, head string }{
		{"GIF89a", "image/gif", "GIF89a\x10\x00\x10\x00\x00\x00\x00"},
		{"GIF87a", "image/gif", "GIF87a"},
		{"PNG signature", "image/png", "\x89PNG\r\n\x1a\n"},
		{"PNG with IHDR", "image/png", "\x89PNG\r\n\x1a\n" + ihdr},
		{"JPEG JFIF", "image/jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"},
		{"JPEG", "image/jpeg", "\xff\xd8\xff\xdb"},
		{"BMP", "image/bmp", "BM"},
		{"WebP", "image/webp", "RIFF\x00\x10\x00\x00WEBPVP8 "},
		{"ICO", "image/x-icon", "\x00\x00\x01\x00"},
		{"WAVE", "audio/wave", "RIFF\x00\x10\x00\x00WAVEfmt "},
		{"MP3", "audio/mpeg", "ID3"},
		{"Ogg", "application/ogg", "OggS\x00"},
		{"MP4", "video/mp4", "\x00\x00\x00\x18ftypmp42"},
		{"WebM", "video/webm", "\x1a\x45\xdf\xa3"},
		{"WOFF", "font/woff", "wOFF"},
		{"TTF", "font/ttf", "\x00\x01\x00\x00"},
		{"MIDI", "audio/midi", "MThd\x00\x00\x00\x06"},
		{"a whole PNG", "image/png", string(realPNG())},
		{"a whole GIF", "image/gif", string(realGIF())},
		{"a whole JPEG", "image/jpeg", string(realJPEG())},
	}
}

// mediaPrefixCases: binary numbers (MessagePack, CBOR, BSON, protobuf),
// raw deflate and zlib of a small window, behind the first bytes of an
// image, audio, video or font, or after a whole image.
func mediaPrefixCases(r *rand.Rand) []packedCase {
	var cases []packedCase
	payloads := binaryNumbers()
	for _, v := range []string{"name,card\nann," + fxCard + "\n"} {
		d := flateLevel([]byte(v), 9)
		payloads = append(payloads, packedCase{name: "raw deflate", body: d, leaks: unpackLeaks(nil, d)})
		z := zlibWindow([]byte(v), 2)
		payloads = append(payloads, packedCase{name: "zlib CINFO 2", body: z, leaks: unpackLeaks(nil, z)})
	}
	for _, m := range mediaHeads() {
		for _, p := range payloads {
			body := append([]byte(m.head), p.body...)
			for _, ct := range []string{m.ctype, "application/octet-stream"} {
				cases = append(cases, packedCase{p.name + " after " + m.name, ct, body, p.leaks})
			}
		}
	}
	_ = r
	return cases
}

// TestMediaPrefixUnderMask: under a mask, data behind an image's (or
// other media's) first bytes, or after a whole image.
func TestMediaPrefixUnderMask(t *testing.T) {
	total, through := servedUnderMask(t, mediaPrefixCases(rand.New(rand.NewPCG(305, 306))))
	t.Logf("%d of %d bodies reached the client with the value", through, total)
}

// lzwPDF is b as PDF's LZWDecode writes it: codes of 9 to 12 bits, most
// significant bit first, a clear code first, widths growing early codes
// sooner (EarlyChange 1, the default) or not (0).
func lzwPDF(b []byte, early int) []byte {
	var out []byte
	var acc uint64
	var nacc uint
	width := 9
	put := func(code int) {
		acc = acc<<uint(width) | uint64(code)
		nacc += uint(width)
		for nacc >= 8 {
			out = append(out, byte(acc>>(nacc-8)))
			nacc -= 8
		}
		acc &= 1<<nacc - 1
	}
	dict := map[string]int{}
	next := 258
	put(256)
	w := ""
	code := func(s string) int {
		if len(s) == 1 {
			return int(s[0])
		}
		return dict[s]
	}
	for _, c := range b {
		wc := w + string([]byte{c})
		if _, ok := dict[wc]; ok || len(wc) == 1 {
			w = wc
			continue
		}
		put(code(w))
		dict[wc] = next
		next++
		if next+early > 1<<width {
			if width < 12 {
				width++
			} else {
				put(256)
				dict, next, width = map[string]int{}, 258, 9
			}
		}
		w = string([]byte{c})
	}
	if w != "" {
		put(code(w))
		next++
		if next+early > 1<<width && width < 12 {
			width++
		}
	}
	put(257)
	if nacc > 0 {
		out = append(out, byte(acc<<(8-nacc)))
	}
	return out
}

func ascii85Of(b []byte) []byte {
	out := make([]byte, ascii85.MaxEncodedLen(len(b)))
	n := ascii85.Encode(out, b)
	return append(out[:n], "~>"...)
}

func hexOf(b []byte) []byte { return append([]byte(hex.EncodeToString(b)), '>') }

// runLengthOf is b in RunLengthDecode's literal runs.
func runLengthOf(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		n := min(len(b), 128)
		out = append(out, byte(n-1))
		out = append(out, b[:n]...)
		b = b[n:]
	}
	return append(out, 128)
}

// pdfFilterChains are the stream filters tried, as the /Filter entry
// and the encoders in the order they apply (the last filter's first).
var pdfFilterChains = []struct {
	filter string
	parms  string
	enc    []func([]byte) []byte
}{
	{"/LZWDecode", "", []func([]byte) []byte{func(b []byte) []byte { return lzwPDF(b, 1) }}},
	{"/LZW", "", []func([]byte) []byte{func(b []byte) []byte { return lzwPDF(b, 1) }}},
	{"/LZWDecode", "/DecodeParms << /EarlyChange 0 >>", []func([]byte) []byte{func(b []byte) []byte { return lzwPDF(b, 0) }}},
	{"/ASCII85Decode", "", []func([]byte) []byte{ascii85Of}},
	{"/A85", "", []func([]byte) []byte{ascii85Of}},
	{"/ASCIIHexDecode", "", []func([]byte) []byte{hexOf}},
	{"/AHx", "", []func([]byte) []byte{hexOf}},
	{"/RunLengthDecode", "", []func([]byte) []byte{runLengthOf}},
	{"[/ASCII85Decode /LZWDecode]", "", []func([]byte) []byte{func(b []byte) []byte { return lzwPDF(b, 1) }, ascii85Of}},
	{"[/ASCIIHexDecode /FlateDecode]", "", []func([]byte) []byte{zlibOf, hexOf}},
	{"[/A85 /Fl]", "", []func([]byte) []byte{zlibOf, ascii85Of}},
	{"[/ASCII85Decode /RunLengthDecode]", "", []func([]byte) []byte{runLengthOf, ascii85Of}},
	{"[/AHx /LZW /Fl]", "", []func([]byte) []byte{zlibOf, func(b []byte) []byte { return lzwPDF(b, 1) }, hexOf}},
}

// pdfFiltered is a PDF whose content stream, under filter, shows s; it
// returns the PDF and the stream's bytes.
func pdfFiltered(s string, i int) (doc, stream []byte) {
	c := pdfFilterChains[i]
	stream = []byte("BT /F1 12 Tf 72 712 Td (" + s + ") Tj ET")
	for _, e := range c.enc {
		stream = e(stream)
	}
	doc = []byte(fmt.Sprintf("%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n4 0 obj\n<< /Length %d /Filter %s %s >>\nstream\n%s\nendstream\nendobj\n%%%%EOF\n", len(stream), c.filter, c.parms, stream))
	return doc, stream
}

// pdfFilterCases: under a mask, PDFs whose streams are LZW, ASCII85,
// ASCIIHex, run-length or chains of them, after a text header (the
// PDF's own types and magic are refused), as text or as binary.
func pdfFilterCases(r *rand.Rand) []packedCase {
	var cases []packedCase
	for _, v := range []string{"card " + fxCard, "owner " + fxEmail} {
		for i, c := range pdfFilterChains {
			doc, stream := pdfFiltered(v, i)
			head := textHeader(r, oddLen(r, 300))
			body := append(append(head, '\n'), doc...)
			for _, ct := range []string{"text/plain", "application/octet-stream", "application/json", ""} {
				cases = append(cases, packedCase{"PDF " + c.filter + " after text", ct, body, unpackLeaks(nil, stream)})
			}
		}
	}
	return cases
}

// TestPDFFiltersUnderMask: PDF streams under every filter a viewer
// decodes, after text.
func TestPDFFiltersUnderMask(t *testing.T) {
	total, through := servedUnderMask(t, pdfFilterCases(rand.New(rand.NewPCG(307, 308))))
	t.Logf("%d of %d bodies reached the client with the value", through, total)
}

// TestCredentialPDFFilters: the gateway's credential in a PDF stream
// under every filter chain, as a PDF download.
func TestCredentialPDFFilters(t *testing.T) {
	r := rand.New(rand.NewPCG(309, 310))
	probes, leaks := 0, 0
	for i, c := range pdfFilterChains {
		p, l := credentialProbes(t, r, []string{"application/pdf", "application/octet-stream"}, func(r *rand.Rand, text []byte) (string, []byte, []byte) {
			doc, stream := pdfFiltered(string(text), i)
			return "PDF " + c.filter, doc, stream
		})
		probes, leaks = probes+p, leaks+l
	}
	t.Logf("%d of %d probes carried the credential packed", leaks, probes)
}

// protoString is a protobuf field of wire type 2.
func protoString(field int, s []byte) []byte {
	b := binary.AppendUvarint(nil, uint64(field<<3|2))
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// protobufCases: protobuf messages holding a card or an e-mail address as
// a string field (of any field number and a length that may be a
// printable byte glued to the value), as a varint or a fixed64, alone or
// after text, nested, under text and JSON types.
func protobufCases(r *rand.Rand) []packedCase {
	var cases []packedCase
	card := uint64(4111111111111111)
	for k := range 24 {
		field := 1 + r.IntN(15)
		var msg []byte
		switch k % 6 {
		case 0:
			msg = protoString(field, []byte("4111111111111111"))
		case 1:
			pad := bytes.Repeat([]byte("x"), r.IntN(60))
			msg = protoString(field, append([]byte("4111111111111111 "), pad...))
		case 2:
			msg = protoString(field, []byte(fxEmail))
		case 3:
			msg = append(binary.AppendUvarint(nil, uint64(field<<3)), binary.AppendUvarint(nil, card)...)
		case 4:
			msg = append(binary.AppendUvarint(nil, uint64(field<<3|1)), binary.LittleEndian.AppendUint64(nil, card)...)
		default:
			msg = protoString(field, protoString(1+r.IntN(5), []byte("4111111111111111")))
		}
		// A first field whose length is a control byte: an all-printable
		// message (field numbers from 4, lengths from 32) is text whose
		// values the detectors read, glued to characters.
		msg = append(protoString(1, []byte("ann")), msg...)
		leaks := func(got []byte) bool { return bytes.Contains(got, msg) }
		for _, ct := range []string{"text/plain", "text/csv", "application/json", "application/x-ndjson", "text/plain; charset=utf-8"} {
			cases = append(cases, packedCase{fmt.Sprintf("protobuf %d", k), ct, msg, leaks})
			withText := append(textHeader(r, 10+r.IntN(200)), msg...)
			cases = append(cases, packedCase{fmt.Sprintf("protobuf %d after text", k), ct, withText, leaks})
		}
	}
	return cases
}

// TestProtobufInTextUnderMask: protobuf in text and JSON bodies.
func TestProtobufInTextUnderMask(t *testing.T) {
	total, through := servedUnderMask(t, protobufCases(rand.New(rand.NewPCG(311, 312))))
	t.Logf("%d of %d bodies reached the client with the value", through, total)
}

// TestTextWithControlsUnderMask: under a mask, text with tabs, line
// breaks, form feeds and terminal escapes still passes, masked; text
// with another control byte (a protobuf's tag or length) is refused.
func TestTextWithControlsUnderMask(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("name\tcard\r\nann\t" + fxCard + "\f\x1b[1mbold\x1b[0m\n"))
		case "/bel":
			w.Write([]byte("name\tcard\nann\t\x07none\n"))
		}
	})
	for name, srv := range leakEnv(t, h) {
		p := parseExchange(t, rawExchange(t, srv, "GET", "/ok"), "GET")
		if p.status != 200 || leaked(p.body) != nil || !bytes.Contains(p.body, []byte("\x1b[1mbold")) {
			t.Errorf("%s /ok: got %d %q", name, p.status, p.body)
		}
		raw := rawExchange(t, srv, "GET", "/bel")
		if len(raw) > 0 {
			if p := parseExchange(t, raw, "GET"); p.complete && bytes.Contains(p.body, []byte("\x07")) {
				t.Errorf("%s /bel: sent whole: %q", name, p.body)
			}
		}
	}
}

// TestPDFLongLZWSearched: a credential at the end of a long LZW stream
// (codes of every width, a table reset) is found.
func TestPDFLongLZWSearched(t *testing.T) {
	r := rand.New(rand.NewPCG(313, 314))
	var text []byte
	for len(text) < 20000 {
		text = append(text, fmt.Sprintf("row %d %x %s\n", r.IntN(1e6), r.Uint64(), randSecret(r, 8))...)
	}
	for _, early := range []int{0, 1} {
		secret := randSecret(r, 30)
		s := append(append([]byte(nil), text...), "Bearer "+secret...)
		doc, _ := pdfFiltered(string(s), []int{2, 0}[early])
		found := false
		err := packed.Unpack(doc, 1<<20, func(u []byte) bool { found = bytes.Contains(u, []byte(secret)); return found })
		if err != nil || !found {
			t.Errorf("EarlyChange %d: found %v, %v", early, found, err)
		}
	}
}

// TestCleanPDFsPassCredentialedProxy: behind a proxy with a credential
// and no rule mask, PDFs without it — every filter chain, an image
// stream, an xref stream under a PNG predictor — are sent as they are.
func TestCleanPDFsPassCredentialedProxy(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	var docs [][]byte
	for i := range pdfFilterChains {
		doc, _ := pdfFiltered("nothing secret here, only text", i)
		docs = append(docs, doc)
	}
	// An image (DCTDecode) and an xref stream of rows under the PNG Up
	// predictor.
	jp := realJPEG()
	rows := []byte{2, 1, 0, 10, 0, 2, 0, 0, 5, 0, 2, 0, 0, 7, 0}
	xref := zlibOf(rows)
	docs = append(docs, []byte(fmt.Sprintf("%%PDF-1.5\n6 0 obj\n<< /Type /XObject /Subtype /Image /Width 16 /Height 16 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n7 0 obj\n<< /Type /XRef /W [1 2 1] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >> /Length %d >>\nstream\n%s\nendstream\nendobj\n%%%%EOF\n", len(jp), jp, len(xref), xref)))
	for i, doc := range docs {
		srv := proxyTo(t, e, BearerCredential("s3cr3t-upstream-token-0123"), func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
			w.Write(doc)
		})
		status, got := fetchTolerant(t, srv.URL+"/export")
		srv.Close()
		if status != 200 || !bytes.Equal(got, doc) {
			t.Errorf("PDF %d: got %d (%d bytes), want the PDF as sent", i, status, len(got))
		}
	}
}

// TestWholeImagesPassUnderMask: under a mask, whole images pass, with
// the metadata cameras and editors write taken out: a PNG with text,
// physical size and Exif chunks; an animated GIF with its loop and a
// comment; a JPEG with JFIF, Exif, XMP, an ICC profile and a comment; a
// WebP. Each still decodes.
func TestWholeImagesPassUnderMask(t *testing.T) {
	p := realPNG()
	meta := append(pngChunk("tEXt", []byte("Software\x00airlock test")), pngChunk("pHYs", []byte("\x00\x00\x0b\x13\x00\x00\x0b\x13\x01"))...)
	meta = append(meta, pngChunk("iTXt", []byte("Comment\x00\x00\x00en\x00\x00a comment"))...)
	meta = append(meta, pngChunk("eXIf", []byte("MM\x00*\x00\x00\x00\x08\x00\x00"))...)
	withMeta := append(append(append([]byte(nil), p[:33]...), meta...), p[33:]...)
	var anim bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White})
	gif.EncodeAll(&anim, &gif.GIF{Image: []*image.Paletted{pal, pal}, Delay: []int{10, 10}, LoopCount: 0})
	g := anim.Bytes()
	comment := []byte("\x21\xfe\x0emade by a test\x00")
	gifWithComment := append(append(append([]byte(nil), g[:len(g)-1]...), comment...), 0x3b)
	j := realJPEG()
	seg := func(m byte, data string) []byte {
		return append([]byte{0xff, m, byte((len(data) + 2) >> 8), byte(len(data) + 2)}, data...)
	}
	var jmeta []byte
	jmeta = append(jmeta, seg(0xe0, "JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")...)
	jmeta = append(jmeta, seg(0xe1, "Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00")...)
	jmeta = append(jmeta, seg(0xe1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")...)
	jmeta = append(jmeta, seg(0xe2, "ICC_PROFILE\x00\x01\x01\x00\x00\x02\x0c")...)
	jmeta = append(jmeta, seg(0xfe, "a comment")...)
	jpegWithMeta := append(append(append([]byte(nil), j[:2]...), jmeta...), j[2:]...)
	// A 1x1 lossless WebP (no encoder here: not decoded below).
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	images := map[string][]byte{"/png": p, "/png-meta": withMeta, "/gif": realGIF(), "/gif-anim": gifWithComment, "/jpeg": j, "/jpeg-meta": jpegWithMeta, "/webp": webp}
	// Metadata is taken out under a mask (media.go): the physical size
	// stays, as does JFIF.
	want := map[string][]byte{
		"/png-meta":  append(append(append([]byte(nil), p[:33]...), pngChunk("pHYs", []byte("\x00\x00\x0b\x13\x00\x00\x0b\x13\x01"))...), p[33:]...),
		"/gif-anim":  g,
		"/jpeg-meta": append(append(append([]byte(nil), j[:2]...), seg(0xe0, "JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")...), j[2:]...),
	}
	for path, b := range images {
		if path == "/webp" {
			continue
		}
		if _, _, err := image.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("%s is not an image: %v", path, err)
		}
	}
	for _, ct := range []string{"", "image/*", "application/octet-stream"} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := ct
			if c == "image/*" {
				c = http.DetectContentType(images[r.URL.Path])
			}
			if c != "" {
				w.Header().Set("Content-Type", c)
			} else {
				w.Header()["Content-Type"] = nil
			}
			w.Write(images[r.URL.Path])
		})
		for name, srv := range leakEnv(t, h) {
			for path, b := range images {
				p := parseExchange(t, rawExchange(t, srv, "GET", path), "GET")
				if w, ok := want[path]; ok {
					b = w
				}
				if p.status != 200 || !bytes.Equal(p.body, b) {
					t.Errorf("%s %s as %q: got %d (%d bytes), want the image as sent, without its metadata", name, path, ct, p.status, len(p.body))
				}
				if _, _, err := image.Decode(bytes.NewReader(p.body)); path != "/webp" && err != nil {
					t.Errorf("%s %s as %q: the image sent does not decode: %v", name, path, ct, err)
				}
			}
		}
	}
}

// FuzzCheckMedia: the image walks never panic and never read past the
// body.
func FuzzCheckMedia(f *testing.F) {
	for _, b := range [][]byte{realPNG(), realGIF(), realJPEG(), []byte("RIFF\x0c\x00\x00\x00WEBPXMP \x00\x00\x00\x00"), []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"), []byte("\xff\xd8\xff\xda\x00\x02\xff")} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { _ = checkMedia(b) })
}
