package httpgate

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// TestCredentialPDFInLayerAfterPDF: the gateway's credential in a PDF
// stream under every filter chain, where that PDF is inside a gzip member
// (or a gzip in a gzip) after a clean PDF: the first PDF read said
// nothing of the second, which is other bytes (its streams went unread
// and reached the client whole).
func TestCredentialPDFInLayerAfterPDF(t *testing.T) {
	r := rand.New(rand.NewPCG(331, 332))
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	probes, leaks := 0, 0
	for i, c := range pdfFilterChains {
		decoy, _ := pdfFiltered("nothing to see here at all", i)
		for _, twice := range []bool{false, true} {
			p, l := credentialProbes(t, r, []string{"application/octet-stream"}, func(r *rand.Rand, text []byte) (string, []byte, []byte) {
				doc, _ := pdfFiltered(string(text), i)
				inner, name := gz(doc), "PDF "+c.filter+" in gzip after a PDF"
				if twice {
					inner, name = gz(inner), "PDF "+c.filter+" in gzip in gzip after a PDF"
				}
				body := append(append(append([]byte(nil), decoy...), "\n"...), inner...)
				return name, body, inner
			})
			probes, leaks = probes+p, leaks+l
		}
	}
	t.Logf("%d of %d probes carried the credential packed", leaks, probes)
}

// TestCleanPaddedBase64GzipPassesCredentialedProxy: behind a proxy with a
// credential and no rule mask, a JSON document carrying the base64 of a
// clean gzip file (padded with one '=', two, or none) is sent as it is:
// the last unit before the padding was dropped, the gzip read cut short,
// and every padded one refused.
func TestCleanPaddedBase64GzipPassesCredentialedProxy(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	pads := map[int]bool{}
	for extra := 0; len(pads) < 3 && extra < 12; extra++ {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write([]byte("id,owner,note\n1,ann,nothing secret here" + strings.Repeat("!", extra) + "\n"))
		w.Close()
		pad := (3 - buf.Len()%3) % 3
		if pads[pad] {
			continue
		}
		pads[pad] = true
		doc := []byte(`{"name":"export.csv.gz","data":"` + base64.StdEncoding.EncodeToString(buf.Bytes()) + `"}`)
		srv := proxyTo(t, e, BearerCredential("s3cr3t-upstream-token-0123"), func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
			w.Write(doc)
		})
		status, got := fetchTolerant(t, srv.URL+"/export")
		srv.Close()
		if status != 200 || !bytes.Equal(got, doc) {
			t.Errorf("%d '=': got %d %q, want the document as sent", pad, status, got)
		}
	}
	if len(pads) != 3 {
		t.Fatalf("paddings made: %v", pads)
	}
}
