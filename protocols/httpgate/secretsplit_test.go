package httpgate

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

// jsonStructure is what stands between two string pieces of a JSON text:
// a quote, closing brackets, a comma, opening brackets, perhaps a key, a
// quote. A client that removes it reads the pieces joined.
var jsonStructure = regexp.MustCompile(`"\s*[\]}\s]*,(?:\s*(?:null|\{\})\s*,)*(?:[\[{\s]*"[^"]*"\s*:)*[\[{\s]*"`)

// splitSecretDocs writes secret in pieces across the members, objects
// and arrays of JSON documents.
func splitSecretDocs(secret string, cuts int) map[string]string {
	var ps []string
	step := (len(secret) + cuts - 1) / cuts
	for i := 0; i < len(secret); i += step {
		ps = append(ps, secret[i:min(i+step, len(secret))])
	}
	var members strings.Builder
	for i, p := range ps {
		if i > 0 {
			members.WriteByte(',')
		}
		fmt.Fprintf(&members, `"k%d":%q`, i, p)
	}
	return map[string]string{
		"array":   `["` + strings.Join(ps, `","`) + `"]`,
		"members": `{` + members.String() + `}`,
		"objects": `{"rows":[{"n":"` + strings.Join(ps, `"},{"n":"`) + `"}]}`,
		"arrays":  `[["` + strings.Join(ps, `"] , ["`) + `"]]`,
		"nested":  `[{"a":{"n":"` + strings.Join(ps, `"}},{"a":{"n":"`) + `"}}]`,
		"filler":  `["` + strings.Join(ps, `",null,{},"`) + `"]`,
	}
}

// TestSecretSplitAcrossJSONGenerated: the gateway's secret in pieces
// across the members, objects and arrays of an upstream's JSON response,
// searched whole (a Content-Length) or streamed, never reaches a client
// with its pieces readable joined.
func TestSecretSplitAcrossJSONGenerated(t *testing.T) {
	e := newEnvWith(t, gate.Hold, noMaskRules, nil, nil)
	curlBin, _ := exec.LookPath("curl")
	r := rand.New(rand.NewPCG(5, 41))
	probes, leaks := 0, 0
	for i := range 12 {
		secret := randSecret(r, 16+r.IntN(24))
		for name, doc := range splitSecretDocs(secret, 2+i%3) {
			for _, withLength := range []bool{true, false} {
				useCurl := curlBin != "" && withLength && name == "objects"
				received := strings.Join(servedThrough(t, e, secret, doc, withLength, useCurl), "")
				probes++
				if strings.Contains(jsonStructure.ReplaceAllString(received, ""), secret) {
					leaks++
					t.Logf("%s (length %v): %s -> %s", name, withLength, doc, received)
				}
			}
		}
	}
	if leaks > 0 {
		t.Errorf("%d of %d responses carry the secret in pieces", leaks, probes)
	}
}

// servedThrough has a real upstream answer doc as JSON (with a
// Content-Length or streamed) behind a proxy of e that presents secret,
// and returns what a client of the proxy received: by net/http, and with
// withCurl by curl too.
func servedThrough(t *testing.T, e *env, secret, doc string, withLength, withCurl bool) []string {
	t.Helper()
	srv := proxyTo(t, e, BearerCredential(secret), func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if withLength {
			w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		}
		_, _ = io.WriteString(w, doc)
	})
	defer srv.Close()
	resp := e.do(srv, "GET", "/api/echo", "", "")
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v: %s", resp.StatusCode, err, doc)
	}
	received := []string{string(got)}
	if withCurl {
		curlBin, _ := exec.LookPath("curl")
		received = append(received, curl(t, curlBin, srv.URL+"/api/echo"))
	}
	return received
}
