package packed

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestUnpackReadsNestedPDFs: a PDF met inside a layer (a gzip member, a
// PDF's own FlateDecode stream, a base64 run) has its streams read
// through their filters even when a PDF was read before it, at any
// depth: a PDF read once said nothing of another in other bytes.
func TestUnpackReadsNestedPDFs(t *testing.T) {
	const secret = "secret token 123456789"
	pdf := func(filter, data string) []byte {
		return fmt.Appendf(nil, "%%PDF-1.7\n5 0 obj\n<< /Length %d /Filter %s >>\nstream\n%s\nendstream\nendobj\n%%%%EOF\n", len(data), filter, data)
	}
	hexOf := func(s string) string { return fmt.Sprintf("%x>", s) }
	inner := map[string][]byte{
		"AHx":  pdf("/ASCIIHexDecode", hexOf("Hello, "+secret)),
		"A85":  pdf("/ASCII85Decode", a85("Hello, "+secret)),
		"RL":   pdf("/RunLengthDecode", "\x1fHello, "+secret+"\x80"),
		"none": []byte("no pdf here, " + secret), // control: found without any PDF reading
	}
	decoy := pdf("/ASCIIHexDecode", hexOf("nothing to see here at all"))
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	flatePDF := func(b []byte) []byte { // a PDF whose one stream (FlateDecode) holds b
		var buf bytes.Buffer
		w := zlib.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return fmt.Appendf(nil, "%%PDF-1.7\n7 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n%%%%EOF\n", buf.Len(), buf.Bytes())
	}
	b64 := func(b []byte) []byte { return []byte("data: " + base64.StdEncoding.EncodeToString(b) + " end") }
	wraps := map[string]func([]byte) []byte{
		"gzip":      gz,
		"pdf-flate": flatePDF,
		"base64-gz": func(b []byte) []byte { return b64(gz(b)) },
		"gz-gz":     func(b []byte) []byte { return gz(gz(b)) },
	}
	for iname, in := range inner {
		for wname, wrap := range wraps {
			for _, lead := range []string{"none", "decoy-first", "decoy-inside"} {
				var doc []byte
				switch lead {
				case "none":
					doc = wrap(in)
				case "decoy-first":
					doc = append(append(append([]byte{}, decoy...), "\nthen\n"...), wrap(in)...)
				case "decoy-inside":
					doc = wrap(append(append(append([]byte{}, decoy...), "\n"...), wrap(in)...))
				}
				found := false
				err := Unpack(doc, 1<<20, func(u []byte) bool {
					found = bytes.Contains(u, []byte(secret))
					return found
				})
				if !found && err == nil {
					t.Errorf("%s in %s, %s: the value was not found and the data not opaque", iname, wname, lead)
				}
				// Two layers around two more are past maxDepth: opaque.
				deep := lead == "decoy-inside" && (wname == "base64-gz" || wname == "gz-gz")
				if !found && !deep {
					t.Errorf("%s in %s, %s: not found (%v)", iname, wname, lead, err)
				}
			}
		}
	}
}

// TestUnpackReadsPaddedBase64: packed data in base64 is decoded to its
// last byte whatever its padding (none, one or two '=', or left off), in
// either alphabet, where a run of it ends a text, a JSON string or a
// word: its last unit was dropped, and every padded gzip was cut short.
func TestUnpackReadsPaddedBase64(t *testing.T) {
	const secret = "secret token 123456789"
	encs := map[string]*base64.Encoding{"std": base64.StdEncoding, "url": base64.URLEncoding,
		"std-raw": base64.RawStdEncoding, "url-raw": base64.RawURLEncoding}
	for extra := range 3 { // the gzip's length mod 3 sets the padding
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write([]byte("Hello, " + secret + strings.Repeat("!", extra)))
		w.Close()
		for name, enc := range encs {
			e := enc.EncodeToString(buf.Bytes())
			for _, doc := range []string{e, "data: " + e + " end", `{"v":"` + e + `"}`, e + "\n"} {
				found := false
				err := Unpack([]byte(doc), 1<<20, func(u []byte) bool {
					found = bytes.Contains(u, []byte(secret))
					return found
				})
				if !found || err != nil {
					t.Errorf("%s, %d byte(s) past whole units, %.20q…: found %v, %v", name, buf.Len()%3, doc, found, err)
				}
			}
		}
	}
}
