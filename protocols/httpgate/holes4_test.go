package httpgate

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/mask"
)

// The fourth red-team round's families: protobuf whose every byte is
// printable; values framed inside image structures; raw deflate of
// binary data; ASCII85 and PDF fragments outside a PDF.

// luhnCard is a random card number of an issuer's prefix and length that
// passes the Luhn check.
func luhnCard(r *rand.Rand) string {
	var d []byte
	switch r.IntN(4) {
	case 0:
		d, _ = append(d, '4'), 0
		for len(d) < 15 {
			d = append(d, byte('0'+r.IntN(10)))
		}
	case 1:
		d = append(d, '5', byte('1'+r.IntN(5)))
		for len(d) < 15 {
			d = append(d, byte('0'+r.IntN(10)))
		}
	case 2:
		d = append(d, '3', "47"[r.IntN(2)])
		for len(d) < 14 {
			d = append(d, byte('0'+r.IntN(10)))
		}
	default:
		d = append(d, "6011"...)
		for len(d) < 15 {
			d = append(d, byte('0'+r.IntN(10)))
		}
	}
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if (len(d)-1-i)%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return string(append(d, byte('0'+(10-sum%10)%10)))
}

// printableOf is n random printable characters: letters and digits, or
// any printable ASCII.
func printableOf(r *rand.Rand, n int, alnumOnly bool) []byte {
	const an = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		if alnumOnly {
			b[i] = an[r.IntN(len(an))]
		} else {
			b[i] = byte(0x20 + r.IntN(0x5f))
		}
	}
	return b
}

// printableValue is a card, an e-mail address or an SSN as a protobuf
// string field's value might hold it: alone, glued to letters or digits,
// or among printable characters.
func printableValue(r *rand.Rand) (value string) {
	switch r.IntN(6) {
	case 0, 1, 2:
		return luhnCard(r)
	case 3:
		return fmt.Sprintf("%s-%s-%s-%s", "4111", "1111", "1111", "1111")[:19]
	case 4:
		return "ann" + strconv.Itoa(r.IntN(1000)) + "@example.com"
	}
	return fmt.Sprintf("%03d-%02d-%04d", 100+r.IntN(600), 10+r.IntN(89), 1000+r.IntN(8999))
}

// printableField is a protobuf field of wire type 2 whose tag and length
// are printable bytes: field numbers 4 to 15, lengths 32 to 126. The
// value is glued to the framing: it starts the field, ends it, or both
// (the rest of the field's text set apart by a space, as words are);
// inside (glued to random letters within the field) when inside is set.
func printableField(r *rand.Rand, payload []byte, inside bool) []byte {
	field := 4 + r.IntN(12)
	n := max(32+r.IntN(20), len(payload))
	if n > 126 {
		n = len(payload)
	}
	pad := n - len(payload)
	var data []byte
	switch {
	case pad == 0:
		data = payload
	case inside:
		before := r.IntN(pad + 1)
		data = append(printableOf(r, before, true), payload...)
		data = append(data, printableOf(r, pad-before, true)...)
	case r.IntN(2) == 0:
		data = append(append(append([]byte(nil), payload...), ' '), printableOf(r, pad-1, true)...)
	default:
		data = append(append(printableOf(r, pad-1, true), ' '), payload...)
	}
	return append([]byte{byte(field<<3 | 2), byte(len(data))}, data...)
}

// printableProtobufCases: all-printable protobuf messages (tags and
// lengths printable, values glued to them) holding a card, an e-mail
// address or an SSN, nested or not, alone or after text, under text, JSON
// and binary types; the client decodes the message and reads the field.
func printableProtobufCases(r *rand.Rand, n int, inside bool) []packedCase {
	var cases []packedCase
	ctypes := []string{"text/plain", "application/octet-stream", "", "application/json", "text/csv", "application/x-ndjson"}
	for k := range n {
		v := printableValue(r)
		var msg []byte
		for range r.IntN(3) {
			msg = append(msg, printableField(r, printableOf(r, 32+r.IntN(40), r.IntN(2) == 0), inside)...)
		}
		f := printableField(r, []byte(v), inside)
		if k%4 == 3 {
			// Nested: the field is a message within a message.
			f = printableField(r, f, false)
		}
		msg = append(msg, f...)
		for range r.IntN(2) {
			msg = append(msg, printableField(r, printableOf(r, 32+r.IntN(40), r.IntN(2) == 0), inside)...)
		}
		switch k % 3 {
		case 1:
			msg = append(textHeader(r, 10+r.IntN(100)), msg...)
		case 2:
			// Text after the message, on a line of its own (a line feed
			// is field 1's tag).
			msg = append(append(msg, '\n'), textHeader(r, 10+r.IntN(100))...)
		}
		value := []byte(v)
		cases = append(cases, packedCase{fmt.Sprintf("printable protobuf %d", k), ctypes[k%len(ctypes)], msg, func(got []byte) bool { return bytes.Contains(got, value) }})
	}
	return cases
}

