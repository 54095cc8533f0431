package httpgate

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
)

// digestsOf are the encodings of body's digests an upstream puts in its
// validators and digest fields.
func digestsOf(body []byte) []string {
	m, s := md5.Sum(body), sha256.Sum256(body)
	var out []string
	for _, d := range [][]byte{m[:], s[:]} {
		out = append(out, hex.EncodeToString(d), base64.StdEncoding.EncodeToString(d))
	}
	return out
}

// derivedFields sets random body-derived fields on h.
func derivedFields(r *rand.Rand, h http.Header, body []byte) {
	d := digestsOf(body)
	fields := []func(){
		func() { h.Set("ETag", `"`+d[0]+`"`) },
		func() { h.Set("ETag", `W/"`+d[2]+`"`) },
		func() { h.Set("Content-MD5", d[1]) },
		func() { h.Set("Digest", "SHA-256="+d[3]) },
		func() { h.Set("Repr-Digest", "sha-256=:"+d[3]+":") },
		func() { h.Set("Content-Digest", "sha-256=:"+d[3]+":") },
		func() { h.Set("X-Amz-Checksum-Sha256", d[3]) },
		func() { h.Set("X-Goog-Hash", "md5="+d[1]) },
		func() { h.Set("Accept-Ranges", "bytes") },
	}
	for range 1 + r.IntN(4) {
		fields[r.IntN(len(fields))]()
	}
}

// TestBodyDerivedFieldsGenerated: under a mask, random validator and
// digest fields of the unmasked body never reach the client, and
// conditional and range requests (against an upstream that honours them,
// http.ServeContent) get the whole masked body, never a 304, 412 or 206
// that would confirm a guess or hand out part of a value.
func TestBodyDerivedFieldsGenerated(t *testing.T) {
	e := newEnvWith(t, 0, piiRules, nil, nil)
	r := rand.New(rand.NewPCG(13, 5))
	var body []byte
	var ct string
	var seed uint64
	srv := proxyTo(t, e, Credential{}, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", ct)
		derivedFields(rand.New(rand.NewPCG(seed, 1)), w.Header(), body)
		http.ServeContent(w, req, "", time.Unix(1e9, 0), bytes.NewReader(body))
	})
	types := []string{"application/json", "text/plain", "text/html", "text/csv", "application/x-ndjson"}
	for i := range genN(300) {
		seed = r.Uint64()
		ct = types[r.IntN(len(types))]
		body = []byte(`{"name":"ann","card":"4539 1488 0343 6467","mail":"ann@example.com"}` + "\n")
		method := []string{"GET", "GET", "HEAD"}[r.IntN(3)]
		etag := `"` + digestsOf(body)[0] + `"`
		var hdr []string
		switch r.IntN(5) {
		case 0:
			hdr = []string{"If-None-Match", etag}
		case 1:
			hdr = []string{"If-Match", `"nope"`}
		case 2:
			hdr = []string{"Range", "bytes=0-20"}
		case 3:
			hdr = []string{"Range", "bytes=30-", "If-Range", etag}
		}
		resp := e.do(srv, method, "/api/doc", "", "", hdr...)
		got := readAll(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("case %d (%s %s %v): status %d tells the client about the unmasked body", i, method, ct, hdr, resp.StatusCode)
		}
		var fields strings.Builder
		_ = resp.Header.Write(&fields)
		for _, d := range digestsOf(body) {
			if strings.Contains(fields.String(), d) {
				t.Fatalf("case %d (%s %s): a digest of the unmasked body reached the client:\n%s", i, method, ct, fields.String())
			}
		}
		if v := resp.Header.Get("Accept-Ranges"); v != "" && v != "none" {
			t.Fatalf("case %d: Accept-Ranges %q offers ranges of a masked body", i, v)
		}
		if method == "GET" && (!strings.Contains(got, "ann") || strings.Contains(got, "4539")) {
			t.Fatalf("case %d (%s %v): not the whole masked body: %q", i, ct, hdr, got)
		}
	}
}
