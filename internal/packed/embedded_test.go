package packed

import (
	"archive/tar"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

// packedStreams are compressed streams and archives of a short CSV, as
// the tools write them (bzip2, xz, zstd, lz4 by their headers).
func packedStreams() map[string][]byte {
	payload := "name,card\nann,4111 1111 1111 1111\nbob,5500 0000 0000 0004\n"
	return map[string][]byte{
		"gzip": gz(payload), "zlib": zl(payload), "zip": zipOf(payload),
		"bzip2": []byte("BZh91AY&SY\x7a\xb6\x96\x15\x00\x00\x0c\xd9\x80\x40"),
		"xz":    []byte("\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4F\x02\x00!\x01" + payload),
		"zstd":  []byte("\x28\xb5\x2f\xfd\x24\x1c\xa5\x00\x00" + payload),
		"lz4":   []byte("\x04\x22\x4d\x18\x64\x40\xa7\x14\x00\x00\x00" + payload),
	}
}

func zipOf(s string) []byte {
	var b bytes.Buffer
	b.WriteString("PK\x03\x04\x14\x00\x08\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00a.csv\x00\x00")
	b.Write(deflated(s))
	return b.Bytes()
}

func tarOf(name string, body []byte) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
	tw.Write(body)
	tw.Close()
	return b.Bytes()
}

// embeddedWraps put packed data after other data: a tar header, a JSON
// line, a multipart part's head, random binary bytes.
func embeddedWraps(r *rand.Rand, d []byte) map[string][]byte {
	junk := make([]byte, 1+r.IntN(3000))
	for i := range junk {
		junk[i] = byte(r.IntN(256))
	}
	return map[string][]byte{
		"tar":        tarOf("export.bin", d),
		"json line":  append([]byte("{\"ok\":true}\n"), d...),
		"multipart":  append([]byte("--b\r\nContent-Type: application/octet-stream\r\n\r\n"), append(d, "\r\n--b--\r\n"...)...),
		"after junk": append(junk, d...),
		"at start":   d,
	}
}

// TestEmbeddedFindsPackedAnywhere: compressed streams and archives at any
// offset, written in pieces cut anywhere, are found, as text and binary.
func TestEmbeddedFindsPackedAnywhere(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	streams := packedStreams()
	var z4 bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z4, 4) // header "x^"
	zw.Write([]byte("name,card\nann,4111 1111 1111 1111\nbob,5500 0000 0000 0004\n"))
	zw.Close()
	streams["zlib level 4"] = z4.Bytes()
	streams["raw deflate in tar"] = tarOf("export.deflate", deflated(strings.Repeat("name,card\nann,4111 1111 1111 1111\n", 3)))
	for name, d := range streams {
		for wrap, body := range embeddedWraps(r, d) {
			for _, text := range []bool{false, true} {
				if text && wrap == "after junk" || name == "raw deflate in tar" && (text || wrap != "at start") {
					// Raw deflate is judged at a tar member's start, in a
					// tar that starts the data.
					continue
				}
				for range 3 {
					cut := r.IntN(len(body) + 1)
					e := Embedded{Text: text}
					e.Write(body[:cut])
					e.Write(body[cut:])
					e.Close()
					if e.Found() == "" {
						t.Errorf("%s %s (text %v, cut at %d) not found", name, wrap, text, cut)
					}
				}
			}
		}
	}
}

// TestEmbeddedPassesPlainData: random binary data, text, tar files of
// text, and base64 are not packed.
func TestEmbeddedPassesPlainData(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	found := 0
	for i := range 300 {
		b := make([]byte, 1+r.IntN(64<<10))
		for j := range b {
			b[j] = byte(r.IntN(256))
		}
		if name := EmbeddedIn(b, false); name != "" {
			found++
			t.Logf("random %d read as %s", i, name)
		}
	}
	// A large binary body (a video) holds zlib headers by chance, about
	// one in 16 KiB: not too many.
	big := make([]byte, 4<<20)
	for j := range big {
		big[j] = byte(r.IntN(256))
	}
	if name := EmbeddedIn(big, false); name != "" {
		found++
		t.Logf("4 MiB of random bytes read as %s", name)
	}
	texts := []string{strings.Repeat("The quick brown fox x^2 jumps; HKEY x^y PK and BZh9 and 7z.\n", 200),
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("0123456789abcdef"), 100)), hex.EncodeToString([]byte(strings.Repeat("hello ", 100)))}
	for _, s := range texts {
		if name := EmbeddedIn([]byte(s), true); name != "" {
			found++
			t.Logf("text %.30q read as %s", s, name)
		}
	}
	if name := EmbeddedIn(tarOf("a.csv", []byte(strings.Repeat("name,note\nann,none\n", 100))), false); name != "" {
		found++
		t.Logf("tar of text read as %s", name)
	}
	if found > 0 {
		t.Errorf("%d plain bodies read as packed", found)
	}
}

