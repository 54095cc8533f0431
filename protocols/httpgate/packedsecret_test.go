package httpgate

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/packed"
)

// clientUnpacks is what a client can read out of b with common tools:
// b, and what every gzip, zlib, raw deflate (at the start, at a tar
// block, after a zip member's header), zip, base64 and hex stream in it
// unpacks to, at every depth, joined.
func clientUnpacks(b []byte, depth int) []byte {
	out := append([]byte(nil), b...)
	if depth > 4 {
		return out
	}
	more := func(r io.Reader, err error) {
		if err != nil {
			return
		}
		got, _ := io.ReadAll(io.LimitReader(r, 4<<20))
		if len(got) > 0 {
			out = append(append(out, '\n'), clientUnpacks(got, depth+1)...)
		}
	}
	for i := 0; i+2 < len(b); i++ {
		switch {
		case b[i] == 0x1f && b[i+1] == 0x8b:
			more(gzip.NewReader(bytes.NewReader(b[i:])))
		case b[i] == 0x78 && (uint(b[i])<<8|uint(b[i+1]))%31 == 0:
			more(zlib.NewReader(bytes.NewReader(b[i:])))
		case i+30 < len(b) && string(b[i:i+4]) == "PK\x03\x04":
			start := i + 30 + int(b[i+26]) | int(b[i+27])<<8 + int(b[i+28]) | int(b[i+29])<<8
			if start < len(b) {
				more(flate.NewReader(bytes.NewReader(b[start:])), nil)
			}
		}
		if i%512 == 0 {
			more(flate.NewReader(bytes.NewReader(b[i:])), nil)
		}
	}
	// A JSON string of characters up to U+00FF, encoded as ISO 8859-1.
	var doc any
	if json.Unmarshal(b, &doc) == nil {
		for _, s := range jsonStrings(doc) {
			lat := make([]byte, 0, len(s))
			for _, r := range s {
				lat = append(lat, byte(r))
			}
			if !bytes.Equal(lat, []byte(s)) {
				out = append(append(out, '\n'), clientUnpacks(lat, depth+1)...)
			}
		}
	}
	if z, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil {
		for _, f := range z.File {
			more(f.Open())
		}
	}
	for _, run := range encodedRunRe.FindAll(b, -1) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(string(run)); err == nil {
				out = append(append(out, '\n'), clientUnpacks(d, depth+1)...)
			}
		}
		if d, err := hex.DecodeString(string(run)); err == nil {
			out = append(append(out, '\n'), clientUnpacks(d, depth+1)...)
		}
	}
	return out
}

var encodedRunRe = regexp.MustCompile(`[A-Za-z0-9+/_-]{16,}={0,2}`)

func zlibOf(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func flateOf(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zipOf(name string, b []byte) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, _ := z.Create(name)
	w.Write(b)
	z.Close()
	return buf.Bytes()
}

func tarOf(name string, b []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b))})
	tw.Write(b)
	tw.Close()
	return buf.Bytes()
}

// packedShape is one way an upstream packs a text into a body.
type packedShape struct {
	name, ctype string
	pack        func(text []byte) []byte
}

