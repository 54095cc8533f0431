package tool_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"regexp"
	"strings"
)

// packings write a file's text as a gzip, zlib or zip file, or as raw
// deflate (which has no signature).
var packings = map[string]func(string) []byte{
	"deflate": func(s string) []byte {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestCompression)
		io.WriteString(w, s)
		w.Close()
		return b.Bytes()
	},
	"gzip": func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		io.WriteString(w, s)
		w.Close()
		return b.Bytes()
	},
	"zlib": func(s string) []byte {
		var b bytes.Buffer
		w := zlib.NewWriter(&b)
		io.WriteString(w, s)
		w.Close()
		return b.Bytes()
	},
	"zip": func(s string) []byte {
		var b bytes.Buffer
		z := zip.NewWriter(&b)
		w, _ := z.Create("export.csv")
		io.WriteString(w, s)
		z.Close()
		return b.Bytes()
	},
}

var encodedRun = regexp.MustCompile(`[A-Za-z0-9+/=]{16,}`)

// unpacksTo reports whether v, as the caller reads it (its JSON form
// shows every []byte as base64), holds a packed file whose content holds
// secret.
func unpacksTo(v any, secret string) bool {
	doc, _ := json.Marshal(v)
	if latin1UnpacksTo(v, secret) {
		return true
	}
	for _, run := range encodedRun.FindAllString(string(doc), -1) {
		var decoded [][]byte
		if d, err := base64.StdEncoding.DecodeString(run); err == nil {
			decoded = append(decoded, d)
		}
		for _, part := range strings.Fields(strings.ReplaceAll(run, "dump", " ")) {
			if d, err := hex.DecodeString(part); err == nil {
				decoded = append(decoded, d)
			}
		}
		for _, d := range decoded {
			out, _ := io.ReadAll(flate.NewReader(bytes.NewReader(d)))
			if r, err := gzip.NewReader(bytes.NewReader(d)); err == nil {
				b, _ := io.ReadAll(r)
				out = append(out, b...)
			}
			if r, err := zlib.NewReader(bytes.NewReader(d)); err == nil {
				b, _ := io.ReadAll(r)
				out = append(out, b...)
			}
			if z, err := zip.NewReader(bytes.NewReader(d), int64(len(d))); err == nil {
				for _, f := range z.File {
					if r, err := f.Open(); err == nil {
						b, _ := io.ReadAll(r)
						out = append(out, b...)
					}
				}
			}
			if bytes.Contains(out, []byte(secret)) {
				return true
			}
		}
	}
	return false
}

// latin1UnpacksTo reports whether a string of v, encoded as ISO 8859-1,
// holds from any offset a gzip, zlib or raw deflate stream that unpacks
// to secret.
func latin1UnpacksTo(v any, secret string) bool {
	doc, _ := json.Marshal(v)
	var d any
	_ = json.Unmarshal(doc, &d)
	var strs []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			strs = append(strs, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(d)
	for _, s := range strs {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r))
		}
		for i := range b {
			for _, open := range []func(io.Reader) (io.Reader, error){
				func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
				func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) },
				func(r io.Reader) (io.Reader, error) { return flate.NewReader(r), nil },
			} {
				if r, err := open(bytes.NewReader(b[i:])); err == nil {
					if u, _ := io.ReadAll(r); bytes.Contains(u, []byte(secret)) {
						return true
					}
				}
			}
		}
	}
	return false
}