// TestPrintableProtobufUnderMask: all-printable protobuf holding a value
// glued to its fields' framing never reaches the client with it, through
// net/http and curl.
func TestPrintableProtobufUnderMask(t *testing.T) {
	servedUnderMaskBoth(t, printableProtobufCases(rand.New(rand.NewPCG(401, 402)), 60, false), printableProtobufCases(rand.New(rand.NewPCG(403, 404)), 30, false))
}

// TestPrintableProtobufGluedInside measures (does not fail on) values
// glued to random letters inside a field: "ann@example.comP0gs" is the
// masker's glued-value family, whatever frames it.
func TestPrintableProtobufGluedInside(t *testing.T) {
	cases := printableProtobufCases(rand.New(rand.NewPCG(405, 406)), 120, true)
	left := 0
	for _, c := range cases {
		if c.leaks([]byte(maskedText(t, c.body))) {
			left++
		}
	}
	t.Logf("%d of %d values glued inside a field are left by the masker", left, len(cases))
}

// servedUnderMaskCurl serves each case under leakRules' mask through the
// proxy and the middleware and fetches it with the real curl (decoding

// servedUnderMaskBoth serves httpCases to net/http and curlCases to curl
// through the masked gateway (servedUnderMask, servedUnderMaskCurl) and
// logs how many bodies reached each client with the value.
func servedUnderMaskBoth(t *testing.T, httpCases, curlCases []packedCase) {
	t.Helper()
	total, through := servedUnderMask(t, httpCases)
	t.Logf("net/http: %d of %d bodies reached the client with the value", through, total)
	total, through = servedUnderMaskCurl(t, curlCases)
	t.Logf("curl: %d of %d bodies reached the client with the value", through, total)
}

// what it accepts): none may reach curl with the value.
func servedUnderMaskCurl(t *testing.T, cases []packedCase) (total, through int) {
	t.Helper()
	bin := gatetest.NeedTool(t, "curl")
	cur := make(chan packedCase, 1)
	h := func(w http.ResponseWriter, r *http.Request) {
		c := <-cur
		if c.ctype != "" {
			w.Header().Set("Content-Type", c.ctype)
		} else {
			w.Header()["Content-Type"] = nil
		}
		w.Write(c.body)
	}
	dir := t.TempDir()
	srvs := leakEnv(t, http.HandlerFunc(h))
	for _, c := range cases {
		for name, srv := range srvs {
			cur <- c
			out := filepath.Join(dir, "out")
			os.Remove(out)
			_ = exec.Command(bin, "-sS", "--compressed", "--max-time", "10", "-o", out, "-H", "Authorization: Bearer "+agentToken, srv.URL+"/export").Run()
			got, _ := os.ReadFile(out)
			total++
			if c.leaks(got) {
				through++
				t.Errorf("curl via %s: %s body (Content-Type %q) reached the client with the value", name, c.name, c.ctype)
			}
		}
	}
	return total, through
}

