package httpgate

import (
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"testing"
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