// TestUnpackReadsNestedStreams: a value inside gzip, zlib, zip, raw
// deflate in a tar, gzip in a tar in gzip, and their base64 and hex in
// text, is visited; xz and zstd are opaque; plain data visits nothing.
func TestUnpackReadsNestedStreams(t *testing.T) {
	const secret = "s3cr3t-T0ken-abcdef"
	payload := "header line\nauth " + secret + " end of the line and more text\n"
	bodies := map[string][]byte{
		"gzip": gz(payload), "zlib": zl(payload), "zip": zipOf(payload),
		"raw deflate in tar":   tarOf("x.deflate", deflated(payload)),
		"gzip in tar in gzip":  gz(string(tarOf("x.gz", gz(payload)))),
		"json then gzip":       append([]byte("{\"a\":1}\n"), gz(payload)...),
		"base64 png with zTXt": []byte(`{"image":"` + base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRzTXtComment\x00\x00"), zl(payload)...)) + `"}`),
	}
	for name, d := range map[string][]byte{"gzip": gz(payload), "zlib": zl(payload), "deflate": deflated(payload)} {
		bodies["base64 "+name] = []byte(`{"file":"` + base64.StdEncoding.EncodeToString(d) + `"}`)
		bodies["base64url "+name] = []byte(`x=` + base64.RawURLEncoding.EncodeToString(d))
		bodies["hex "+name] = []byte(`dump ` + hex.EncodeToString(d) + ` end`)
	}
	for name, b := range bodies {
		hit := false
		err := Unpack(b, 1<<20, func(u []byte) bool { hit = hit || bytes.Contains(u, []byte(secret)); return hit })
		if err != nil || !hit {
			t.Errorf("%s: secret not visited (err %v)", name, err)
		}
	}
	for name, b := range map[string][]byte{"xz": packedStreams()["xz"], "zstd in tar": tarOf("x.zst", packedStreams()["zstd"]),
		"wrapped base64": []byte(`"` + strings.Join(chunks(base64.StdEncoding.EncodeToString(gz(strings.Repeat(payload, 20))), 76), `\n`) + `"`)} {
		if err := Unpack(b, 1<<20, func([]byte) bool { return false }); err == nil {
			t.Errorf("%s: not opaque", name)
		}
	}
	if err := Unpack(gz(strings.Repeat(payload, 1000)), 1000, func([]byte) bool { return false }); err == nil {
		t.Errorf("beyond the limit: not opaque")
	}
	for _, plain := range [][]byte{[]byte(strings.Repeat(payload, 50)), tarOf("a.txt", []byte(payload))} {
		if err := Unpack(plain, 1<<20, func(u []byte) bool { t.Errorf("plain data visited %.40q", u); return false }); err != nil {
			t.Errorf("plain data: %v", err)
		}
	}
}

func chunks(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// TestScannerFindsEncodedRawDeflate: base64, base64url and hex of raw
// deflate of text, as a JSON value, a form value, a data: URI, are found.
func TestScannerFindsEncodedRawDeflate(t *testing.T) {
	for _, s := range []string{"name,card\nann,4111 1111 1111 1111\n", strings.Repeat("id,email\n1,ann@example.com\n", 40)} {
		d := deflated(s)
		for en, enc := range map[string]func([]byte) string{"base64": base64.StdEncoding.EncodeToString, "base64url": base64.RawURLEncoding.EncodeToString, "hex": hex.EncodeToString} {
			for _, w := range []string{`{"file":"%s"}`, "x=%s&y=1", "data:application/octet-stream;base64,%s", "%s"} {
				text := strings.Replace(w, "%s", enc(d), 1)
				if Encoded([]byte(text)) == "" {
					t.Errorf("raw deflate in %s in %.50q not found", en, text)
				}
			}
		}
	}
}