// leakPolicy is the masking policy of leakRules' detectors.
func leakPolicy(t *testing.T) *mask.Policy {
	t.Helper()
	eng, err := mask.New(mask.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Policy([]string{"credit_card", "email", "us_ssn"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// maskedText is s masked as text by leakRules' detectors.
func maskedText(t *testing.T, s []byte) string {
	t.Helper()
	out, _, err := leakPolicy(t).Value("", string(s))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// partsLeak judges a body by the pieces a value was split into: the
// client has it when they all arrive, in order, each within 24 bytes of
// the one before (the framing between them: a sub-block's length, a
// segment's or a chunk's header).
func partsLeak(parts [][]byte) func([]byte) bool {
	return func(got []byte) bool {
		at := -1
		for _, p := range parts {
			var i int
			if at < 0 {
				i = bytes.Index(got, p)
			} else {
				end := min(len(got), at+24+len(p))
				i = bytes.Index(got[at:end], p)
				if i >= 0 {
					i += at
				}
			}
			if i < 0 {
				return false
			}
			at = i + len(p)
		}
		return true
	}
}

// splitValue splits v into 2 to 4 pieces at random points.
func splitValue(r *rand.Rand, v []byte) [][]byte {
	n := 2 + r.IntN(3)
	var parts [][]byte
	for k := n; k > 1 && len(v) > 1; k-- {
		c := 1 + r.IntN(len(v)-1)
		if c > len(v)-k+1 {
			c = 1
		}
		parts = append(parts, v[:c])
		v = v[c:]
	}
	return append(parts, v)
}

// gifSubBlocks frames data as GIF sub-blocks of random sizes (splitting
// at each piece's end too), with the terminator.
func gifSubBlocks(r *rand.Rand, pieces [][]byte) []byte {
	var out []byte
	for _, p := range pieces {
		for len(p) > 0 {
			n := min(len(p), 1+r.IntN(255))
			out = append(out, byte(n))
			out = append(out, p[:n]...)
			p = p[n:]
		}
	}
	return append(out, 0)
}

// jpegSeg is a JPEG marker segment.
func jpegSeg(m byte, data []byte) []byte {
	return append([]byte{0xff, m, byte((len(data) + 2) >> 8), byte(len(data) + 2)}, data...)
}

// riffChunk is a RIFF chunk, padded to an even length.
func riffChunk(typ string, data []byte) []byte {
	b := append([]byte(typ), byte(len(data)), byte(len(data)>>8), byte(len(data)>>16), byte(len(data)>>24))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// imageValueCases: a card, an e-mail address or an SSN framed inside the
// structures of an image that is otherwise whole: split across a GIF's
// comment, plain-text or image-data sub-blocks, across JPEG comment
// segments, inside JPEG scan data between restart markers, across WebP chunks, and in Exif and ICC metadata (as text split
// across segments, or as a binary number).
func imageValueCases(r *rand.Rand, n int) []packedCase {
	var cases []packedCase
	g := realGIF()
	j := realJPEG()
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	vp8l := webp[20:]
	for k := range n {
		v := []byte(printableValue(r))
		parts := splitValue(r, v)
		num, _ := strconv.ParseUint(string(bytes.ReplaceAll(v, []byte("-"), nil)), 10, 64)
		be := binary.BigEndian.AppendUint64(nil, num)
		le := binary.LittleEndian.AppendUint64(nil, num)
		binLeak := func(got []byte) bool { return num != 0 && (bytes.Contains(got, be) || bytes.Contains(got, le)) }
		var body []byte
		leak := partsLeak(parts)
		name := ""
		switch k % 9 {
		case 0:
			name = "GIF comment sub-blocks"
			ext := append([]byte{0x21, 0xfe}, gifSubBlocks(r, append([][]byte{[]byte("note ")}, append(parts, []byte(" end"))...))...)
			body = append(append(append([]byte(nil), g[:len(g)-1]...), ext...), 0x3b)
		case 1:
			name = "GIF plain text sub-blocks"
			ext := append([]byte{0x21, 0x01}, gifSubBlocks(r, append([][]byte{make([]byte, 12)}, parts...))...)
			ext[2] = 12 // the plain text header is its own sub-block
			ext = append(append([]byte{0x21, 0x01, 12}, make([]byte, 12)...), gifSubBlocks(r, parts)...)
			body = append(append(append([]byte(nil), g[:len(g)-1]...), ext...), 0x3b)
		case 2:
			name = "GIF image data sub-blocks"
			img := append([]byte{0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2}, gifSubBlocks(r, parts)...)
			body = append(append(append([]byte(nil), g[:len(g)-1]...), img...), 0x3b)
		case 3:
			name = "JPEG comments"
			var segs []byte
			for _, p := range parts {
				segs = append(segs, jpegSeg(0xfe, p)...)
			}
			body = append(append(append([]byte(nil), j[:2]...), segs...), j[2:]...)
		case 4:
			name = "JPEG scan data"
			var scan []byte
			for i, p := range parts {
				scan = append(scan, p...)
				scan = append(scan, 0xff, byte(0xd0+i%8))
			}
			// After the image's own scan, a second scan of the value.
			sos := jpegSeg(0xda, []byte{1, 1, 0, 0, 63, 0})
			body = append(append(append(append([]byte(nil), j[:len(j)-2]...), sos...), scan...), 0xff, 0xd9)
		case 5:
			name = "WebP chunks"
			var chunks []byte
			for i, p := range parts {
				if i == 0 {
					chunks = append(chunks, riffChunk("VP8L", append(append([]byte(nil), vp8l[8:]...), p...))...)
				} else {
					chunks = append(chunks, riffChunk("ALPH", p)...)
				}
			}
			chunks = append(riffChunk("VP8X", make([]byte, 10)), chunks...)
			body = append([]byte("RIFF\x00\x00\x00\x00WEBP"), chunks...)
			binary.LittleEndian.PutUint32(body[4:], uint32(len(body)-8))
		case 6:
			name = "JPEG Exif text across segments"
			var segs []byte
			for _, p := range parts {
				segs = append(segs, jpegSeg(0xe1, append([]byte("Exif\x00\x00MM\x00*\x00\x00\x00\x08"), p...))...)
			}
			body = append(append(append([]byte(nil), j[:2]...), segs...), j[2:]...)
		case 7:
			name = "JPEG ICC chunks"
			var segs []byte
			for i, p := range parts {
				segs = append(segs, jpegSeg(0xe2, append([]byte{'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0, byte(i + 1), byte(len(parts))}, p...))...)
			}
			body = append(append(append([]byte(nil), j[:2]...), segs...), j[2:]...)
		default:
			name = "Exif binary number"
			exif := append([]byte("Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x92\x86\x00\x05\x00\x00\x00\x01\x00\x00\x00\x1a\x00\x00\x00\x00"), be...)
			body = append(append(append([]byte(nil), j[:2]...), jpegSeg(0xe1, exif)...), j[2:]...)
			leak = binLeak
		}
		for _, ct := range []string{http.DetectContentType(body), "application/octet-stream"} {
			cases = append(cases, packedCase{fmt.Sprintf("%s %d", name, k), ct, body, leak})
		}
	}
	return cases
}

// TestImageFramedValuesUnderMask: values framed inside image structures
// never reach the client, through net/http and curl.
//
// Under the race detector each of the nine framings comes twice for
// net/http and once for curl (32 s under -race for 45 and 18).
func TestImageFramedValuesUnderMask(t *testing.T) {
	nh, nc := 45, 18
	if raceEnabled {
		nh, nc = 18, 9
	}
	servedUnderMaskBoth(t, imageValueCases(rand.New(rand.NewPCG(407, 408)), nh), imageValueCases(rand.New(rand.NewPCG(409, 410)), nc))
}

// TestWebPMetadataTakenOut: a WebP's ICC, Exif and XMP chunks are taken
// out under a mask, with the VP8X flags announcing them and the RIFF
// length fixed; its image chunks stay.
func TestWebPMetadataTakenOut(t *testing.T) {
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	vp8x := riffChunk("VP8X", []byte{0x2c, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	meta := append(append(riffChunk("ICCP", []byte("profile")), riffChunk("EXIF", []byte("MM\x00*\x00\x00\x00\x08"))...), riffChunk("XMP ", []byte("<x/>"))...)
	body := append(append(append([]byte("RIFF\x00\x00\x00\x00WEBP"), vp8x...), meta...), webp[12:]...)
	binary.LittleEndian.PutUint32(body[4:], uint32(len(body)-8))
	out, err := judgeMedia(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte("RIFF\x00\x00\x00\x00WEBP"), riffChunk("VP8X", make([]byte, 10))...), webp[12:]...)
	binary.LittleEndian.PutUint32(want[4:], uint32(len(want)-8))
	if !bytes.Equal(out, want) {
		t.Errorf("got %q, want %q", out, want)
	}
}

// binaryThenValue is inflated data whose first bytes are not text:
// zeros, random bytes or a binary record, then a value.
func binaryThenValue(r *rand.Rand, v string) []byte {
	var head []byte
	switch r.IntN(3) {
	case 0:
		head = make([]byte, 256+r.IntN(2000))
	case 1:
		head = junkOf(r, 256+r.IntN(2000))
	default:
		for len(head) < 256+r.IntN(1000) {
			head = binary.LittleEndian.AppendUint64(head, r.Uint64()>>uint(r.IntN(60)))
		}
	}
	return append(head, "\nname "+v+"\n"...)
}

// binaryDeflateCases: raw deflate (any level) and zlib (any window) of
// data whose first 256 inflated bytes are not text, holding a value
// after them, inside an image's data (a WebP's image chunk, a GIF's image
// sub-blocks, a JPEG scan, stuffed), after text under text and binary
// types, and alone.
func binaryDeflateCases(r *rand.Rand, n int) []packedCase {
	var cases []packedCase
	g := realGIF()
	j := realJPEG()
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	for k := range n {
		v := printableValue(r)
		plain := binaryThenValue(r, v)
		var stream []byte
		if k%2 == 0 {
			stream = flateLevel(plain, []int{1, 5, 9, flate.HuffmanOnly}[r.IntN(4)])
		} else {
			stream = zlibWindow(plain, r.IntN(8))
		}
		leak := unpackLeaks(nil, stream)
		var body []byte
		name := ""
		switch k % 6 {
		case 0:
			name = "WebP image chunk"
			body = append([]byte("RIFF\x00\x00\x00\x00WEBP"), riffChunk("VP8L", append(append([]byte(nil), webp[20:]...), stream...))...)
			binary.LittleEndian.PutUint32(body[4:], uint32(len(body)-8))
		case 1:
			name = "GIF image sub-blocks"
			var pieces [][]byte
			for s := stream; len(s) > 0; {
				c := min(len(s), 1+r.IntN(255))
				pieces, s = append(pieces, s[:c]), s[c:]
			}
			img := append([]byte{0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2}, gifSubBlocks(r, pieces)...)
			body = append(append(append([]byte(nil), g[:len(g)-1]...), img...), 0x3b)
			leak = partsLeak(pieces)
		case 2:
			name = "JPEG scan"
			stuffed := bytes.ReplaceAll(stream, []byte{0xff}, []byte{0xff, 0})
			sos := jpegSeg(0xda, []byte{1, 1, 0, 0, 63, 0})
			body = append(append(append(append([]byte(nil), j[:len(j)-2]...), sos...), stuffed...), 0xff, 0xd9)
			leak = partsLeak(bytes.SplitAfter(stream, []byte{0xff}))
		case 3:
			name = "after text"
			body = append(textHeader(r, 10+r.IntN(300)), stream...)
		case 4:
			name = "alone"
			body = stream
		default:
			name = "PNG image data"
			body = append(append(append([]byte(nil), realPNG()[:33]...), pngChunk("IDAT", zlibOf(append([]byte{0}, plain...)))...), pngChunk("IEND", nil)...)
			leak = func(got []byte) bool {
				c := bytes.Index(got, []byte("IDAT"))
				if c < 4 {
					return false
				}
				n := binary.BigEndian.Uint32(got[c-4:])
				zr, err := zlib.NewReader(bytes.NewReader(got[c+4 : c+4+int(n)]))
				if err != nil {
					return false
				}
				in, _ := io.ReadAll(zr)
				return bytes.Contains(in, []byte(v))
			}
		}
		for _, ct := range []string{http.DetectContentType(body), "application/octet-stream", "text/plain"} {
			cases = append(cases, packedCase{fmt.Sprintf("deflate of binary then a value in %s %d", name, k), ct, body, leak})
		}
	}
	return cases
}

// TestBinaryDeflateUnderMask: raw deflate and zlib whose inflated data
// starts binary never reach the client with the value they hold.
//
// Under the race detector each of the six framings comes twice for
// net/http and once for curl (17 s under -race for 30 and 12).
func TestBinaryDeflateUnderMask(t *testing.T) {
	nh, nc := 30, 12
	if raceEnabled {
		nh, nc = 12, 6
	}
	servedUnderMaskBoth(t, binaryDeflateCases(rand.New(rand.NewPCG(411, 412)), nh), binaryDeflateCases(rand.New(rand.NewPCG(413, 414)), nc))
}

// base85Encodings encode b in ASCII85 (bare, in <~ ~>, wrapped in lines
// as btoa and PDF writers do), Z85 and RFC 1924's alphabet, each named.
func base85Encodings(b []byte) (names []string, encs [][]byte) {
	a := make([]byte, ascii85.MaxEncodedLen(len(b)))
	a = a[:ascii85.Encode(a, b)]
	var wrapped []byte
	for s := a; len(s) > 0; {
		n := min(len(s), 72)
		wrapped = append(append(wrapped, s[:n]...), '\n')
		s = s[n:]
	}
	pad := append(append([]byte(nil), b...), make([]byte, (4-len(b)%4)%4)...)
	enc := func(alpha string) []byte {
		var out []byte
		for i := 0; i < len(pad); i += 4 {
			v := binary.BigEndian.Uint32(pad[i:])
			var g [5]byte
			for k := 4; k >= 0; k-- {
				g[k] = alpha[v%85]
				v /= 85
			}
			out = append(out, g[:]...)
		}
		return out
	}
	names = []string{"ASCII85", "ASCII85 <~ ~>", "ASCII85 in lines", "Z85", "RFC 1924"}
	encs = [][]byte{a, append(append([]byte("<~"), a...), "~>"...), wrapped,
		enc("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"),
		enc("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~")}
	return names, encs
}

// base85Cases: a value as text, raw deflate or zlib, encoded in each
// base85 variant, alone, after text, in a JSON string, or as the stream
// of a PDF object without the PDF's header (/ASCII85Decode, and
// [/A85 /Fl]), under text, JSON and binary types.
func base85Cases(r *rand.Rand, n int) []packedCase {
	var cases []packedCase
	ctypes := []string{"text/plain", "application/json", "application/octet-stream", "", "text/csv"}
	for k := range n {
		v := printableValue(r)
		plain := []byte("BT /F1 12 Tf 72 712 Td (name " + v + ") Tj ET")
		var data []byte
		kind := ""
		switch k % 3 {
		case 0:
			data, kind = plain, "text"
		case 1:
			data, kind = flateLevel(plain, 1+r.IntN(9)), "raw deflate"
		default:
			data, kind = zlibOf(plain), "zlib"
		}
		names, encs := base85Encodings(data)
		e := r.IntN(len(encs))
		carrier := encs[e]
		var body []byte
		switch k % 4 {
		case 0:
			body = carrier
		case 1:
			body = append(append(textHeader(r, 10+r.IntN(200)), '\n'), carrier...)
		case 2:
			body = []byte(fmt.Sprintf(`{"id":%d,"blob":%q}`, k, carrier))
			carrier = []byte(fmt.Sprintf("%q", carrier))
			carrier = carrier[1 : len(carrier)-1]
		default:
			filter := "/ASCII85Decode"
			if kind == "zlib" {
				filter = "[/A85 /Fl]"
			}
			body = []byte(fmt.Sprintf("4 0 obj\n<< /Length %d /Filter %s >>\nstream\n%s\nendstream\nendobj\n", len(carrier), filter, carrier))
		}
		c := carrier
		cases = append(cases, packedCase{fmt.Sprintf("%s of %s %d", names[e], kind, k), ctypes[k%len(ctypes)], body, func(got []byte) bool { return bytes.Contains(got, c) }})
	}
	return cases
}

// TestBase85UnderMask: values in base85 text, plain or compressed, with
// or without a PDF object around them, never reach the client.
func TestBase85UnderMask(t *testing.T) {
	servedUnderMaskBoth(t, base85Cases(rand.New(rand.NewPCG(415, 416)), 60), base85Cases(rand.New(rand.NewPCG(417, 418)), 24))
}