// packedShapes are the family: compressed streams and archives under
// their own types, as application/octet-stream and untyped; packed data
// after a JSON line, in a tar, in a zip in a gzip; the base64 and hex of
// compressed streams in JSON and text.
var packedShapes = []packedShape{
	{"gzip", "application/gzip", gzipped},
	{"x-gzip", "application/x-gzip", gzipped},
	{"gzip untyped", "", gzipped},
	{"gzip as octet-stream", "application/octet-stream", gzipped},
	{"zlib", "application/zlib", zlibOf},
	{"zlib as octet-stream", "application/octet-stream", zlibOf},
	{"raw deflate", "application/octet-stream", flateOf},
	{"zip", "application/zip", func(b []byte) []byte { return zipOf("export.csv", b) }},
	{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", func(b []byte) []byte { return zipOf("xl/sharedStrings.xml", b) }},
	{"gzip in gzip", "application/gzip", func(b []byte) []byte { return gzipped(gzipped(b)) }},
	{"zip in gzip", "application/gzip", func(b []byte) []byte { return gzipped(zipOf("a.csv", b)) }},
	{"gzip in tar", "application/x-tar", func(b []byte) []byte { return tarOf("a.csv.gz", gzipped(b)) }},
	{"raw deflate in tar", "application/x-tar", func(b []byte) []byte { return tarOf("a.deflate", flateOf(b)) }},
	{"json line then gzip", "application/x-ndjson", func(b []byte) []byte { return append([]byte("{\"ok\":true}\n"), gzipped(b)...) }},
	{"text then gzip", "text/plain", func(b []byte) []byte { return append([]byte("export follows:\n"), gzipped(b)...) }},
	{"json then zlib", "application/json", func(b []byte) []byte { return append([]byte("{\"ok\":true}\n"), zlibOf(b)...) }},
	{"base64 gzip in json", "application/json", func(b []byte) []byte {
		return []byte(`{"file":"` + base64.StdEncoding.EncodeToString(gzipped(b)) + `"}`)
	}},
	{"base64url zlib in json", "application/json", func(b []byte) []byte {
		return []byte(`{"file":"` + base64.RawURLEncoding.EncodeToString(zlibOf(b)) + `"}`)
	}},
	{"base64 raw deflate in json", "application/json", func(b []byte) []byte {
		return []byte(`{"file":"` + base64.StdEncoding.EncodeToString(flateOf(b)) + `"}`)
	}},
	{"gzip as json escapes", "application/json", func(b []byte) []byte { return []byte(`{"file":"` + latin1Escaped(gzipped(b)) + `"}`) }},
	{"zlib as latin-1 characters in json", "application/json", func(b []byte) []byte { return []byte(`{"file":"` + latin1Raw(zlibOf(b)) + `"}`) }},
	{"hex gzip in text", "text/plain", func(b []byte) []byte { return []byte("dump: " + hex.EncodeToString(gzipped(b)) + "\n") }},
	{"base64 raw deflate in text", "text/plain", func(b []byte) []byte {
		return []byte("data=" + base64.StdEncoding.EncodeToString(flateOf(b)) + "\n")
	}},
	{"multipart with gzip part", "application/octet-stream", func(b []byte) []byte {
		return append(append([]byte("--b\r\nContent-Type: application/gzip\r\n\r\n"), gzipped(b)...), "\r\n--b--\r\n"...)
	}},
}

// TestSecretInPackedBodiesGenerated: behind a proxy that presents a
// credential and no rule that masks, an upstream answers with the
// credential packed in every shape of packedShapes, with a length or
// streamed, under a gzip Content-Encoding or none. What the client
// receives (net/http, and curl) must not unpack to the credential.
func TestSecretInPackedBodiesGenerated(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	curlBin, _ := exec.LookPath("curl")
	r := rand.New(rand.NewPCG(61, 62))
	probes, leaks := 0, 0
	for i, sh := range packedShapes {
		for v := range 4 {
			secret := randSecret(r, 20+r.IntN(20))
			text := []byte(fmt.Sprintf("id,owner,note\n%d,ann,request headers: Authorization: Bearer %s; more text follows here\n", r.IntN(1000), secret))
			body := sh.pack(text)
			withLength, coded := v&1 == 0, v&2 != 0
			srv := proxyTo(t, e, BearerCredential(secret), func(w http.ResponseWriter, _ *http.Request) {
				if sh.ctype != "" {
					w.Header().Set("Content-Type", sh.ctype)
				} else {
					w.Header()["Content-Type"] = nil
				}
				b := body
				if coded {
					w.Header().Set("Content-Encoding", "gzip")
					b = gzipped(b)
				}
				if withLength {
					w.Header().Set("Content-Length", strconv.Itoa(len(b)))
				}
				w.Write(b[:len(b)/2])
				http.NewResponseController(w).Flush()
				w.Write(b[len(b)/2:])
			})
			status, got := fetchTolerant(t, srv.URL+"/export")
			received := [][]byte{got}
			if curlBin != "" && (i+v)%3 == 0 {
				// A cut response fails curl; what it wrote counts.
				out, _ := exec.Command(curlBin, "-sS", "--max-time", "10", "-H", "Authorization: Bearer "+agentToken, srv.URL+"/export").Output()
				received = append(received, out)
			}
			srv.Close()
			for _, b := range received {
				probes++
				if bytes.Contains(clientUnpacks(b, 0), []byte(secret)) {
					leaks++
					t.Logf("%s (length %v, gzip coding %v): the credential reached the client (status %d)", sh.name, withLength, coded, status)
				}
			}
		}
	}
	t.Logf("%d of %d probes carried the credential packed", leaks, probes)
	if leaks > 0 {
		t.Errorf("%d of %d responses carry the gateway's credential packed", leaks, probes)
	}
}

// fetchTolerant GETs url as the agent with net/http and returns the
// status and what was received of the body, a cut one included.
func fetchTolerant(t *testing.T, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+agentToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, got
}

// TestCleanPackedBodiesPassCredentialedProxy: behind a proxy with a
// credential and no rule that masks, packed bodies of a declared length
// that do not hold the credential are sent as the upstream sent them
// (downloads keep working), and so are streamed ones of a packed type,
// searched whole; other streamed packed data cannot be searched and is
// refused.
func TestCleanPackedBodiesPassCredentialedProxy(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	text := []byte("id,owner,note\n1,ann,nothing secret here at all\n")
	for _, sh := range packedShapes {
		body := sh.pack(text)
		for _, withLength := range []bool{true, false} {
			srv := proxyTo(t, e, BearerCredential("s3cr3t-upstream-token-0123"), func(w http.ResponseWriter, _ *http.Request) {
				if sh.ctype != "" {
					w.Header().Set("Content-Type", sh.ctype)
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
			passed := status == 200 && bytes.Equal(got, body)
			// Text with binary data in it is left to the masking path,
			// which refuses it; so is a body without a type, which the
			// server sniffs.
			must := sh.ctype != "" && !textual(sh.ctype) && sh.ctype != "application/x-ndjson" && sh.ctype != "application/json" && (withLength || packed.Type(sh.ctype))
			if must && !passed {
				t.Errorf("%s (length %v): got status %d (%d bytes), want the body as sent", sh.name, withLength, status, len(got))
			}
			if !must && passed && !withLength {
				t.Errorf("%s streamed: sent unsearched", sh.name)
			}
		}
	}
}

// jsonStrings are the strings of a decoded JSON value, keys aside.
func jsonStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, jsonStrings(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, jsonStrings(e)...)
		}
		return out
	}
	return nil
}
